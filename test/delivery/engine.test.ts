import assert from "node:assert/strict";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { Journal } from "../../src/core/journal.js";
import type { D365Client } from "../../src/d365/client.js";
import { createTarget } from "../../src/d365/targets/index.js";
import { DeliveryEngine, type EngineOptions } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { openJournalFile, readJournalText } from "../../src/ingest/source.js";
import type { OutboxStore } from "../../src/outbox/store.js";
import { clientFor, fakeTime } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";
import { ENGINES, type TestStore } from "../helpers/stores.js";

/** A lease for the stall tests: their heartbeats (every third of it, real time) never fire. */
const LEASE = 30_000;
const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

async function journalsOf(file: string): Promise<Journal[]> {
  const journals: Journal[] = [];
  for await (const event of await openJournalFile(join(EXAMPLES, file)))
    if (event.kind === "journal" && event.read.journal) journals.push(event.read.journal);
  return journals;
}

/** n balanced two-line journals with distinct keys. */
async function generated(n: number, prefix = "gen"): Promise<Journal[]> {
  const rows = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
  ];
  for (let i = 0; i < n; i++) {
    const amount = `${100 + i}.${String(i % 100).padStart(2, "0")}`;
    rows.push(
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601100,${amount},,USD`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,110110,,${amount},USD`,
    );
  }
  const journals: Journal[] = [];
  for await (const event of readJournalText("gen.csv", `${rows.join("\n")}\n`))
    if (event.kind === "journal" && event.read.journal) journals.push(event.read.journal);
  return journals;
}

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
after(() => emulator.close());

/** How many headers, lines and ledger vouchers each journal key has in the emulator. */
async function inFno(): Promise<Map<string, { headers: number; lines: number; posted: boolean }>> {
  const counts = new Map<string, { headers: number; lines: number; posted: boolean }>();
  for (const header of await emulator.admin.journals()) {
    const key = String(header.Description).split(" ")[0]?.replace(/^lb:/, "") ?? "";
    const entry = counts.get(key) ?? { headers: 0, lines: 0, posted: false };
    entry.headers++;
    entry.lines += header.lines.length;
    entry.posted ||= header.IsPosted === "Yes";
    counts.set(key, entry);
  }
  return counts;
}

