/** Picks the engine from the configured store: a postgres:// URL or a SQLite file path. */
import { PostgresDatabase } from "./postgres.js";
import { type SqlDatabase, SqlOutboxStore } from "./sql.js";
import { SqliteDatabase } from "./sqlite.js";
import type { OutboxStore } from "./store.js";

export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

export function openDatabase(
  store: string,
  options: {
    schema?: string /** SQLite: skip the page scan (the file was just checked). */;
    scan?: boolean;
  } = {},
): SqlDatabase {
  return isPostgresUrl(store)
    ? new PostgresDatabase(store, options.schema === undefined ? {} : { schema: options.schema })
    : new SqliteDatabase(store, options.scan === undefined ? {} : { scan: options.scan });
}

export async function openStore(store: string, options: { schema?: string } = {}): Promise<OutboxStore> {
  const outbox = new SqlOutboxStore(openDatabase(store, options));
  await outbox.init();
  return outbox;
}
