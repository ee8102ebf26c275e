/**
 * Configuration: environment variables first (Azure's own names for credentials), then an optional
 * JSON file for what does not fit in a variable (LEDGER_BRIDGE_CONFIG or ./ledger-bridge.config.json).
 * Validated once at start-up; every error names the setting (docs/configuration.md).
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CREDENTIAL_KINDS, type CredentialConfig, type CredentialKind } from "../auth/credentials.js";
import { type EnvironmentUrl, normalizeEnvironmentUrl } from "../auth/environment-url.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { CsrfMode } from "../d365/client.js";
import { DEFAULT_POSTING_PATH } from "../d365/posting.js";
import { type TargetSettings, targetSettings } from "../d365/targets/index.js";
import { type InputSettings, inputSettings } from "./input.js";
import { checkSection, choice, type Env, type EnvSettings, FILE_SCHEMA, readEnvironment } from "./schema.js";

export type { Env } from "./schema.js";

export type AuthKind = CredentialKind | "login";

export interface BridgeConfig {
  /** Undefined: no F&O configured, the built-in emulator is used. */
  readonly environment?: EnvironmentUrl;
  readonly auth: { readonly kind: AuthKind; readonly credential: Omit<CredentialConfig, "kind"> };
  /** Extra CA (PEM) trusted for the authority and the environment. */
  readonly caCertPem?: string;
  readonly csrf: CsrfMode;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly postingPath: string;
  /** Where journals go in F&O (docs/configuration.md#the-delivery-target). */
  readonly target: TargetSettings;
  /** How table files are read (docs/configuration.md#input). */
  readonly input: InputSettings;
  /** Where ledger-bridge keeps its files (the login cache, the emulator's keys, the SQLite store). */
  readonly home: string;
  /** Key that encrypts the login cache; required for `login`. */
  readonly cacheKey?: string;
  /** The outbox: a SQLite file path or a postgres:// URL. */
  readonly store: string;
  /** How long a worker's claim on a journal lasts without renewal. */
  readonly leaseMs: number;
  /** No progress of the delivery worker for this long (while F&O does not ask to wait) makes `serve` unready. */
  readonly workerStallMs: number;
  /** How long `post` waits for journals that are due later before it reports them pending. */
  readonly postWaitMs: number;
  /** Journals the delivery worker claims at once (the dispatcher fills requests from several claims). */
  readonly batchSize: number;
  /** Entra ID tokens accepted by `serve` besides API keys: the audiences of ledger-bridge's own app registration. */
  readonly apiAudiences?: readonly string[];
  /** Requests per second each API caller may make to `serve` (bursts of twice as many). */
  readonly apiRateLimit: number;
  /** The tenant whose tokens `serve` accepts (default: the credential's tenant). */
  readonly apiTenantId?: string;
  /** Alerts `serve` POSTs, signed (docs/deployment.md#alerts). */
  readonly webhooks?: WebhookSettings;
  readonly warnings: readonly string[];
}

export interface WebhookSettings {
  readonly urls: readonly string[];
  /** The HMAC-SHA256 key the alerts are signed with. */
  readonly secret: string;
  /** A journal in doubt this long is alerted. */
  readonly inDoubtAfterMs: number;
}

/** LEDGER_BRIDGE_WEBHOOK_URL (one or more, comma-separated) with its secret, or none. */
function webhookSettings(settings: EnvSettings): WebhookSettings | undefined {
  const urls = settings.LEDGER_BRIDGE_WEBHOOK_URL ?? [];
  if (urls.length === 0) return undefined;
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol))
      throw new BridgeError(
        "CONFIG_INVALID",
        `LEDGER_BRIDGE_WEBHOOK_URL holds '${parsed === undefined ? "a value" : parsed.protocol}' that is not an http(s) URL; give full URLs, comma-separated.`,
      );
  }
  const secret = settings.LEDGER_BRIDGE_WEBHOOK_SECRET;
  if (secret === undefined || secret.length < 16)
    throw new BridgeError(
      "CONFIG_INVALID",
      "LEDGER_BRIDGE_WEBHOOK_URL is set: set LEDGER_BRIDGE_WEBHOOK_SECRET too (at least 16 characters), the key receivers check the alerts' signatures with.",
    );
  return { urls, secret, inDoubtAfterMs: settings.LEDGER_BRIDGE_WEBHOOK_IN_DOUBT_MS };
}

/** The worker's default stall bound: a round's slowest steps are requests bounded by the client's timeout. */
export function defaultStallAfterMs(timeoutMs: number): number {
  return Math.max(60_000, 2 * timeoutMs);
}

function readFile(name: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new BridgeError("CONFIG_INVALID", `${name} '${path}' cannot be read.`, { cause: error });
  }
}

