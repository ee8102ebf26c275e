import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../../src/outbox/open.js";
import { migrations } from "../../src/outbox/sql.js";
import { SqliteDatabase } from "../../src/outbox/sqlite.js";

const T0 = Date.parse("2026-11-30T12:00:00Z");

describe("outbox migrations", () => {
  it("upgrades a store made before journals had a stored order: its journals keep the order they came in", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "lb-migrate-")), "outbox.db");
    // The store as version 2 left it, with two journals stored "zulu" first.
    const old = new SqliteDatabase(path);
    await old.query(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
    );
    for (const [version, statements] of migrations(old.capabilities).slice(0, 2)) {
      for (const statement of statements) await old.query(statement);
      await old.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [version, T0]);
    }
    for (const key of ["zulu", "alpha"])
      await old.query(
        `INSERT INTO journals (key, company, journal_name, source, content_hash, payload, line_count, post,
           marker, state, attempt, available_at, created_at, updated_at)
         VALUES (?, 'usmf', 'GenJrn', 'old.csv', ?, '{}', 2, 1, ?, 'ready', 0, ?, ?, ?)`,
        [key, `hash-${key}`, `lb:${key}`, T0, T0, T0],
      );
    await old.close();

    const store = await openStore(path);
    await store.enqueue(
      {
        key: "bravo",
        company: "usmf",
        journalName: "GenJrn",
        source: "new.csv",
        contentHash: "hash-bravo",
        payload: "{}",
        lineCount: 2,
        post: true,
        marker: "lb:bravo",
      },
      T0,
    );
    const claimed = await store.claim("worker", 10, 60_000, T0 + 1);
    assert.deepEqual(
      claimed.map((journal) => journal.key),
      ["zulu", "alpha", "bravo"],
    );
    await store.close();
  });
});
