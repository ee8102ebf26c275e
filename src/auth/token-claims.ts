/**
 * What a token says about itself, for diagnostics: the claims F&O checks. Decoded, not verified (F&O
 * verifies). Never log a token whole; log these claims.
 */
import { decodeJwt } from "jose";

export interface TokenClaims {
  readonly aud?: string;
  readonly iss?: string;
  readonly tid?: string;
  readonly appid?: string;
  readonly oid?: string;
  readonly roles?: readonly string[];
  readonly scp?: string;
  readonly upn?: string;
  /** Seconds since the epoch. */
  readonly exp?: number;
  readonly iat?: number;
  readonly nbf?: number;
  /** The token version: "1.0" or "2.0". */
  readonly ver?: string;
  /** "app" or "user" (Entra's optional claim). */
  readonly idtyp?: string;
}

/** Returns undefined for something that is not a JWT. */
export function inspectToken(token: string): TokenClaims | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(token);
  } catch {
    return undefined;
  }
  const text = (name: string) => (typeof payload[name] === "string" ? (payload[name] as string) : undefined);
  const number = (name: string) =>
    typeof payload[name] === "number" ? (payload[name] as number) : undefined;
  const aud = Array.isArray(payload.aud) ? String(payload.aud[0]) : text("aud");
  const claims: Record<string, unknown> = {
    aud,
    iss: text("iss"),
    tid: text("tid"),
    appid: text("appid") ?? text("azp"),
    oid: text("oid"),
    roles: Array.isArray(payload.roles) ? payload.roles.map(String) : undefined,
    scp: text("scp"),
    upn: text("upn") ?? text("preferred_username"),
    exp: number("exp"),
    iat: number("iat"),
    nbf: number("nbf"),
    ver: text("ver"),
    idtyp: text("idtyp"),
  };
  return Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined)) as TokenClaims;
}
