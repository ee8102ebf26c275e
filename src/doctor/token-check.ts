/**
 * `doctor --token FILE|-`: why F&O would refuse a token that another client obtained (the report's
 * own middleware). The token is read from a file or standard input — never from the command line,
 * never printed, never stored — decoded (not verified: F&O verifies the signature) and held against
 * what F&O checks: the audience exactly, the tenant, the lifetime, the kind of token and its scopes,
 * the object id; then, with ledger-bridge's own credentials when they work, whether the token's
 * client id is in F&O's Microsoft Entra applications list.
 */
import { inspectToken } from "../auth/token-claims.js";
import type { D365Client } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import { eq } from "../d365/query.js";
import type { CauseCode } from "./causes.js";

export interface TokenCheck {
  readonly id: string;
  readonly title: string;
  readonly status: "pass" | "warn" | "fail" | "skipped";
  readonly evidence: Record<string, string | number | boolean>;
  readonly cause?: CauseCode;
}

export interface TokenContext {
  /** The environment URL as F&O expects it in `aud`. */
  readonly environmentUrl: string;
  /** The configured tenant (a GUID), when there is one. */
  readonly tenantId?: string;
  readonly now: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ERP_APP = /^(spn:)?00000015-0000-0000-c000-000000000000$/i;
/** Clock skew F&O tolerates, as Entra's own libraries do. */
const SKEW_S = 300;
/** The delegated permission of Microsoft Dynamics ERP that OData needs (custom services: CustomService.FullAccess). */
const ODATA_SCOPE = "Odata.FullAccess";
const SERVICE_SCOPE = "CustomService.FullAccess";

/** How an audience differs from the environment URL, in words. */
export function audienceDifference(aud: string, url: string): string | undefined {
  if (aud === url) return undefined;
  const lower = aud.toLowerCase();
  const want = url.toLowerCase();
  if (aud === `${url}/`) return "a trailing slash";
  if (lower === want) return "capitals";
  if (lower.replace(/\/+$/, "") === want) return "capitals and a trailing slash";
  if (lower.startsWith(`${want}/`)) return `a path after the host (${aud.slice(url.length)})`;
  if (ERP_APP.test(aud)) return "the Microsoft Dynamics ERP app id, no longer accepted since 10.0.39";
  if (GUID.test(aud) || lower.startsWith("api://")) return "an app id or App ID URI, not the environment URL";
  return "another resource";
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

export function foreignTokenChecks(token: string, context: TokenContext): TokenCheck[] {
  const claims = inspectToken(token);
  if (claims === undefined)
    return [
      {
        id: "token-format",
        title: "Token (from --token)",
        status: "fail",
        evidence: { length: token.length, parts: token.split(".").length },
        cause: "TOKEN_NOT_A_JWT",
      },
    ];
  const checks: TokenCheck[] = [
    {
      id: "token-format",
      title: "Token (from --token)",
      status: "pass",
      evidence: {
        ver: claims.ver ?? "(none)",
        appid: claims.appid ?? "(none)",
        note: "decoded, not verified; never printed",
      },
    },
  ];
  const url = context.environmentUrl;
  const difference = claims.aud === undefined ? "no aud claim" : audienceDifference(claims.aud, url);
  checks.push({
    id: "token-audience",
    title: "Audience (aud)",
    status: difference === undefined ? "pass" : "fail",
    evidence: {
      aud: claims.aud ?? "(none)",
      expected: url,
      ...(difference === undefined ? {} : { difference }),
    },
    ...(difference === undefined ? {} : { cause: "AUDIENCE_MISMATCH" as const }),
  });
  const issuerTenant = /\/([0-9a-f-]{36})\//i.exec(claims.iss ?? "")?.[1];
  const wrongTenant =
    (context.tenantId !== undefined &&
      GUID.test(context.tenantId) &&
      claims.tid?.toLowerCase() !== context.tenantId.toLowerCase()) ||
    (issuerTenant !== undefined &&
      claims.tid !== undefined &&
      issuerTenant.toLowerCase() !== claims.tid.toLowerCase());
  checks.push({
    id: "token-tenant",
    title: "Tenant (tid, iss)",
    status: wrongTenant ? "fail" : "pass",
    evidence: {
      tid: claims.tid ?? "(none)",
      iss: claims.iss ?? "(none)",
      expected: context.tenantId ?? "(no tenant configured: not compared)",
    },
    ...(wrongTenant ? { cause: "TENANT_MISMATCH" as const } : {}),
  });
  const now = Math.floor(context.now / 1000);
  const expired = claims.exp !== undefined && claims.exp + SKEW_S < now;
  const early = claims.nbf !== undefined && claims.nbf - SKEW_S > now;
  checks.push({
    id: "token-lifetime",
    title: "Lifetime (exp, nbf)",
    status: expired || early ? "fail" : "pass",
    evidence: {
      ...(claims.exp === undefined
        ? { exp: "(none)" }
        : { exp: iso(claims.exp), secondsLeft: claims.exp - now }),
      ...(claims.nbf === undefined ? {} : { nbf: iso(claims.nbf) }),
    },
    ...(expired
      ? { cause: "TOKEN_EXPIRED" as const }
      : early
        ? { cause: "TOKEN_NOT_YET_VALID" as const }
        : {}),
  });
  const delegated = claims.scp !== undefined || claims.idtyp === "user";
  const scopes = (claims.scp ?? "").split(" ").filter((scope) => scope !== "");
  const missing = delegated && !scopes.some((scope) => scope.toLowerCase() === ODATA_SCOPE.toLowerCase());
  checks.push({
    id: "token-kind",
    title: "Kind and scopes (roles, scp)",
    status: missing ? "fail" : "pass",
    evidence: delegated
      ? {
          kind: "delegated (a user's token)",
          scp: claims.scp ?? "(none)",
          upn: claims.upn === undefined ? "(none)" : "present",
          posting: scopes.some((scope) => scope.toLowerCase() === SERVICE_SCOPE.toLowerCase())
            ? `${SERVICE_SCOPE} present`
            : `${SERVICE_SCOPE} missing: the posting service will refuse it`,
        }
      : {
          kind: "application (client credentials): F&O maps its client id to a user in its Entra applications list",
          roles: claims.roles?.join(" ") ?? "(none; F&O does not need any)",
        },
    ...(missing ? { cause: "DELEGATED_SCOPE_MISSING" as const } : {}),
  });
  checks.push({
    id: "token-oid",
    title: "Object id (oid)",
    status: claims.oid === undefined ? "fail" : "pass",
    evidence: { oid: claims.oid === undefined ? "(none)" : "present" },
    ...(claims.oid === undefined ? { cause: "NO_OID" as const } : {}),
  });
  return checks;
}

/**
 * Whether the token's client id is in F&O's Microsoft Entra applications list (SysAADClients), read
 * with ledger-bridge's own credentials; skipped when those cannot read it.
 */
export async function registrationCheck(client: D365Client, appid: string | undefined): Promise<TokenCheck> {
  const title = "Client id in F&O's Microsoft Entra applications";
  const skipped = (reason: string): TokenCheck => ({
    id: "token-app",
    title,
    status: "skipped",
    evidence: { reason: `skipped: ${reason}` },
  });
  if (appid === undefined) return skipped("the token names no client id");
  try {
    const [row] = await new Entities(client).queryAll("SysAADClients", {
      filter: eq("AADClientId", appid),
      top: 1,
    });
    if (row === undefined)
      return {
        id: "token-app",
        title,
        status: "fail",
        evidence: { appid, registered: false },
        cause: "APP_NOT_REGISTERED_OR_USER_DISABLED",
      };
    return {
      id: "token-app",
      title,
      status: "pass",
      evidence: { appid, registered: true, userId: String(row.UserId ?? "") },
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return skipped(
      `ledger-bridge's own credentials could not read the list (${typeof code === "string" ? code : "error"})`,
    );
  }
}
