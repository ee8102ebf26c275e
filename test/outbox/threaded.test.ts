import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BridgeError, InputError, isBridgeError, UsageError } from "../../src/core/errors/bridge-error.js";
import { fromWire, toWire } from "../../src/core/errors/wire.js";
import { openStore } from "../../src/outbox/open.js";
import { openThreadedStore, storeOverPort } from "../../src/outbox/threaded.js";

const T0 = Date.parse("2026-11-30T12:00:00Z");
const journal = (key: string, contentHash = "a".repeat(64)) => ({
  key,
  company: "usmf",
  journalName: "GenJrn",
  source: "test",
  contentHash,
  payload: "{}",
  lineCount: 2,
  post: false,
  marker: `lb:${key}`,
});

describe("the SQLite outbox on its own thread", () => {
  it("reports a store that cannot be opened with the outbox's code", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "lb-threaded-")), "a-file");
    writeFileSync(file, "not a directory");
    await assert.rejects(openThreadedStore(join(file, "outbox.db")), (error: unknown) => {
      assert.ok(isBridgeError(error));
      assert.equal(error.code, "OUTBOX_UNAVAILABLE");
      return true;
    });
  });

  it("answers like the store itself, errors keep their code, and a shared port reaches the same store", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "lb-threaded-")), "outbox.db");
    const store = await openThreadedStore(path);
    assert.equal((await store.enqueue(journal("t1"), T0)).outcome, "created");
    assert.equal((await store.enqueue(journal("t1"), T0)).outcome, "duplicate");
    const conflict = await store.enqueue(journal("t1", "b".repeat(64)), T0).catch((error: unknown) => error);
    assert.ok(conflict instanceof BridgeError, "the error crosses the thread as a BridgeError");
    assert.ok(isBridgeError(conflict));
    assert.equal(conflict.code, "OUTBOX_CONFLICT");
    assert.equal(
      (conflict.message.match(/Give the changed journal a new key/g) ?? []).length,
      1,
      "the fix once",
    );

    // Another thread's line to the same store (here: this thread, over a port).
    const port = store.share();
    const other = storeOverPort(port);
    const [claimed] = await other.claim("w", 10, 60_000, T0);
    assert.equal(claimed?.key, "t1");
    assert.deepEqual(
      await other.extendLeases("w", [{ key: "t1", attempt: 1 }], T0 + 120_000),
      new Set(["t1"]),
    );
    await other.close();
    assert.equal((await store.get("t1"))?.leaseOwner, "w", "closing a shared line leaves the store open");
    const another = storeOverPort(store.share());
    await store.close();
    // The thread is gone: calls fail with the outbox's code instead of waiting for ever.
    for (const line of [store, another])
      await assert.rejects(line.get("t1"), (error: unknown) => {
        assert.ok(isBridgeError(error));
        assert.equal(error.code, "OUTBOX_UNAVAILABLE");
        return true;
      });

    const direct = await openStore(path);
    assert.equal((await direct.get("t1"))?.leaseUntil, T0 + 120_000, "everything was committed to the file");
    await direct.close();
  });
});

describe("errors across a thread boundary", () => {
  it("come back as their own class, with code, retryability and the message once", () => {
    const cases = [
      new BridgeError("OUTBOX_CONFLICT", "Journal k is stored with other content."),
      new UsageError("USAGE", "No such command."),
      new InputError("FILE_UNREADABLE", "a.csv cannot be read."),
      new BridgeError("DELIVERY_INTERRUPTED", "The store went away.", { retryable: "no" }),
    ];
    for (const error of cases) {
      // Through structured cloning, as postMessage carries it.
      const rebuilt = fromWire(structuredClone(toWire(error)));
      assert.equal(rebuilt.constructor, error.constructor, error.name);
      assert.equal(rebuilt.message, error.message);
      assert.ok(isBridgeError(rebuilt));
      assert.equal(rebuilt.code, error.code);
      assert.equal(rebuilt.retryable, error.retryable);
    }
    const plain = fromWire(structuredClone(toWire(new TypeError("boom"))));
    assert.equal(plain.name, "TypeError");
    assert.equal(plain.message, "boom");
  });
});
