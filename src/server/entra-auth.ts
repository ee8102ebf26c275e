/**
 * Entra ID bearer tokens for the API, as an alternative to API keys: an application calls ledger-bridge
 * with a token Entra ID issued for ledger-bridge's own app registration. Checked with jose: RS256 only
 * (so `alg: none` and HMAC tricks fail), signature against the tenant's published keys, issuer (v1 or v2
 * form of the configured tenant), audience, `tid`, lifetime; scopes come from app roles.
 */
import { createRemoteJWKSet, customFetch, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { httpsText } from "../common/https.js";
import type { Scope } from "./api-store.js";

export interface EntraApiAuthOptions {
  /** e.g. https://login.microsoftonline.com */
  readonly authorityHost: string;
  readonly tenantId: string;
  /** The App ID URI or client id of ledger-bridge's app registration (the token's `aud`). */
  readonly audiences: readonly string[];
  readonly caCertPem?: string;
  /** Tests inject a key set; otherwise the tenant's JWKS is fetched (and cached) from the authority. */
  readonly keys?: JWTVerifyGetKey;
}

/** App roles (defined on ledger-bridge's app registration) and the scope each grants. */
export const APP_ROLES: Readonly<Record<string, Scope>> = {
  "LedgerBridge.Submit": "submit",
  "LedgerBridge.Read": "read",
  "LedgerBridge.Admin": "admin",
};

export interface EntraCaller {
  readonly id: string;
  readonly scopes: readonly Scope[];
}

/** jose's fetch, over the shared HTTPS helper so the configured extra CA is trusted too. */
function fetchWithCa(caCertPem: string | undefined) {
  return async (url: string) => {
    const answer = await httpsText(url, { caCertPem });
    return new Response(answer.text, { status: answer.status, headers: answer.headers });
  };
}

export function looksLikeJwt(presented: string): boolean {
  return /^[\w-]+\.[\w-]*\.[\w-]*$/.test(presented);
}

/** Returns a verifier: the caller for a valid token, undefined for anything else (the reason is logged by the caller). */
export function entraVerifier(
  options: EntraApiAuthOptions,
): (token: string) => Promise<{ caller?: EntraCaller; reason?: string }> {
  const authority = options.authorityHost.replace(/\/+$/, "");
  const keys =
    options.keys ??
    createRemoteJWKSet(new URL(`${authority}/${options.tenantId}/discovery/v2.0/keys`), {
      [customFetch]: fetchWithCa(options.caCertPem),
    });
  const issuers = [`https://sts.windows.net/${options.tenantId}/`, `${authority}/${options.tenantId}/v2.0`];
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ["RS256"],
        issuer: issuers,
        audience: [...options.audiences],
        clockTolerance: 60,
        requiredClaims: ["exp", "tid"],
      }));
    } catch (error) {
      return { reason: (error as { code?: string }).code ?? "ERR_JWT_INVALID" };
    }
    if (payload.tid !== options.tenantId) return { reason: "ERR_JWT_TENANT" };
    const roles = Array.isArray(payload.roles) ? (payload.roles as unknown[]) : [];
    const scopes = [
      ...new Set(roles.map((role) => APP_ROLES[String(role)]).filter((scope) => scope !== undefined)),
    ];
    const subject = String(payload.oid ?? payload.sub ?? "unknown");
    return { caller: { id: `entra:${subject}`, scopes } };
  };
}
