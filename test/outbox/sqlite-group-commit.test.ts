import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { inBackground, SqliteDatabase } from "../../src/outbox/sqlite.js";

function database(): SqliteDatabase {
  const db = new SqliteDatabase(join(mkdtempSync(join(tmpdir(), "lb-group-")), "group.db"));
  return db;
}

describe("SQLite group commit", () => {
  it("runs transactions that queue up each in its own savepoint: one that fails leaves no trace and takes no other down", async () => {
    const db = database();
    await db.query("CREATE TABLE t (k TEXT PRIMARY KEY)");
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The first transaction holds the queue until released; the others queue up behind it.
    const first = db.transaction(async () => {
      await db.query("INSERT INTO t VALUES ('first')");
      await gate;
      return "first";
    });
    const queued = Array.from({ length: 6 }, (_, index) =>
      db.transaction(async () => {
        await db.query("INSERT INTO t VALUES (?)", [`q${index}`]);
        if (index === 3) {
          await db.query("INSERT INTO t VALUES ('ghost')");
          throw new Error("refused");
        }
        // A transaction sees its own writes, and a nested one runs inside it.
        const seen = await db.transaction(() => db.query("SELECT k FROM t WHERE k = ?", [`q${index}`]));
        return seen.length;
      }),
    );
    release();
    assert.equal(await first, "first");
    const settled = await Promise.allSettled(queued);
    assert.deepEqual(
      settled.map((result) =>
        result.status === "fulfilled" ? result.value : (result.reason as Error).message,
      ),
      [1, 1, 1, "refused", 1, 1],
    );
    const rows = (await db.query("SELECT k FROM t ORDER BY k")).map((row) => row.k);
    assert.deepEqual(rows, ["first", "q0", "q1", "q2", "q4", "q5"], "q3 and its ghost row were undone");
    await db.close();
  });

  it("commits a foreground transaction before background ones that queued ahead of it", async () => {
    const db = database();
    await db.query("CREATE TABLE t (k TEXT PRIMARY KEY)");
    const committed: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      running = resolve;
    });
    const insert = (name: string) => db.query("INSERT INTO t VALUES (?)", [name]);
    // The worker's first transaction is running (and runs past the background group's time budget)
    // when the others queue: four more of the worker's, then an API request's.
    const first = inBackground(() =>
      db.transaction(async () => {
        await insert("bg0");
        running();
        await gate;
        const until = performance.now() + 10;
        while (performance.now() < until);
      }),
    ).then(() => committed.push("bg0"));
    await started;
    const queued = [1, 2, 3, 4].map((index) =>
      inBackground(() => db.transaction(() => insert(`bg${index}`))).then(() => committed.push(`bg${index}`)),
    );
    const request = db.transaction(() => insert("api")).then(() => committed.push("api"));
    release();
    await Promise.all([first, request, ...queued]);
    assert.deepEqual(committed, ["bg0", "api", "bg1", "bg2", "bg3", "bg4"]);
    assert.equal(Number((await db.query("SELECT COUNT(*) AS n FROM t"))[0]?.n), 6);
    await db.close();
  });

  it("answers a read between groups, not after a stream of background groups", async () => {
    const db = database();
    await db.query("CREATE TABLE t (k TEXT PRIMARY KEY)");
    const done: string[] = [];
    // Each background transaction outlasts a background group's budget: one group each.
    const slow = (name: string) =>
      inBackground(() =>
        db.transaction(async () => {
          await db.query("INSERT INTO t VALUES (?)", [name]);
          const until = performance.now() + 6;
          while (performance.now() < until);
        }),
      ).then(() => done.push(name));
    const first = slow("bg0");
    const rest = [1, 2, 3, 4].map((index) => slow(`bg${index}`));
    const read = db.query("SELECT COUNT(*) AS n FROM t").then((rows) => {
      done.push(`read:${rows[0]?.n}`);
    });
    await Promise.all([first, read, ...rest]);
    assert.deepEqual(done.slice(0, 2), ["bg0", "read:1"], "the read comes right after the first group");
    await db.close();
  });

  it("commits what is queued before it closes", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "lb-group-")), "close.db");
    const db = new SqliteDatabase(path);
    await db.query("CREATE TABLE t (k TEXT PRIMARY KEY)");
    // Background transactions that each outlast a group's budget: several groups, several turns.
    const queued = [0, 1, 2, 3].map((index) =>
      inBackground(() =>
        db.transaction(async () => {
          await db.query("INSERT INTO t VALUES (?)", [`k${index}`]);
          const until = performance.now() + 6;
          while (performance.now() < until);
        }),
      ),
    );
    await db.close();
    await Promise.all(queued);
    const again = new SqliteDatabase(path);
    assert.equal(Number((await again.query("SELECT COUNT(*) AS n FROM t"))[0]?.n), 4);
    await again.close();
  });

  it("keeps every commit durable before the caller hears of it, across a reopen", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "lb-group-")), "durable.db");
    const db = new SqliteDatabase(path);
    await db.query("CREATE TABLE t (k TEXT PRIMARY KEY)");
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        db.transaction(() => db.query("INSERT INTO t VALUES (?)", [`k${index}`])),
      ),
    );
    await db.close();
    const again = new SqliteDatabase(path);
    assert.equal(Number((await again.query("SELECT COUNT(*) AS n FROM t"))[0]?.n), 200);
    await again.close();
  });
});
