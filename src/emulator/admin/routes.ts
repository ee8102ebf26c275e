/**
 * The admin API under /_emulator/, for tests, scripts and dashboards: reset, configure the tenant,
 * the Entra applications list, users, roles, faults and throttling, read the request log, the
 * journals and the posted ledger, approve device codes. Guarded by its own key (x-emulator-key).
 */
import { createHash, randomUUID, timingSafeEqual, X509Certificate } from "node:crypto";
import type { EmulatorContext } from "../context.js";
import { ledgerView } from "../fno/ledger.js";
import { fieldValue } from "../fno/odata/values.js";
import { type EmuRequest, type EmuResponse, header, json } from "../http.js";
import { isWireNumber, parseWire } from "../json.js";
import type { RequestLog } from "../request-log.js";
import type { EmulatorConfig, EntraApp, FaultRule, FnoUser, Row, SecurityRole } from "../state/model.js";
import { isDecimal, Transaction } from "../state/store.js";

export interface AdminDeps {
  readonly context: EmulatorContext;
  readonly log: RequestLog;
  readonly adminKey: string;
  /** Back to the scenario's starting state. */
  reset(): void;
}

const CONFIG_FIELDS: ReadonlyArray<keyof EmulatorConfig> = [
  "tokenLifetimeSeconds",
  "maxConcurrentRequests",
  "retryAfterSeconds",
  "latency",
  "pageSize",
  "csrfGateway",
  "csrfTokenLifetimeSeconds",
  "deviceCodeIntervalSeconds",
  "postingParameters",
  "writeFailureStatus",
  "packageImport",
  "packageStorage",
  "randomSeed",
  "tenantDomains",
];

const FAULT_KINDS = new Set([
  "401",
  "403",
  "429",
  "5xx-before-commit",
  "5xx-after-commit",
  "drop-after-commit",
  "hang",
  "reset-mid-body",
]);

function body(request: EmuRequest): Record<string, unknown> {
  const text = request.body.toString("utf8");
  if (text.trim() === "") return {};
  const value = JSON.parse(text);
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new AdminError("The body must be a JSON object.");
  return value;
}

class AdminError extends Error {}

function keyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The x5t#S256 of a certificate: base64url SHA-256 of its DER bytes. */
export function thumbprintSha256(pem: string): string {
  return createHash("sha256").update(new X509Certificate(pem).raw).digest("base64url");
}

export async function handleAdmin(request: EmuRequest, deps: AdminDeps): Promise<EmuResponse> {
  const path = request.url.pathname.slice("/_emulator".length) || "/";
  if (path === "/health") return json(200, { status: "ok" });
  if (path === "/devicelogin") {
    return {
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8" },
      body: "<!doctype html><title>Emulated device login</title><p>This emulator signs devices in through its admin API: POST /_emulator/devicecodes/{code}/approve.</p>",
    };
  }
  if (!keyMatches(header(request, "x-emulator-key"), deps.adminKey)) {
    return json(401, { error: "The admin API needs the emulator's key in the x-emulator-key header." });
  }
  try {
    return route(request, path, deps);
  } catch (error) {
    if (error instanceof AdminError || error instanceof SyntaxError)
      return json(400, { error: error.message });
    throw error;
  }
}

