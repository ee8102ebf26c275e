/**
 * The shared engine: PostgreSQL, for several bridge instances working one outbox. Claims lock rows
 * with FOR UPDATE SKIP LOCKED, so concurrent claimers take different journals without waiting on each
 * other; every later write is fenced by the attempt number.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { EngineCapabilities, SqlDatabase } from "./sql.js";

const CAPABILITIES: EngineCapabilities = {
  name: "postgres",
  skipLocked: true,
  positionalPlaceholders: true,
  serialId: "BIGSERIAL PRIMARY KEY",
  // Existing rows are numbered when the column is added; concurrent writers each draw from the sequence.
  writesInWith: true,
  claimIndexHint: "",
  writeChunk: Number.POSITIVE_INFINITY,
  journalSeq: {
    add: ["ALTER TABLE journals ADD COLUMN seq BIGSERIAL"],
    next: "nextval(pg_get_serial_sequence('journals', 'seq'))",
  },
};

const INT8 = 20;

/**
 * Errors of the connection, not of the statement: the server closed it (an administrator's
 * pg_terminate_backend, a restart, a failover), the network cut it, or no connection can be made.
 * SQLSTATE class 08 and 57P01–57P03, and node's socket errors.
 */
export function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code))) return true;
  if (
    typeof code === "string" &&
    ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTFOUND"].includes(code)
  )
    return true;
  return /Connection terminated|connection error|terminating connection/i.test(
    error instanceof Error ? error.message : "",
  );
}

/**
 * Waits before each retry after a lost connection: about 30 s in all (a failover, a burst of
 * terminations), then OUTBOX_UNAVAILABLE.
 */
const RECONNECT_DELAYS_MS = [50, 100, 250, 500, 1000, 1000, 2000, 2000, 4000, 4000, 5000, 5000, 5000];

function unavailable(error: unknown, what: string): BridgeError {
  return new BridgeError(
    "OUTBOX_UNAVAILABLE",
    `PostgreSQL ${what}: ${error instanceof Error ? error.message : String(error)}.`,
    { cause: error },
  );
}

export interface PostgresOptions {
  readonly schema?: string;
  readonly max?: number;
  /** Injected in tests; the retries after a lost connection wait with it. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Waits before each retry after a lost connection (default about 30 s in all; [] for none: a check). */
  readonly reconnectDelaysMs?: readonly number[];
}

export class PostgresDatabase implements SqlDatabase {
  readonly capabilities = CAPABILITIES;
  private readonly pool: pg.Pool;
  private readonly client = new AsyncLocalStorage<pg.PoolClient>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly reconnectDelays: readonly number[];

  constructor(url: string, options: PostgresOptions = {}) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      // Times are epoch milliseconds in BIGINT columns: well inside a double's exact range.
      types: {
        getTypeParser: (oid: number, format?: string) =>
          oid === INT8 ? Number : pg.types.getTypeParser(oid, format as "text"),
      } as pg.CustomTypesConfig,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    });
    // An idle connection the server closed: the pool drops it and opens a new one when needed.
    this.pool.on("error", () => undefined);
    // Every connection listens for its own errors from the start: one message batch can complete a
    // connection's handshake (the pool stops listening as it hands the connection out) and carry the
    // server's termination in the same tick, before anyone else could listen — an uncaught 'error'
    // that ends the process. The error still reaches the caller: the query in flight fails with it.
    this.pool.on("connect", (client) => client.on("error", () => undefined));
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.reconnectDelays = options.reconnectDelaysMs ?? RECONNECT_DELAYS_MS;
  }

  /**
   * Runs `attempt` again after a lost connection (the pool replaces it), up to RECONNECT_DELAYS_MS.
   * Every statement and transaction of the outbox may be run again: reads trivially, writes because
   * each is idempotent or fenced (an enqueue of the same content is a duplicate, a settle or lease
   * checks key, attempt and owner, a claim that committed unseen leaves journals that come back when
   * their lease ends).
   */
  private async healing<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt();
      } catch (error) {
        if ((error as { code?: unknown }).code === "53100")
          throw new BridgeError("STORE_FULL", "PostgreSQL has no room left (53100 disk_full).", {
            cause: error,
          });
        if (!connectionLost(error)) throw error;
        const delay = this.reconnectDelays[retry];
        if (delay === undefined) throw unavailable(error, `${what} failed after ${retry} reconnects`);
        await this.sleep(delay);
      }
    }
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    const inTransaction = this.client.getStore();
    // Inside a transaction a lost connection fails the whole transaction, which is run again.
    if (inTransaction) return (await inTransaction.query(sql, params as unknown[])).rows;
    return this.healing("cannot be reached", () =>
      this.withConnection(async (client) => (await client.query(sql, params as unknown[])).rows),
    );
  }

  /**
   * A connection of the pool for `use` (seen: `post` crashing on pg_terminate_backend with an
   * uncaught 'error' while pool.query's connection was out). A connection that failed is destroyed,
   * not handed back.
   */
  private async withConnection<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      return await use(client);
    } catch (error) {
      if (connectionLost(error)) broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async transaction<T>(work: (retry: number) => Promise<T>): Promise<T> {
    if (this.client.getStore()) return work(0);
    let retry = -1;
    return this.healing("cannot be reached", () => {
      retry++;
      return this.withConnection(async (client) => {
        await client.query("BEGIN");
        try {
          const result = await this.client.run(client, () => work(retry));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          if (!connectionLost(error)) await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        }
      });
    });
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
