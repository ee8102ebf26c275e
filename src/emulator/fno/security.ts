/**
 * F&O's security model: the bearer token is checked as F&O checks it (signature, lifetime, `aud`
 * exactly the environment URL, `tid` the environment's tenant, `oid` present), the client id must be
 * in System administration > Setup > Microsoft Entra applications with an enabled user, and that
 * user's roles grant privileges per entity set, journal name and custom service.
 */
import type { EmulatorContext } from "../context.js";
import { type EmuRequest, header } from "../http.js";
import type { Access, FnoUser, SecurityRole } from "../state/model.js";

export interface Principal {
  readonly user: FnoUser;
  readonly roles: readonly SecurityRole[];
  readonly clientId: string;
  readonly kind: "app" | "user";
}

/** Why a token was refused: F&O answers only "Authentication failed."; the emulator's log says more. */
export type AuthFailure =
  | "no-bearer-token"
  | "token-invalid"
  | "token-expired"
  | "audience-mismatch"
  | "tenant-mismatch"
  | "no-oid"
  | "app-not-registered"
  | "user-disabled"
  | "user-unknown";

export async function authenticate(
  context: EmulatorContext,
  request: EmuRequest,
): Promise<Principal | AuthFailure> {
  const authorization = header(request, "authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) return "no-bearer-token";
  const now = context.now();
  const verified = await context.signer.verify(match[1] as string, now);
  if (!verified.ok) return verified.reason === "expired" ? "token-expired" : "token-invalid";
  const claims = verified.payload;
  const config = context.state.config;
  if (typeof claims.jti === "string" && context.revokedTokenIds.has(claims.jti)) return "token-expired";
  // Exactly the environment URL: a trailing slash or capitals are refused (F&O 10.0.39 and later).
  if (claims.aud !== config.environmentUrl) return "audience-mismatch";
  if (claims.tid !== config.tenantId) return "tenant-mismatch";
  if (typeof claims.oid !== "string") return "no-oid";
  const data = context.state.data;
  const clientId = String(claims.appid ?? claims.azp ?? "");
  let user: FnoUser | undefined;
  let kind: Principal["kind"];
  if (typeof claims.scp === "string") {
    kind = "user";
    user = Object.values(data.fnoUsers).find((candidate) => candidate.entraObjectId === claims.oid);
    if (user === undefined) return "user-unknown";
  } else {
    kind = "app";
    const registration = data.fnoApps[clientId];
    if (registration === undefined) return "app-not-registered";
    user = data.fnoUsers[registration.userId];
    if (user === undefined) return "user-unknown";
  }
  if (!user.enabled) return "user-disabled";
  const roles = user.roles
    .map((name) => data.roles[name])
    .filter((role): role is SecurityRole => role !== undefined);
  return { user, roles, clientId, kind };
}

export function canAccess(principal: Principal, entitySet: string, access: Access): boolean {
  return principal.roles.some((role) => {
    const granted = role.entities[entitySet] ?? role.entities["*"];
    return granted === "write" || (granted === "read" && access === "read");
  });
}

export function canUseJournalName(principal: Principal, journalName: string): boolean {
  const lower = journalName.toLowerCase();
  return principal.roles.some((role) =>
    role.journalNames.some((name) => name === "*" || name.toLowerCase() === lower),
  );
}

export function canCallService(principal: Principal, service: string): boolean {
  return principal.roles.some((role) => role.services.includes("*") || role.services.includes(service));
}