function route(request: EmuRequest, path: string, deps: AdminDeps): EmuResponse {
  const { context } = deps;
  const data = () => context.state.data;
  const method = request.method;
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second, third, fourth] = segments;
  const changed = (value: unknown = { ok: true }) => {
    context.changed();
    return json(200, value);
  };

  switch (
    `${method} ${first}${second === undefined ? "" : "/*"}${third === undefined ? "" : "/*"}${fourth === undefined ? "" : "/*"}`
  ) {
    case "POST reset":
      deps.reset();
      return changed();
    case "GET config":
      return json(200, data().config);
    case "PATCH config": {
      const patch = body(request);
      for (const [name, value] of Object.entries(patch)) {
        if (!CONFIG_FIELDS.includes(name as keyof EmulatorConfig))
          throw new AdminError(`'${name}' is not a setting that can be changed.`);
        (data().config as unknown as Record<string, unknown>)[name] = value;
      }
      return changed(data().config);
    }
    case "POST tokens/*":
      if (second !== "expire") break;
      // Every token issued so far is refused from now on, as expired; clients must get new ones.
      for (const id of context.issuedTokenIds) context.revokedTokenIds.add(id);
      context.issuedTokenIds.clear();
      return json(200, { ok: true });
    case "POST csrf/*":
      if (second !== "expire") break;
      for (const session of context.csrfSessions.values()) session.token = `stale-${randomUUID()}`;
      return json(200, { ok: true });
    case "PUT entra/*/*":
      if (second === "apps") return changed(putEntraApp(deps, third as string, body(request)));
      if (second === "users") {
        const input = body(request);
        data().entraUsers[third as string] = {
          objectId: third as string,
          userPrincipalName: String(input.userPrincipalName ?? `${third}@${data().config.tenantDomains[0]}`),
          displayName: String(input.displayName ?? third),
        };
        return changed(data().entraUsers[third as string]);
      }
      break;
    case "DELETE entra/*/*":
      if (second === "apps") delete data().entraApps[third as string];
      else if (second === "users") delete data().entraUsers[third as string];
      else break;
      return changed();
    case "PUT fno/*/*": {
      const input = body(request);
      if (second === "apps") {
        data().fnoApps[third as string] = {
          clientId: third as string,
          name: String(input.name ?? third),
          userId: String(input.userId),
        };
        return changed(data().fnoApps[third as string]);
      }
      if (second === "users") {
        const existing = data().fnoUsers[third as string];
        const user: FnoUser = {
          userId: third as string,
          enabled: Boolean(input.enabled ?? existing?.enabled ?? true),
          defaultCompany: String(input.defaultCompany ?? existing?.defaultCompany ?? "usmf").toLowerCase(),
          roles: (input.roles as string[] | undefined) ?? existing?.roles ?? [],
          ...((input.entraObjectId ?? existing?.entraObjectId) === undefined
            ? {}
            : { entraObjectId: String(input.entraObjectId ?? existing?.entraObjectId) }),
        };
        data().fnoUsers[third as string] = user;
        return changed(user);
      }
      if (second === "roles") {
        const role: SecurityRole = {
          name: third as string,
          entities: (input.entities as SecurityRole["entities"] | undefined) ?? {},
          journalNames: (input.journalNames as string[] | undefined) ?? ["*"],
          services: (input.services as string[] | undefined) ?? [],
        };
        data().roles[third as string] = role;
        return changed(role);
      }
      break;
    }
    case "DELETE fno/*/*":
      if (second === "apps") delete data().fnoApps[third as string];
      else if (second === "users") delete data().fnoUsers[third as string];
      else if (second === "roles") delete data().roles[third as string];
      else break;
      return changed();
    case "POST tables/*":
      return changed(putRows(deps, second as string, request));
    case "PUT fiscal-periods/*": {
      const periods = JSON.parse(request.body.toString("utf8"));
      if (!Array.isArray(periods))
        throw new AdminError("The body must be an array of { start, end, status }.");
      data().fiscalPeriods[(second as string).toLowerCase()] = periods;
      return changed();
    }
    case "GET faults":
      return json(200, data().config.faults);
    case "POST faults": {
      const input = body(request) as Partial<FaultRule>;
      if (!FAULT_KINDS.has(String(input.kind)))
        throw new AdminError(`kind must be one of ${[...FAULT_KINDS].join(", ")}.`);
      const rule: FaultRule = {
        ...input,
        id: input.id ?? randomUUID().slice(0, 8),
        kind: input.kind as FaultRule["kind"],
        seen: 0,
      };
      data().config.faults.push(rule);
      return changed(rule);
    }
    case "DELETE faults":
      data().config.faults = [];
      return changed();
    case "DELETE faults/*":
      data().config.faults = data().config.faults.filter((rule) => rule.id !== second);
      return changed();
    case "GET requests":
      return json(200, deps.log.list(Number(request.url.searchParams.get("since") ?? 0)));
    case "DELETE requests":
      deps.log.clear();
      return json(200, { ok: true });
    case "GET journals":
      return json(200, journals(deps));
    case "GET ledger":
      return json(200, ledgerView(context.state).map(visible));
    case "POST devicecodes/*/*": {
      const grant = [...context.deviceCodes.values()].find((candidate) => candidate.userCode === second);
      if (grant === undefined) return json(404, { error: `No pending device code ${second}.` });
      if (third === "decline") grant.status = "declined";
      else {
        const input = body(request);
        const objectId = String(input.objectId ?? Object.keys(data().entraUsers)[0] ?? "");
        if (data().entraUsers[objectId] === undefined) throw new AdminError(`No Entra user ${objectId}.`);
        grant.status = "approved";
        grant.userObjectId = objectId;
      }
      return json(200, { ok: true });
    }
    case "GET devicecodes":
      return json(
        200,
        [...context.deviceCodes.values()].map(({ userCode, clientId, status }) => ({
          userCode,
          clientId,
          status,
        })),
      );
  }
  return json(404, { error: `No admin endpoint ${method} /_emulator${path}.` });
}