/** The config file (LEDGER_BRIDGE_CONFIG, or ./ledger-bridge.config.json when it exists): JSON, its sections only. */
function fileConfig(settings: EnvSettings, cwd: string): { target?: unknown; input?: unknown } {
  const explicit = settings.LEDGER_BRIDGE_CONFIG;
  const path = explicit ?? join(cwd, "ledger-bridge.config.json");
  if (explicit === undefined && !existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFile("LEDGER_BRIDGE_CONFIG", path));
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError(
      "CONFIG_INVALID",
      `LEDGER_BRIDGE_CONFIG '${path}' is not valid JSON: ${(error as Error).message}.`,
    );
  }
  return checkSection(FILE_SCHEMA, raw, "");
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): BridgeConfig {
  const settings = readEnvironment(env);
  const warnings: string[] = [];
  const file = fileConfig(settings, cwd);
  const url = settings.D365_URL;
  const environment = url === undefined ? undefined : normalizeEnvironmentUrl(url);
  if (environment !== undefined) warnings.push(...environment.warnings);
  const secret = settings.AZURE_CLIENT_SECRET;
  const certificatePath = settings.AZURE_CLIENT_CERTIFICATE_PATH;
  const inferred: AuthKind =
    secret !== undefined ? "secret" : certificatePath !== undefined ? "certificate" : "default";
  const kind = checkSection(
    choice<AuthKind>([...CREDENTIAL_KINDS, "login"]).default(inferred),
    settings.LEDGER_BRIDGE_CREDENTIAL,
    "LEDGER_BRIDGE_CREDENTIAL",
  );
  const caPath = settings.LEDGER_BRIDGE_CA_CERT;
  const caCertPem =
    caPath === undefined ? undefined : readFile("LEDGER_BRIDGE_CA_CERT", resolve(cwd, caPath));
  const authorityHost = settings.AZURE_AUTHORITY_HOST;
  const credential: Omit<CredentialConfig, "kind"> = {
    ...(settings.AZURE_TENANT_ID === undefined ? {} : { tenantId: settings.AZURE_TENANT_ID }),
    ...(settings.AZURE_CLIENT_ID === undefined ? {} : { clientId: settings.AZURE_CLIENT_ID }),
    ...(secret === undefined ? {} : { clientSecret: secret }),
    ...(certificatePath === undefined ? {} : { certificatePath: resolve(cwd, certificatePath) }),
    ...(authorityHost === undefined ? {} : { authorityHost }),
    ...(caCertPem === undefined ? {} : { caCertPem }),
  };
  if (environment !== undefined && (kind === "secret" || kind === "certificate" || kind === "login")) {
    for (const [name, value] of [
      ["AZURE_TENANT_ID", credential.tenantId],
      ["AZURE_CLIENT_ID", credential.clientId],
    ] as const) {
      if (value === undefined)
        throw new BridgeError("CONFIG_MISSING", `D365_URL is set, and the ${kind} credential needs ${name}.`);
    }
  }
  const cacheKey = settings.LEDGER_BRIDGE_CACHE_KEY;
  const apiAudiences = settings.LEDGER_BRIDGE_API_AUDIENCE;
  const apiTenantId = settings.LEDGER_BRIDGE_API_TENANT_ID;
  const home = settings.LEDGER_BRIDGE_HOME ?? join(homedir(), ".ledger-bridge");
  const storeSetting = settings.LEDGER_BRIDGE_STORE;
  const store =
    storeSetting === undefined
      ? join(home, "outbox.db")
      : /^postgres(ql)?:\/\//i.test(storeSetting)
        ? storeSetting
        : resolve(cwd, storeSetting);
  const timeoutMs = settings.LEDGER_BRIDGE_TIMEOUT_MS;
  const webhooks = webhookSettings(settings);
  return {
    ...(environment === undefined ? {} : { environment }),
    auth: { kind, credential },
    ...(caCertPem === undefined ? {} : { caCertPem }),
    csrf: settings.LEDGER_BRIDGE_CSRF,
    concurrency: settings.LEDGER_BRIDGE_CONCURRENCY,
    timeoutMs,
    postingPath: settings.LEDGER_BRIDGE_POSTING_PATH ?? DEFAULT_POSTING_PATH,
    target: targetSettings(file.target),
    input: inputSettings(file.input),
    home,
    store,
    leaseMs: settings.LEDGER_BRIDGE_LEASE_MS,
    workerStallMs: settings.LEDGER_BRIDGE_WORKER_STALL_MS ?? defaultStallAfterMs(timeoutMs),
    postWaitMs: settings.LEDGER_BRIDGE_POST_WAIT_MS,
    batchSize: settings.LEDGER_BRIDGE_BATCH_SIZE,
    ...(cacheKey === undefined ? {} : { cacheKey }),
    apiRateLimit: settings.LEDGER_BRIDGE_API_RATE_LIMIT,
    ...(apiAudiences === undefined || apiAudiences.length === 0 ? {} : { apiAudiences }),
    ...(apiTenantId === undefined ? {} : { apiTenantId }),
    ...(webhooks === undefined ? {} : { webhooks }),
    warnings,
  };
}