for (const engine of ENGINES) {
  describe(`delivery engine on ${engine.name}`, async () => {
    const skip = await engine.skip();
    if (skip !== undefined) {
      it(`skipped: ${skip}`, { skip }, () => undefined);
      return;
    }
    let test: TestStore;
    let store: OutboxStore;
    let client: D365Client;
    beforeEach(async () => {
      await emulator.admin.reset();
      test = await engine.open();
      store = test.store;
      client = clientFor(emulator, { timeoutMs: 2000 }).client;
    });
    afterEach(async () => {
      client.close();
      await test.cleanup();
    });

    const engineFor = (options: Partial<EngineOptions> = {}) =>
      new DeliveryEngine({
        store,
        client,
        target: createTarget({
          kind: "ledger-journal",
          dimensionFormat: ["BusinessUnit", "Department", "CostCenter"],
        }),
        random: () => 0,
        ...options,
      });

    it("delivers and posts the examples; running the same file again creates nothing", async () => {
      const journals = [...(await journalsOf("journals.csv")), ...(await journalsOf("journals.json"))];
      const first = await enqueueJournals(store, journals, { source: "examples", post: true });
      assert.equal(first.created.length, 4);
      await engineFor().runUntilIdle();
      for (const journal of journals) {
        const stored = await store.get(journal.key);
        assert.equal(stored?.state, "posted", `${journal.key}: ${stored?.lastError}`);
        assert.match(String(stored?.journalBatchNumber), /^USMF-\d{6}$/);
        assert.ok((stored?.vouchers?.length ?? 0) >= 1);
      }
      const again = await enqueueJournals(store, journals, { source: "examples", post: true });
      assert.deepEqual([again.created.length, again.duplicates.length], [0, 4]);
      await engineFor().runUntilIdle();
      const fno = await inFno();
      assert.equal(fno.size, 4);
      assert.ok([...fno.values()].every((entry) => entry.headers === 1 && entry.posted));
      const ledger = await emulator.admin.ledger();
      const debit = ledger
        .filter((entry) => entry.IsCredit === "No")
        .reduce((sum, entry) => sum + Number(entry.TransactionCurrencyAmount) * 100, 0);
      assert.equal(Math.round(debit), 5333062 + 2501240 + 100000, "every debit of the examples, to the cent");
    });

    it("reconciles a header whose answer was lost instead of creating it again", async () => {
      const journals = await generated(5, "lost-header");
      await enqueueJournals(store, journals, { source: "gen", post: true });
      await emulator.admin.addFault({
        kind: "drop-after-commit",
        entitySet: "LedgerJournalHeaders",
        method: "POST",
        remaining: 1,
      });
      await engineFor().runUntilIdle();
      const fno = await inFno();
      assert.equal(fno.size, 5);
      assert.ok([...fno.values()].every((entry) => entry.headers === 1 && entry.lines === 2 && entry.posted));
      const trail = await store.events("lost-header-0");
      assert.ok(trail.some((event) => event.toState === "in_doubt"));
      assert.ok(trail.some((event) => event.detail.reconciled === "header"));
    });

    it("reconciles lines whose answer was lost (5xx after commit) and posts once", async () => {
      const journals = await generated(4, "lost-lines");
      await enqueueJournals(store, journals, { source: "gen", post: true });
      await emulator.admin.addFault({
        kind: "5xx-after-commit",
        entitySet: "LedgerJournalLines",
        method: "POST",
        remaining: 1,
      });
      await engineFor().runUntilIdle();
      const fno = await inFno();
      assert.ok([...fno.values()].every((entry) => entry.headers === 1 && entry.lines === 2 && entry.posted));
      assert.equal((await emulator.admin.ledger()).length, 8);
    });

    it("adopts a posting whose answer was lost (the service refuses the second post)", async () => {
      await enqueueJournals(store, await generated(2, "lost-post"), { source: "gen", post: true });
      // POSTs in order: the headers' $batch, the lines' $batch, then one posting call per journal;
      // the third — the first posting — is carried out and its answer lost.
      await emulator.admin.addFault({ kind: "drop-after-commit", method: "POST", everyNth: 3, remaining: 1 });
      await engineFor({ concurrency: 1 }).runUntilIdle();
      for (const key of ["lost-post-0", "lost-post-1"])
        assert.equal((await store.get(key))?.state, "posted", key);
      assert.equal((await emulator.admin.ledger()).length, 4, "each journal posted once");
      const trails = [await store.events("lost-post-0"), await store.events("lost-post-1")];
      const doubted = trails.filter((trail) => trail.some((event) => event.toState === "in_doubt"));
      assert.equal(doubted.length, 1, "one posting's outcome was unknown");
      assert.ok(
        doubted[0]?.some((event) => event.detail.reconciled === "posting"),
        "and it was adopted from F&O, not posted again",
      );
    });

    it("treats a write that hangs past the client's timeout as in doubt and reconciles it", async () => {
      await enqueueJournals(store, await generated(3, "hang"), { source: "gen", post: false });
      await emulator.admin.addFault({
        kind: "hang",
        entitySet: "LedgerJournalHeaders",
        method: "POST",
        remaining: 1,
      });
      await engineFor().runUntilIdle();
      const fno = await inFno();
      assert.equal(fno.size, 3);
      assert.ok([...fno.values()].every((entry) => entry.headers === 1 && entry.lines === 2));
      assert.ok((await store.events("hang-0")).some((event) => event.toState === "in_doubt"));
    });

    it("waits out 429 storms and retries gateway 5xx on reads without losing or doubling anything", async () => {
      const time = fakeTime();
      await enqueueJournals(store, await generated(6, "storm"), { source: "gen", post: false });
      const stormClient = clientFor(emulator, { clock: time.clock, sleep: time.sleep }).client;
      await emulator.admin.configure({ retryAfterSeconds: 1 });
      await emulator.admin.addFault({ kind: "429", everyNth: 2 });
      await new DeliveryEngine({ store, client: stormClient, random: () => 0 }).runUntilIdle();
      await emulator.admin.clearFaults();
      await new DeliveryEngine({
        store,
        client: stormClient,
        random: () => 0,
        clock: { now: () => Date.now() + 3_600_000 },
      }).runUntilIdle();
      const fno = await inFno();
      assert.equal(fno.size, 6);
      assert.ok(
        [...fno.values()].every((entry) => entry.headers === 1 && entry.lines === 2 && !entry.posted),
      );
      for (let i = 0; i < 6; i++) assert.equal((await store.get(`storm-${i}`))?.state, "lines_created");
      stormClient.close();
    });

    it("puts a journal in doubt, not dead, when recording a sent batch fails, and reconciles it", async () => {
      await enqueueJournals(store, await generated(3, "stumble"), { source: "gen", post: false });
      let failures = 1;
      // The store fails once while recording the headers' results (a deadlock, a restart): the headers
      // exist in F&O but their numbers were not recorded.
      const stumbling: OutboxStore = Object.create(store, {
        settleMany: {
          value: (...args: Parameters<OutboxStore["settleMany"]>) => {
            if (failures-- > 0) return Promise.reject(new Error("deadlock detected"));
            return store.settleMany(...args);
          },
        },
      });
      await engineFor({ store: stumbling }).runUntilIdle();
      assert.deepEqual(
        [...(await inFno()).values()].map((entry) => [entry.headers, entry.lines]),
        [
          [1, 2],
          [1, 2],
          [1, 2],
        ],
      );
      const trail = await store.events("stumble-0");
      const doubt = trail.find((event) => event.toState === "in_doubt");
      assert.equal(doubt?.detail.errorCode, "DELIVERY_INTERRUPTED");
      assert.ok(trail.some((event) => event.detail.reconciled === "header"));
      assert.equal((await store.get("stumble-0"))?.state, "lines_created");
    });

    it("marks a business-rule failure dead with F&O's Infolog, and a redrive delivers it once fixed", async () => {
      const [journal] = await generated(1, "dead");
      assert.ok(journal);
      const broken = { ...journal, journalName: "NewJrn" };
      await enqueueJournals(store, [broken], { source: "gen", post: true });
      await engineFor().runUntilIdle();
      const dead = await store.get("dead-0");
      assert.equal(dead?.state, "dead");
      assert.equal(dead?.lastErrorCode, "D365_BUSINESS_RULE");
      assert.match(String(dead?.lastError), /'NewJrn' in field 'Name' is not found/);
      await emulator.admin.call("POST", "tables/JournalNames", [
        { dataAreaId: "usmf", Name: "NewJrn", Description: "New", Type: "Daily" },
      ]);
      assert.equal(await store.redrive(["dead-0"], "test", Date.now()), 1);
      await engineFor().runUntilIdle();
      assert.equal((await store.get("dead-0"))?.state, "posted");
      assert.equal((await inFno()).get("dead-0")?.headers, 1);
    });

    it("makes a journal dead at once when a changeset is refused as not supported (501), never retried for minutes", async () => {
      // A server that does not implement what the lines need answers 501: as definite as F&O's own
      // 404/405 (nothing was carried out), so the journal is dead at once.
      await enqueueJournals(store, await generated(1, "cust"), { source: "gen", post: true });
      await emulator.admin.addFault({
        kind: "5xx-before-commit",
        status: 501,
        entitySet: "LedgerJournalLines",
        method: "POST",
        remaining: 10,
      });
      try {
        await engineFor().runUntilIdle();
      } finally {
        await emulator.admin.clearFaults();
      }
      const dead = await store.get("cust-0");
      assert.equal(dead?.state, "dead");
      assert.equal(dead?.lastErrorCode, "D365_NOT_SUPPORTED");
      assert.equal(dead?.attempt, 1, "one attempt, not ten");
    });

    it("fences a worker paused past its lease: it cannot settle a journal another worker finished", async () => {
      await enqueueJournals(store, await generated(1, "fence"), { source: "gen", post: true });
      const slowTime = fakeTime(Date.now());
      const slow = engineFor({ workerId: "slow", clock: slowTime.clock, leaseMs: 1000 });
      const [claimed] = await store.claim("slow", 1, 1000, slowTime.clock.now());
      assert.equal(claimed?.attempt, 1);
      // The slow worker's lease runs out; another worker takes the journal and delivers it.
      const fast = engineFor({ workerId: "fast", clock: { now: () => slowTime.clock.now() + 5000 } });
      await fast.runUntilIdle();
      assert.equal((await store.get("fence-0"))?.state, "posted");
      const late = await store.settle(
        "fence-0",
        claimed?.attempt ?? 0,
        "slow",
        { state: "dead", lastError: "late" },
        {},
        slowTime.clock.now() + 6000,
      );
      assert.equal(late, false);
      assert.equal((await store.get("fence-0"))?.state, "posted");
      assert.equal((await inFno()).get("fence-0")?.headers, 1);
      assert.ok(slow.workerId === "slow");
    });

    it("sends no write once the lease it last confirmed has run out; no one else claims meanwhile", async () => {
      await enqueueJournals(store, await generated(1, "stalled"), { source: "gen", post: true });
      const time = fakeTime(Date.now());
      const other = engineFor({ workerId: "other", clock: time.clock, leaseMs: LEASE });
      let othersClaim = -1;
      const stalled = engineFor({
        workerId: "stalled",
        clock: time.clock,
        leaseMs: LEASE,
        // Its last attempt: a stall is the worker's trouble, not the journal's, and never makes it dead.
        maxAttempts: 1,
        // The worker stalls after claiming, past its lease (a blocked event loop, a paused VM).
        failpoint: async (point) => {
          if (point !== "after-claim") return;
          time.advance(LEASE + 1000);
          othersClaim = await other.round();
        },
      });
      const before = (await emulator.admin.requests()).at(-1)?.seq ?? 0;
      assert.equal(await stalled.round(), 1);
      assert.equal(
        othersClaim,
        0,
        "the journal stays out of reach while a write of the stalled worker could be in flight",
      );
      const writes = (await emulator.admin.requests(before)).filter(
        (request) => request.kind === "fno" && request.method === "POST",
      );
      assert.deepEqual(writes, [], "nothing was sent after the lease ran out");
      const waiting = await store.get("stalled-0");
      assert.equal(waiting?.state, "retry_wait");
      assert.equal(waiting?.lastErrorCode, "DELIVERY_LEASE_EXPIRED");
      time.advance(3_600_000);
      await other.runUntilIdle();
      assert.equal((await store.get("stalled-0"))?.state, "posted");
      assert.deepEqual((await inFno()).get("stalled-0"), { headers: 1, lines: 2, posted: true });
    });

    it("a stop finishes the request in flight and gives back the journals claimed ahead, for another worker at once", async () => {
      await enqueueJournals(store, await generated(30, "stop"), { source: "gen", post: false });
      await emulator.admin.configure({ latency: { perRequestMs: 300, perOperationMs: 0 } });
      try {
        // One sender, claims of 10 made ahead: while the first headers are in flight, 20 more wait.
        const first = engineFor({ workerId: "first", concurrency: 1, batchSize: 10, maxBatchOperations: 40 });
        const before = (await emulator.admin.requests()).at(-1)?.seq ?? 0;
        const running = first.runUntilIdle();
        for (;;) {
          const arrived = await emulator.admin.requests(before);
          if (arrived.some((request) => request.method === "POST" && request.path.includes("$batch"))) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        first.stop();
        await running;
        const journals = await store.list({ limit: 100 });
        const givenBack = journals.filter(
          (journal) => journal.leaseOwner === null && journal.state === "ready",
        );
        assert.ok(givenBack.length >= 10, `journals given back: ${givenBack.length}`);
        const trail = await store.events(givenBack[0]?.key ?? "");
        assert.ok(trail.some((event) => String(event.detail.givenBack ?? "").includes("stopped")));
        assert.ok(
          journals.every((journal) => journal.leaseOwner === null),
          "no lease left behind",
        );
        await emulator.admin.configure({ latency: { perRequestMs: 0, perOperationMs: 0 } });
        // Another worker takes them at once (no lease to wait for) and delivers each once.
        await engineFor({ workerId: "second" }).runUntilIdle();
        const fno = await inFno();
        assert.equal([...fno.keys()].filter((key) => key.startsWith("stop-")).length, 30);
        assert.ok([...fno.values()].every((entry) => entry.headers === 1 && entry.lines === 2));
      } finally {
        await emulator.admin.configure({ latency: { perRequestMs: 0, perOperationMs: 0 } });
      }
    });

    it("keeps a journal whose write is in flight when the lease runs out from every other worker", async () => {
      await enqueueJournals(store, await generated(1, "inflight"), { source: "gen", post: true });
      // The emulator holds each request before carrying it out: the header is in flight for a while.
      await emulator.admin.configure({ latency: { perRequestMs: 300, perOperationMs: 0 } });
      try {
        const time = fakeTime(Date.now());
        const first = engineFor({ workerId: "first", clock: time.clock, leaseMs: LEASE });
        const second = engineFor({ workerId: "second", clock: time.clock, leaseMs: LEASE });
        const before = (await emulator.admin.requests()).at(-1)?.seq ?? 0;
        const round = first.round();
        // Wait until the header's $batch has reached the emulator (logged on arrival, carried out later).
        for (;;) {
          const arrived = await emulator.admin.requests(before);
          if (arrived.some((request) => request.method === "POST" && request.path.includes("$batch"))) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        // The first worker's lease ends while its header is in flight; its write grace has not. (The
        // lease is long in real time, so no heartbeat renews it during the test.)
        time.advance(LEASE + 1000);
        assert.equal(
          await second.round(),
          0,
          "a second worker would reconcile, find nothing yet, and send again",
        );
        await round;
        const header = await store.get("inflight-0");
        assert.match(
          String(header?.journalBatchNumber),
          /^USMF-/,
          "the first worker still recorded its header",
        );
        assert.equal(header?.lastErrorCode, "DELIVERY_LEASE_EXPIRED", "and sent no lines after its lease");
        time.advance(3_600_000);
        await second.runUntilIdle();
        assert.equal((await store.get("inflight-0"))?.state, "posted");
        assert.deepEqual((await inFno()).get("inflight-0"), { headers: 1, lines: 2, posted: true });
      } finally {
        await emulator.admin.configure({ latency: { perRequestMs: 0, perOperationMs: 0 } });
      }
    });
  });
}
