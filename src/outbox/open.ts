/** Picks the engine from the configured store: a postgres:// URL or a SQLite file path. */
import { PostgresDatabase } from "./postgres.js";
import { SqlOutboxStore } from "./sql.js";
import { SqliteDatabase } from "./sqlite.js";
import type { OutboxStore } from "./store.js";

export function isPostgresUrl(store: string): boolean {
  return /^postgres(ql)?:\/\//i.test(store);
}

export async function openStore(store: string, options: { schema?: string } = {}): Promise<OutboxStore> {
  const db = isPostgresUrl(store) ? new PostgresDatabase(store, options) : new SqliteDatabase(store);
  const outbox = new SqlOutboxStore(db);
  await outbox.init();
  return outbox;
}
