/**
 * The one table of defaults: the CLI's settings (schema.ts) and the library's constructors (the
 * engine, the client) take their defaults from here, so a setting means the same wherever it is
 * left out. docs/configuration.md lists them (test/config/config.test.ts holds the two together).
 */
export const DEFAULTS = {
  /** F&O requests in flight at once. */
  concurrency: 8,
  /** Journals a worker claims at once. */
  batchSize: 250,
  /** The longest one request attempt may take (ms). */
  timeoutMs: 120_000,
  /** How long a claim lets a worker send writes for a journal without renewing (ms). */
  leaseMs: 60_000,
  /** Operations in one $batch request. */
  maxBatchOperations: 2000,
  /** Attempts before a journal failing transiently is dead. */
  maxAttempts: 10,
  /** How long `post` waits for journals due later (ms). */
  postWaitMs: 600_000,
  /** Requests per second each API caller may make to `serve`. */
  apiRateLimit: 50,
  /** A journal in doubt this long is alerted (ms). */
  webhookInDoubtMs: 15 * 60_000,
  csrf: "auto",
  /** How long a blob of the pickup stays taken without renewal (s). */
  pickupLeaseSeconds: 60,
  port: 8080,
  host: "127.0.0.1",
  logLevel: "error",
} as const;
