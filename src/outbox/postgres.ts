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

export class PostgresDatabase implements SqlDatabase {
  readonly capabilities = CAPABILITIES;
  private readonly pool: pg.Pool;
  private readonly client = new AsyncLocalStorage<pg.PoolClient>();

  constructor(url: string, options: { schema?: string; max?: number } = {}) {
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
    this.pool.on("error", () => undefined);
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    const runner = this.client.getStore() ?? this.pool;
    try {
      const result = await runner.query(sql, params as unknown[]);
      return result.rows;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "57P01") {
        throw new BridgeError(
          "OUTBOX_UNAVAILABLE",
          `PostgreSQL cannot be reached: ${(error as Error).message}.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.client.getStore()) return work();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw new BridgeError(
        "OUTBOX_UNAVAILABLE",
        `PostgreSQL cannot be reached: ${(error as Error).message}.`,
        { cause: error },
      );
    }
    try {
      await client.query("BEGIN");
      const result = await this.client.run(client, work);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
