/**
 * The settings' schema: every environment variable ledger-bridge reads, with its check and default,
 * in one table; and how a failed check becomes an error that names the setting (the environment
 * variable, or the config file's path to the value such as `target.threshold`). The config file's
 * sections have their schemas beside their owners (src/d365/targets/index.ts, input.ts) and are
 * checked with the same helpers.
 */
import { z } from "zod";
import { BridgeError } from "../core/errors/bridge-error.js";
import { DEFAULTS } from "./defaults.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** A value that is set: trimmed, not empty. */
const text = z.string().trim().min(1);

export function wholeNumber(min: number, max: number) {
  return z
    .string()
    .trim()
    .refine((value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max, {
      error: `must be a whole number from ${min} to ${max}`,
    })
    .transform(Number);
}

export function choice<T extends string>(values: readonly T[]) {
  return z.enum(values as unknown as [T, ...T[]], { error: `must be one of ${values.join(", ")}` });
}

/** A comma-separated list (empty items dropped). */
const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== ""),
);

interface Setting<S extends z.ZodType> {
  readonly schema: S;
  /** Used when the variable is unset (or empty); none: the setting stays undefined. */
  readonly default?: z.output<S>;
}

function setting<S extends z.ZodType>(schema: S): { readonly schema: S };
function setting<S extends z.ZodType>(
  schema: S,
  fallback: z.output<S>,
): { readonly schema: S; readonly default: z.output<S> };
function setting<S extends z.ZodType>(schema: S, fallback?: z.output<S>): Setting<S> {
  return fallback === undefined ? { schema } : { schema, default: fallback };
}

/** Every environment variable, its check and its default (docs/configuration.md#environment-variables). */
export const ENVIRONMENT = {
  D365_URL: setting(text),
  AZURE_TENANT_ID: setting(text),
  AZURE_CLIENT_ID: setting(text),
  AZURE_CLIENT_SECRET: setting(text),
  AZURE_CLIENT_CERTIFICATE_PATH: setting(text),
  AZURE_AUTHORITY_HOST: setting(text),
  LEDGER_BRIDGE_CREDENTIAL: setting(text),
  LEDGER_BRIDGE_CA_CERT: setting(text),
  LEDGER_BRIDGE_CACHE_KEY: setting(text),
  LEDGER_BRIDGE_CSRF: setting(choice(["auto", "always", "never"] as const), DEFAULTS.csrf),
  LEDGER_BRIDGE_CONCURRENCY: setting(wholeNumber(1, 64), DEFAULTS.concurrency),
  LEDGER_BRIDGE_BATCH_SIZE: setting(wholeNumber(1, 5000), DEFAULTS.batchSize),
  LEDGER_BRIDGE_TIMEOUT_MS: setting(wholeNumber(1000, 3_600_000), DEFAULTS.timeoutMs),
  LEDGER_BRIDGE_POSTING_PATH: setting(text),
  LEDGER_BRIDGE_HOME: setting(text),
  LEDGER_BRIDGE_STORE: setting(text),
  LEDGER_BRIDGE_API_AUDIENCE: setting(list),
  LEDGER_BRIDGE_API_RATE_LIMIT: setting(wholeNumber(1, 100_000), DEFAULTS.apiRateLimit),
  LEDGER_BRIDGE_API_TENANT_ID: setting(text),
  LEDGER_BRIDGE_LEASE_MS: setting(wholeNumber(1000, 3_600_000), DEFAULTS.leaseMs),
  LEDGER_BRIDGE_POST_WAIT_MS: setting(wholeNumber(0, 86_400_000), DEFAULTS.postWaitMs),
  /** Default: twice the timeout, at least a minute (computed in config/index.ts). */
  LEDGER_BRIDGE_WORKER_STALL_MS: setting(wholeNumber(1000, 86_400_000)),
  LEDGER_BRIDGE_WEBHOOK_URL: setting(list),
  LEDGER_BRIDGE_WEBHOOK_SECRET: setting(text),
  LEDGER_BRIDGE_WEBHOOK_IN_DOUBT_MS: setting(wholeNumber(1000, 86_400_000), DEFAULTS.webhookInDoubtMs),
  LEDGER_BRIDGE_CONFIG: setting(text),
  LEDGER_BRIDGE_PICKUP_LEASE_SECONDS: setting(wholeNumber(15, 60), DEFAULTS.pickupLeaseSeconds),
  /** serve: the port and address when --port and --host are not given. */
  PORT: setting(wholeNumber(0, 65535), DEFAULTS.port),
  HOST: setting(text, DEFAULTS.host),
  LOG_LEVEL: setting(
    choice(["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const),
    DEFAULTS.logLevel,
  ),
  /** Testing aid: the process kills itself at this step of the protocol (docs/reliability.md). */
  LEDGER_BRIDGE_FAILPOINT: setting(text),
} as const;

type Table = typeof ENVIRONMENT;
type Value<K extends keyof Table> = Table[K] extends { readonly default: unknown }
  ? z.output<Table[K]["schema"]>
  : z.output<Table[K]["schema"]> | undefined;
export type EnvSettings = { readonly [K in keyof Table]: Value<K> };

/** The setting's message for the first failed check: `<where> <what is wrong>; it is '<value>'.` */
function settingError(error: z.ZodError, where: (path: readonly PropertyKey[]) => string, value?: unknown) {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  const shown =
    value === undefined ? "" : `; it is ${typeof value === "string" ? `'${value}'` : JSON.stringify(value)}`;
  let message = issue?.message ?? "is not valid";
  if (issue?.code === "unrecognized_keys") {
    const keys = (issue as { keys?: string[] }).keys ?? [];
    return new BridgeError("CONFIG_INVALID", `${where([...path, keys[0] ?? ""])} is not a setting.`);
  }
  if (issue?.code === "invalid_type" && message.startsWith("Invalid input"))
    message = `must be ${issue.expected}`;
  return new BridgeError("CONFIG_INVALID", `${where(path)} ${message}${shown}.`);
}

/** The environment, checked against the table (unset or empty: the default). */
export function readEnvironment(env: Env): EnvSettings {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENVIRONMENT) as Array<[string, Setting<z.ZodType>]>) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") {
      values[name] = spec.default;
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) throw settingError(parsed.error, () => name, raw.trim());
    values[name] = parsed.data;
  }
  return values as EnvSettings;
}

/**
 * A section of the config file checked against its schema; an error names the value's path under
 * `prefix` (e.g. `target.pollDelaysMs`, `input.locale.date`).
 */
export function checkSection<S extends z.ZodType>(schema: S, raw: unknown, prefix: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const path = parsed.error.issues[0]?.path ?? [];
  let value: unknown = raw;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  const where = (at: readonly PropertyKey[]) =>
    [prefix, ...at.map(String)].filter((part) => part !== "").join(".") || "the config file";
  throw settingError(parsed.error, where, typeof value === "object" ? undefined : value);
}

/** The config file's top level: its sections, nothing else. */
export const FILE_SCHEMA = z.strictObject({ target: z.unknown().optional(), input: z.unknown().optional() });
