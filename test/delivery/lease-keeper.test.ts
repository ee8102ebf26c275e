import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { Journal } from "../../src/core/journal.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import { type Leased, LeaseKeeper, type Scheduler } from "../../src/delivery/lease-keeper.js";
import type { OutboxStore } from "../../src/outbox/store.js";
import { fakeTime, memoryLogger } from "../helpers/client.js";
import { readText } from "../helpers/read.js";
import { ENGINES, type TestStore } from "../helpers/stores.js";

const LEASE = 30_000;

async function twoJournals(): Promise<Journal[]> {
  const text = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
    "lease-a,usmf,GenJrn,V1,2026-11-30,601100,1.00,,USD",
    "lease-a,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD",
    "lease-b,usmf,GenJrn,V1,2026-11-30,601100,2.00,,USD",
    "lease-b,usmf,GenJrn,V1,2026-11-30,110110,,2.00,USD",
  ].join("\n");
  return (await readText("lease.csv", `${text}\n`)).journals;
}

describe("lease keeper (heartbeat on the injected clock and scheduler)", () => {
  let test: TestStore;
  let store: OutboxStore;
  beforeEach(async () => {
    test = await (ENGINES[0] as (typeof ENGINES)[number]).open();
    store = test.store;
    await enqueueJournals(store, await twoJournals(), { source: "test", post: false });
  });
  afterEach(() => test.cleanup());

  async function claimed(time: ReturnType<typeof fakeTime>): Promise<Leased[]> {
    const claims = await store.claim("keeper", 10, LEASE, time.clock.now());
    return claims.map((claim) => ({
      key: claim.key,
      attempt: claim.attempt,
      sendUntil: time.clock.now() + LEASE,
      done: false,
    }));
  }

  it("beats three times a lease and stops when released", async () => {
    const time = fakeTime(Date.now());
    const scheduled: number[] = [];
    let cancelled = 0;
    const schedule: Scheduler = (_beat, everyMs) => {
      scheduled.push(everyMs);
      return () => cancelled++;
    };
    const keeper = new LeaseKeeper({
      store,
      workerId: "keeper",
      clock: time.clock,
      leaseMs: LEASE,
      writeGraceMs: 0,
      schedule,
    });
    const release = keeper.keep(await claimed(time));
    assert.deepEqual(scheduled, [LEASE / 3]);
    release();
    assert.equal(cancelled, 1);
  });

  it("moves the send window only when the store confirms, from the time the beat was asked", async () => {
    const time = fakeTime(Date.now());
    const items = await claimed(time);
    const keeper = new LeaseKeeper({
      store,
      workerId: "keeper",
      clock: time.clock,
      leaseMs: LEASE,
      writeGraceMs: 1000,
    });
    time.advance(10_000);
    const asked = time.clock.now();
    await keeper.beat(items);
    assert.deepEqual(
      items.map((item) => [item.sendUntil, item.done]),
      items.map(() => [asked + LEASE, false]),
    );
    const stored = await store.get("lease-a");
    assert.equal(stored?.leaseUntil, asked + LEASE + 1000, "the stored lease covers the write grace too");
  });

  it("logs a failed renewal (not swallowed) and leaves the window to close at the last confirmed lease", async () => {
    const time = fakeTime(Date.now());
    const items = await claimed(time);
    const before = items.map((item) => item.sendUntil);
    const failing: OutboxStore = Object.create(store, {
      extendLeases: { value: () => Promise.reject(new Error("connection terminated")) },
    });
    const { logger, lines } = memoryLogger();
    const keeper = new LeaseKeeper({
      store: failing,
      workerId: "keeper",
      clock: time.clock,
      leaseMs: LEASE,
      writeGraceMs: 0,
      logger,
    });
    time.advance(10_000);
    await keeper.beat(items);
    assert.deepEqual(
      items.map((item) => item.sendUntil),
      before,
    );
    assert.ok(
      lines.some((line) => /lease renewal failed/.test(line) && /connection terminated/.test(line)),
      lines.join(""),
    );
  });

  it("releases a journal whose lease another worker now holds from the round", async () => {
    const time = fakeTime(Date.now());
    const items = await claimed(time);
    // The lease lapses; another worker claims lease-a (and lease-b) with a new attempt number.
    time.advance(LEASE + 1);
    await store.claim("other", 1, LEASE, time.clock.now());
    const { logger, lines } = memoryLogger();
    const keeper = new LeaseKeeper({
      store,
      workerId: "keeper",
      clock: time.clock,
      leaseMs: LEASE,
      writeGraceMs: 0,
      logger,
    });
    await keeper.beat(items);
    const lost = items.filter((item) => item.done).map((item) => item.key);
    assert.equal(lost.length, 1, "the journal the other worker claimed is released");
    assert.ok(lines.some((line) => /lease lost/.test(line)));
    const kept = items.find((item) => !item.done);
    assert.equal(kept?.sendUntil, time.clock.now() + LEASE, "the other one is still held");
  });
});
