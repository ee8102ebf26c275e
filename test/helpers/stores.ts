import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { openStore } from "../../src/outbox/open.js";
import type { OutboxStore } from "../../src/outbox/store.js";

export const POSTGRES_URL =
  process.env.LEDGER_BRIDGE_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/test";

let available: Promise<boolean> | undefined;

/** Whether the test PostgreSQL answers. Under CI=true its absence is a failure, never a silent skip. */
export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return true;
    } catch (error) {
      if (process.env.LB_DEBUG) console.error("postgres probe failed:", error);
      if (process.env.CI === "true")
        throw new Error(
          `CI=true and PostgreSQL is not reachable at ${POSTGRES_URL}: ${(error as Error).message}`,
        );
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

let counter = 0;

export interface TestStore {
  readonly store: OutboxStore;
  /** Opens another connection to the same store (another "instance"). */
  reopen(): Promise<OutboxStore>;
  /** Where the store lives: a file path, or a postgres URL with its schema. */
  readonly location: { store: string; schema?: string };
  cleanup(): Promise<void>;
}

export interface Engine {
  readonly name: "sqlite" | "postgres";
  /** Undefined when the engine cannot run here (then the tests skip, with the reason). */
  skip(): Promise<string | undefined>;
  open(): Promise<TestStore>;
}

/** Opens stores with `opener` and remembers them, so that cleanup closes every one a test opened. */
function tracked(opener: () => Promise<OutboxStore>) {
  const opened: OutboxStore[] = [];
  return {
    async open() {
      const store = await opener();
      opened.push(store);
      return store;
    },
    async closeAll() {
      for (const each of opened) await each.close().catch(() => undefined);
    },
  };
}

export const ENGINES: readonly Engine[] = [
  {
    name: "sqlite",
    skip: async () => undefined,
    async open() {
      const file = join(mkdtempSync(join(tmpdir(), "lb-outbox-")), "outbox.db");
      const { open, closeAll } = tracked(() => openStore(file));
      return { store: await open(), reopen: open, location: { store: file }, cleanup: closeAll };
    },
  },
  {
    name: "postgres",
    skip: async () =>
      (await postgresAvailable()) ? undefined : `PostgreSQL is not reachable at ${POSTGRES_URL}`,
    async open() {
      // One schema per store keeps tests apart; dropped afterwards.
      const schema = `lb_test_${process.pid}_${++counter}`;
      const admin = new pg.Client({ connectionString: POSTGRES_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const { open, closeAll } = tracked(() => openStore(POSTGRES_URL, { schema }));
      return {
        store: await open(),
        reopen: open,
        location: { store: POSTGRES_URL, schema },
        async cleanup() {
          await closeAll();
          const drop = new pg.Client({ connectionString: POSTGRES_URL });
          await drop.connect();
          await drop.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await drop.end();
        },
      };
    },
  },
];
