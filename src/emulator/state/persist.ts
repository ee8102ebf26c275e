/**
 * `--state FILE`: the emulator's data kept in a SQLite file across restarts. The whole state is one
 * JSON document (decimals tagged so they come back exact), written shortly after each change and on
 * close — the state of an emulator is small, and one document keeps the format trivially in step
 * with the model.
 */

import Database from "better-sqlite3";
import Big from "big.js";
import type { EmulatorData } from "./model.js";
import { isDecimal } from "./store.js";

const DECIMAL_TAG = "$decimal";

export class StateFile {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(
      "CREATE TABLE IF NOT EXISTS emulator_state (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL, saved_at TEXT NOT NULL)",
    );
  }

  load(): EmulatorData | undefined {
    const row = this.db.prepare("SELECT data FROM emulator_state WHERE id = 1").get() as
      | { data: string }
      | undefined;
    if (row === undefined) return undefined;
    return JSON.parse(row.data, (_key, value) =>
      value !== null && typeof value === "object" && typeof value[DECIMAL_TAG] === "string"
        ? new Big(value[DECIMAL_TAG])
        : value,
    );
  }

  save(data: EmulatorData): void {
    const text = JSON.stringify(data, function (this: Record<string, unknown>, key, value) {
      const original = this[key];
      return isDecimal(original) ? { [DECIMAL_TAG]: original.toFixed() } : value;
    });
    this.db
      .prepare(
        "INSERT INTO emulator_state (id, data, saved_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at",
      )
      .run(text, new Date().toISOString());
  }

  close(): void {
    this.db.close();
  }
}