function putEntraApp(deps: AdminDeps, clientId: string, input: Record<string, unknown>): EntraApp {
  const existing = deps.context.state.data.entraApps[clientId];
  const certificates = Array.isArray(input.certificates)
    ? (input.certificates as string[]).map((pem) => ({ pem, thumbprintSha256: thumbprintSha256(pem) }))
    : (existing?.certificates ?? []);
  const app: EntraApp = {
    clientId,
    displayName: String(input.displayName ?? existing?.displayName ?? clientId),
    secrets: (input.secrets as EntraApp["secrets"] | undefined) ?? existing?.secrets ?? [],
    certificates,
    hasServicePrincipal: Boolean(input.hasServicePrincipal ?? existing?.hasServicePrincipal ?? true),
    consented: Boolean(input.consented ?? existing?.consented ?? true),
    appRoles: (input.appRoles as string[] | undefined) ?? existing?.appRoles ?? [],
    publicClient: Boolean(input.publicClient ?? existing?.publicClient ?? false),
    redirectUris: (input.redirectUris as string[] | undefined) ??
      existing?.redirectUris ?? ["http://localhost"],
  };
  deps.context.state.data.entraApps[clientId] = app;
  return { ...app, secrets: app.secrets.map((secret) => ({ ...secret, value: "[redacted]" })) };
}

/** Inserts or replaces master data rows (MainAccounts, JournalNames, Currencies, LegalEntities). */
function putRows(deps: AdminDeps, entitySet: string, request: EmuRequest): { rows: number } {
  const table = deps.context.state.tables.get(entitySet);
  if (table === undefined) throw new AdminError(`No table ${entitySet}.`);
  // Parsed losslessly, so an amount in master data keeps every digit.
  const rows = parseWire(request.body.toString("utf8"));
  if (!Array.isArray(rows)) throw new AdminError("The body must be an array of rows.");
  const tx = new Transaction();
  for (const input of rows) {
    const row: Row = {};
    if (input === null || typeof input !== "object" || Array.isArray(input) || isWireNumber(input))
      throw new AdminError("Each row must be a JSON object.");
    for (const field of table.def.fields) {
      const value = input[field.name];
      if (value === undefined) continue;
      row[field.name] = fieldValue(table.def, field, value);
    }
    table.insert(row, tx);
  }
  return { rows: rows.length };
}

function visible(row: Row): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row)
      .filter(([name]) => !name.startsWith("$"))
      .map(([name, value]) => [name, isDecimal(value) ? value.toFixed() : value]),
  );
}

function journals(deps: AdminDeps) {
  const lines = [...deps.context.state.table("LedgerJournalLines").rows.values()];
  return [...deps.context.state.table("LedgerJournalHeaders").rows.values()].map((header) => ({
    ...visible(header),
    lines: lines
      .filter(
        (line) =>
          String(line.dataAreaId) === String(header.dataAreaId) &&
          String(line.JournalBatchNumber).toLowerCase() === String(header.JournalBatchNumber).toLowerCase(),
      )
      .map(visible),
  }));
}
