import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { BridgeError } from "../../src/core/errors/bridge-error.js";
import type { NewJournal, OutboxStore } from "../../src/outbox/store.js";
import { ENGINES, type TestStore } from "../helpers/stores.js";

const T0 = Date.parse("2026-11-30T12:00:00Z");
const LEASE = 30_000;

function journal(key: string, overrides: Partial<NewJournal> = {}): NewJournal {
  return {
    key,
    company: "usmf",
    journalName: "GenJrn",
    source: "file-a.csv",
    contentHash: `hash-of-${key}`,
    payload: `{"key":"${key}"}`,
    lineCount: 2,
    post: true,
    marker: `lb:${key}`,
    ...overrides,
  };
}

for (const engine of ENGINES) {
  describe(`outbox conformance: ${engine.name}`, async () => {
    const skip = await engine.skip();
    if (skip !== undefined) {
      it(`skipped: ${skip}`, { skip }, () => undefined);
      return;
    }
    let test: TestStore;
    let store: OutboxStore;
    beforeEach(async () => {
      test = await engine.open();
      store = test.store;
    });
    afterEach(() => test.cleanup());

    it("stores a journal under its key: same content is a no-op, other content a conflict naming both", async () => {
      const first = await store.enqueue(journal("k1"), T0);
      assert.equal(first.outcome, "created");
      assert.equal(first.journal.state, "ready");
      const again = await store.enqueue(journal("k1", { source: "file-b.csv" }), T0 + 1);
      assert.equal(again.outcome, "duplicate");
      assert.equal(again.journal.source, "file-a.csv");
      await assert.rejects(
        store.enqueue(journal("k1", { source: "file-b.csv", contentHash: "other" }), T0),
        (error: unknown) => {
          assert.ok(error instanceof BridgeError);
          assert.equal(error.code, "OUTBOX_CONFLICT");
          assert.match(error.message, /stored from file-a\.csv .* file-b\.csv gives it other content/);
          return true;
        },
      );
    });

    it("stores a list all or nothing: any conflict stores none of it and names each conflicting key", async () => {
      await store.enqueue(journal("all-1"), T0);
      const results = await store.enqueueAll([journal("all-1"), journal("all-2")], T0 + 1);
      assert.deepEqual(
        results.map((result) => `${result.journal.key}:${result.outcome}`),
        ["all-1:duplicate", "all-2:created"],
      );
      await assert.rejects(
        store.enqueueAll(
          [
            journal("all-3"),
            journal("all-1", { contentHash: "other" }),
            journal("all-2", { contentHash: "x" }),
          ],
          T0 + 2,
        ),
        (error: unknown) => {
          assert.ok(error instanceof BridgeError);
          assert.equal(error.code, "OUTBOX_CONFLICT");
          assert.match(error.message, /^2 of 3 journals conflict/);
          assert.match(error.message, /Journal all-1 .*Journal all-2 /);
          return true;
        },
      );
      assert.equal(await store.get("all-3"), undefined, "rolled back with the rest");
      assert.deepEqual(await store.events("all-3"), []);
    });

    it("claims equally due journals in the order they were stored, not by key", async () => {
      await store.enqueueAll(
        ["zulu", "alpha", "mike"].map((key) => journal(key)),
        T0,
      );
      await store.enqueue(journal("bravo"), T0);
      const claimed = await store.claim("worker-a", 10, LEASE, T0 + 1);
      assert.deepEqual(
        claimed.map((j) => j.key),
        ["zulu", "alpha", "mike", "bravo"],
      );
    });

    it("leases each due journal to one worker at a time, with a new attempt number", async () => {
      for (const key of ["k1", "c1", "c2", "c3"]) await store.enqueue(journal(key), T0);
      const a = await store.claim("worker-a", 2, LEASE, T0 + 10);
      const b = await store.claim("worker-b", 10, LEASE, T0 + 10);
      const keysA = a.map((j) => j.key);
      const keysB = b.map((j) => j.key);
      assert.equal(keysA.length + keysB.length, 4, "k1 and c1..c3");
      assert.deepEqual(
        keysA.filter((key) => keysB.includes(key)),
        [],
      );
      assert.ok([...a, ...b].every((j) => j.attempt === 1 && j.leaseUntil === T0 + 10 + LEASE));
      assert.deepEqual(await store.claim("worker-c", 10, LEASE, T0 + 20), [], "all leased");
      const expired = await store.claim("worker-c", 10, LEASE, T0 + 10 + LEASE + 1);
      assert.equal(expired.length, 4, "expired leases return to the pool");
      assert.ok(expired.every((j) => j.attempt === 2 && j.leaseOwner === "worker-c"));
    });

    it("claims and records more journals than one transaction holds, in order, each once", async () => {
      // 130 journals: more than two of the store's write chunks (it claims and records in pieces).
      const keys = Array.from({ length: 130 }, (_, index) => `bulk-${String(index).padStart(3, "0")}`);
      for (const [index, key] of keys.entries()) await store.enqueue(journal(key), T0 + index);
      const first = await store.claim("worker-a", 120, LEASE, T0 + 1_000);
      assert.deepEqual(
        first.map((j) => j.key),
        keys.slice(0, 120),
        "the 120 due first, in order",
      );
      const rest = await store.claim("worker-b", 120, LEASE, T0 + 1_000);
      assert.deepEqual(
        rest.map((j) => j.key),
        keys.slice(120),
      );
      const entries = first.map((j) => ({
        key: j.key,
        attempt: j.attempt,
        changes: { state: "lines_created" as const, journalBatchNumber: `B-${j.key}` },
        detail: {},
      }));
      // One entry fenced out (another attempt) in the middle of the list: only it comes back false.
      const fenced = entries.map((entry, index) => (index === 77 ? { ...entry, attempt: 99 } : entry));
      const results = await store.settleMany("worker-a", fenced, T0 + 2_000);
      assert.equal(results.length, 120);
      assert.deepEqual(
        results.flatMap((ok, index) => (ok ? [] : [index])),
        [77],
      );
      assert.equal((await store.get(keys[119] as string))?.journalBatchNumber, `B-${keys[119]}`);
      assert.equal((await store.get(keys[77] as string))?.state, "ready");
    });

    it("fences: a worker whose lease expired cannot settle a journal another worker finished", async () => {
      await store.enqueue(journal("f1"), T0);
      const [stale] = await store.claim("stale", 1, LEASE, T0 + 100_000);
      assert.equal(stale?.key, "f1");
      const [fresh] = await store.claim("fresh", 1, LEASE, T0 + 100_000 + LEASE + 1);
      assert.equal(fresh?.key, "f1");
      assert.ok(
        await store.settle(
          "f1",
          fresh?.attempt ?? 0,
          "fresh",
          { state: "posted", journalBatchNumber: "USMF-000009", postedAt: T0 },
          {},
          T0 + 200_000,
        ),
      );
      assert.equal(
        await store.settle(
          "f1",
          stale?.attempt ?? 0,
          "stale",
          { state: "dead", lastError: "late" },
          {},
          T0 + 200_001,
        ),
        false,
      );
      assert.deepEqual(
        await store.extendLeases("stale", [{ key: "f1", attempt: stale?.attempt ?? 0 }], T0 + 999_999),
        new Set(),
      );
      const final = await store.get("f1");
      assert.equal(final?.state, "posted");
      assert.equal(final?.journalBatchNumber, "USMF-000009");
    });

    it("extends the leases a worker still holds, in one call, and no others", async () => {
      await store.enqueue(journal("x1"), T0);
      await store.enqueue(journal("x2"), T0);
      const claims = await store.claim("w", 2, LEASE, T0);
      assert.equal(claims.length, 2);
      const [first, second] = claims;
      const held = await store.extendLeases(
        "w",
        [
          { key: first?.key ?? "", attempt: first?.attempt ?? 0 },
          { key: second?.key ?? "", attempt: (second?.attempt ?? 0) + 1 },
        ],
        T0 + 5 * LEASE,
      );
      assert.deepEqual(held, new Set([first?.key]), "a stale attempt is not this claim");
      assert.equal((await store.get(first?.key ?? ""))?.leaseUntil, T0 + 5 * LEASE);
      assert.deepEqual(
        await store.extendLeases("other", [{ key: "x1", attempt: 1 }], T0 + 9 * LEASE),
        new Set(),
      );
      assert.deepEqual(await store.extendLeases("w", [], T0), new Set());
    });

    it("records progress step by step, with every transition in the audit trail", async () => {
      await store.enqueue(journal("p1", { post: true }), T0);
      const [claimed] = await store.claim("w", 1, LEASE, T0 + 300_000);
      assert.equal(claimed?.key, "p1");
      const attempt = claimed?.attempt ?? 0;
      assert.ok(
        await store.settle(
          "p1",
          attempt,
          "w",
          { state: "header_created", journalBatchNumber: "USMF-000042", keepLease: true },
          { requestId: "r1" },
          T0 + 300_001,
        ),
      );
      assert.ok(
        await store.settle(
          "p1",
          attempt,
          "w",
          { state: "lines_created", linesConfirmedAt: T0 + 300_002, keepLease: true },
          { requestId: "r2" },
          T0 + 300_002,
        ),
      );
      const vouchers = [{ voucher: "V1", postedVoucher: "USMF-V00000001", transDate: "2026-11-30" }];
      assert.ok(
        await store.settle(
          "p1",
          attempt,
          "w",
          { state: "posted", postedAt: T0 + 300_003, vouchers },
          { requestId: "r3" },
          T0 + 300_003,
        ),
      );
      const stored = await store.get("p1");
      assert.deepEqual(
        {
          state: stored?.state,
          batch: stored?.journalBatchNumber,
          vouchers: stored?.vouchers,
          lease: stored?.leaseOwner,
        },
        { state: "posted", batch: "USMF-000042", vouchers, lease: null },
      );
      const trail = await store.events("p1");
      assert.deepEqual(
        trail.map((event) => `${event.fromState ?? "-"}>${event.toState}`),
        [
          "->ready",
          "ready>ready",
          "ready>header_created",
          "header_created>lines_created",
          "lines_created>posted",
        ],
      );
      assert.deepEqual(trail[0]?.detail, { source: "file-a.csv", lines: 2 }, "stored with its first event");
      assert.equal(trail[0]?.attempt, 0);
      assert.equal(trail[2]?.detail.requestId, "r1");
      assert.equal(trail[2]?.worker, "w");
    });

    it("keeps a retry waiting until it is due, and never claims posted or dead journals", async () => {
      await store.enqueue(journal("r1"), T0);
      const [claimed] = await store.claim("w", 1, LEASE, T0 + 400_000);
      assert.equal(claimed?.key, "r1");
      await store.settle(
        "r1",
        claimed?.attempt ?? 0,
        "w",
        {
          state: "retry_wait",
          availableAt: T0 + 500_000,
          lastErrorCode: "D365_SERVER_ERROR",
          lastError: "502",
        },
        {},
        T0 + 400_001,
      );
      assert.deepEqual(
        (await store.claim("w", 10, LEASE, T0 + 499_999)).map((j) => j.key),
        [],
      );
      assert.deepEqual(
        (await store.claim("w", 10, LEASE, T0 + 500_000)).map((j) => j.key),
        ["r1"],
      );
    });

    it("redrives dead journals back to ready, with the actor in the trail", async () => {
      await store.enqueue(journal("d1"), T0);
      const [claimed] = await store.claim("w", 1, LEASE, T0 + 600_000);
      await store.settle(
        "d1",
        claimed?.attempt ?? 0,
        "w",
        { state: "dead", lastErrorCode: "D365_BUSINESS_RULE", lastError: "Infolog" },
        {},
        T0 + 600_001,
      );
      assert.equal((await store.get("d1"))?.lastErrorCode, "D365_BUSINESS_RULE");
      assert.equal(await store.redrive({}, "admin:alice", T0 + 700_000), 1);
      const redriven = await store.get("d1");
      assert.equal(redriven?.state, "ready");
      assert.equal(redriven?.lastErrorCode, null);
      assert.equal((await store.events("d1")).at(-1)?.worker, "admin:alice");
      assert.equal(await store.redrive(["d1"], "admin", T0 + 700_001), 0, "only dead journals move");
    });

    it("cancels journals not yet delivered and not in flight; a worker that held one records nothing more", async () => {
      for (const key of ["c-ready", "c-held", "c-late", "c-posted"]) await store.enqueue(journal(key), T0);
      // c-posted is delivered; c-held is leased right now; c-late was leased, the lease has run out.
      const claimed = await store.claim("w", 4, LEASE, T0 + 1);
      const attemptOf = (key: string) => claimed.find((each) => each.key === key)?.attempt ?? 0;
      await store.settle(
        "c-posted",
        attemptOf("c-posted"),
        "w",
        { state: "posted", postedAt: T0 + 2 },
        {},
        T0 + 2,
      );
      await store.settle("c-ready", attemptOf("c-ready"), "w", { state: "ready" }, {}, T0 + 2);
      await store.extendLeases("w", [{ key: "c-held", attempt: attemptOf("c-held") }], T0 + 10 * LEASE);
      const at = T0 + 2 * LEASE;
      const result = await store.cancel(
        ["c-ready", "c-held", "c-late", "c-posted", "c-none"],
        "admin:bob",
        at,
      );
      assert.deepEqual([...result.cancelled].sort(), ["c-late", "c-ready"]);
      assert.deepEqual(
        result.refused.map((each) => [each.key, each.reason, each.state ?? null]),
        [
          ["c-held", "in-flight", "ready"],
          ["c-posted", "delivered", "posted"],
          ["c-none", "unknown", null],
        ],
      );
      assert.equal((await store.get("c-late"))?.state, "cancelled");
      assert.equal((await store.events("c-late")).at(-1)?.worker, "admin:bob");
      // The worker that held c-late before its lease ran out cannot record anything for it now.
      assert.equal(
        await store.settle(
          "c-late",
          attemptOf("c-late"),
          "w",
          { state: "header_created", journalBatchNumber: "X" },
          {},
          at + 1,
        ),
        false,
      );
      assert.equal((await store.get("c-late"))?.state, "cancelled");
      assert.deepEqual(
        await store.claim("w2", 10, LEASE, at + 100 * LEASE).then((rows) => rows.map((row) => row.key)),
        ["c-held"],
        "cancelled journals are never claimed",
      );
      assert.equal((await store.countByState()).cancelled, 2);
    });

    it("lists by state and company with a cursor, and counts by state", async () => {
      for (const key of ["a1", "a2", "a3"]) await store.enqueue(journal(key), T0);
      await store.enqueue(journal("z1", { company: "usrt" }), T0);
      const [claimed] = await store.claim("w", 1, LEASE, T0);
      await store.settle(
        claimed?.key ?? "",
        claimed?.attempt ?? 0,
        "w",
        { state: "posted", postedAt: T0 },
        {},
        T0,
      );
      const page = await store.list({ limit: 2 });
      const next = await store.list({ limit: 100, after: page.at(-1)?.key ?? "" });
      assert.equal(page.length + next.length, (await store.list({ limit: 100 })).length);
      assert.deepEqual(
        (await store.list({ company: "usrt" })).map((j) => j.key),
        ["z1"],
      );
      const counts = await store.countByState();
      assert.equal(counts.posted, 1);
      assert.ok((counts.ready ?? 0) >= 1);
      const usrt = await store.countByState(["usrt"]);
      assert.equal(
        Object.values(usrt).reduce((sum, n) => sum + n, 0),
        1,
        "one journal of usrt",
      );
      assert.deepEqual(await store.countByState([]), {}, "no companies, no journals");
    });

    it("names a run's journals, created or already stored, and tells its progress in one query", async () => {
      await store.enqueue(journal("earlier", { post: false }), T0);
      await store.enqueueAll([journal("r1"), journal("r2"), journal("earlier", { post: false })], T0, {
        run: "run-1",
      });
      await store.enqueue(journal("r3"), T0, { run: "run-1" });
      await store.enqueueAll([journal("other")], T0, { run: "run-2" });
      const claimed = await store.claim("w", 5, LEASE, T0);
      const settle = (key: string, changes: Parameters<OutboxStore["settle"]>[3]) => {
        const claim = claimed.find((each) => each.key === key);
        return store.settle(key, claim?.attempt ?? 0, "w", changes, {}, T0 + 10);
      };
      await settle("r1", { state: "posted", postedAt: T0 });
      await settle("earlier", { state: "lines_created", linesConfirmedAt: T0 });
      await settle("r2", { state: "retry_wait", availableAt: T0 + 5_000 });
      const progress = await store.progress({ run: "run-1" });
      assert.deepEqual(progress.byState, { posted: 1, lines_created: 1, retry_wait: 1, ready: 1 });
      assert.equal(progress.delivered, 2, "posted, and lines created for a journal not to be posted");
      assert.equal(progress.pending, 2);
      // r3 is leased (until T0 + LEASE), r2 waits until T0 + 5 s: the earlier one.
      assert.equal(progress.nextDueAt, T0 + 5_000);
      assert.deepEqual(
        (await store.list({ run: "run-1", limit: 10 })).map((each) => each.key),
        ["earlier", "r1", "r2", "r3"],
      );
      assert.equal(await store.count({ run: "run-2" }), 1);
      await store.forgetRun("run-1", T0);
      assert.equal((await store.progress({ run: "run-1" })).pending, 0);
      assert.equal((await store.progress({ run: "run-1" })).nextDueAt, null);
      assert.equal(await store.count({ run: "run-2" }), 1, "another run's names stay");
      assert.equal((await store.get("r1"))?.state, "posted", "the journals stay");
      // A run that died is forgotten a week on by the next run that ends.
      await store.forgetRun("run-3", T0 + 8 * 24 * 3_600_000);
      assert.equal(await store.count({ run: "run-2" }), 0);
    });

    it("does not name the journals of a chunk refused for a conflict", async () => {
      await store.enqueue(journal("c1"), T0);
      await assert.rejects(
        store.enqueueAll([journal("c0"), journal("c1", { contentHash: "other" })], T0, { run: "run-c" }),
        /OUTBOX_CONFLICT|conflict/,
      );
      assert.equal(await store.count({ run: "run-c" }), 0);
    });

    it("applies migrations once, however often init runs", async () => {
      await store.enqueue(journal("k1"), T0);
      const other = await test.reopen();
      await other.init();
      assert.equal((await other.get("k1"))?.key, "k1");
    });

    it("lets concurrent claimers on separate connections take every journal exactly once", async () => {
      const keys = Array.from({ length: 60 }, (_, i) => `many-${String(i).padStart(3, "0")}`);
      for (const key of keys) await store.enqueue(journal(key), T0);
      const second = await test.reopen();
      const seen: string[] = [];
      const drain = async (outbox: OutboxStore, worker: string) => {
        for (;;) {
          const claimed = await outbox.claim(worker, 3, LEASE, T0 + 900_000);
          if (claimed.length === 0) return;
          for (const item of claimed) {
            seen.push(item.key);
            await outbox.settle(
              item.key,
              item.attempt,
              worker,
              { state: "posted", postedAt: T0 },
              {},
              T0 + 900_000,
            );
          }
        }
      };
      await Promise.all([drain(store, "one"), drain(second, "two"), drain(store, "three")]);
      const many = seen.filter((key) => key.startsWith("many-")).sort();
      assert.deepEqual(many, keys);
    });
  });
}
