import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BridgeError } from "../../src/core/errors/bridge-error.js";
import type { Journal } from "../../src/core/journal.js";
import { createTarget } from "../../src/d365/targets/index.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import { journalFailure } from "../../src/delivery/failure-policy.js";
import { liveness } from "../../src/delivery/liveness.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import type { OutboxStore } from "../../src/outbox/store.js";
import { clientFor, memoryLogger } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";
import { readText } from "../helpers/read.js";
import { ENGINES } from "../helpers/stores.js";

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
after(() => emulator.close());

async function journal(key: string): Promise<Journal[]> {
  const text = `JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode\n${key},usmf,GenJrn,V1,2026-11-30,601100,1.00,,USD\n${key},usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD\n`;
  return (await readText("loop.csv", text)).journals;
}

describe("the worker loop never dies silently", () => {
  it("a round that throws is logged at error, the loop pauses with growing backoff and heals", async () => {
    const test = await (ENGINES[0] as (typeof ENGINES)[number]).open();
    const { client } = clientFor(emulator);
    const { logger, lines } = memoryLogger();
    try {
      await enqueueJournals(test.store, await journal("loop-1"), { source: "test", post: false });
      let failures = 3;
      const flaky: OutboxStore = Object.create(test.store, {
        claim: {
          value: (...args: Parameters<OutboxStore["claim"]>) =>
            failures-- > 0
              ? Promise.reject(
                  new BridgeError(
                    "OUTBOX_UNAVAILABLE",
                    "PostgreSQL cannot be reached: Connection terminated.",
                  ),
                )
              : test.store.claim(...args),
        },
      });
      const waits: number[] = [];
      const healthSeen: number[] = [];
      let engine: DeliveryEngine | undefined;
      engine = new DeliveryEngine({
        store: flaky,
        client,
        target: createTarget({ kind: "ledger-journal" }),
        concurrency: 1,
        logger,
        sleep: async (ms) => {
          waits.push(ms);
          healthSeen.push(engine?.health().failingRounds ?? -1);
          if ((await test.store.get("loop-1"))?.state === "lines_created") engine?.stop();
          await new Promise((resolve) => setTimeout(resolve, 1));
        },
      });
      await engine.run(100);
      assert.deepEqual(waits.slice(0, 3), [200, 400, 800], "backoff grows with each failure in a row");
      assert.deepEqual(healthSeen.slice(0, 3), [1, 2, 3], "health tells the failing rounds");
      assert.equal(
        (await test.store.get("loop-1"))?.state,
        "lines_created",
        "delivered once the store answers",
      );
      assert.equal(engine.health().failingRounds, 0);
      const errors = lines.filter((line) => /"level":50/.test(line) && /delivery round failed/.test(line));
      assert.equal(errors.length, 3, "each failure logged at error");
      assert.match(errors[0] as string, /OUTBOX_UNAVAILABLE/);
    } finally {
      client.close();
      await test.cleanup();
    }
  });

  it("liveness: ok, failing, stalled (but not while F&O asks to wait), starting", () => {
    const now = 1_000_000;
    assert.equal(liveness(undefined, now, 5000).state, "starting");
    assert.equal(liveness({ lastProgressAt: now - 1000, failingRounds: 0 }, now, 5000).state, "ok");
    assert.equal(
      liveness({ lastProgressAt: now - 1000, failingRounds: 2, lastFailure: "x" }, now, 5000).state,
      "failing",
    );
    assert.equal(liveness({ lastProgressAt: now - 6000, failingRounds: 0 }, now, 5000).state, "stalled");
    assert.equal(liveness({ lastProgressAt: now - 6000, failingRounds: 0 }, now, 5000, 30_000).state, "ok");
  });

  it("a store failure after a write is in doubt (reconcile first), never retry_wait that re-sends blind", () => {
    const context = { attempt: 1, maxAttempts: 10, now: 0, backoffMs: 100 };
    const unavailable = new BridgeError("OUTBOX_UNAVAILABLE", "PostgreSQL cannot be reached.");
    assert.equal(unavailable.retryable, "yes");
    assert.equal(journalFailure(unavailable, context).changes.state, "in_doubt");
    assert.equal(journalFailure(new Error("bug"), context).changes.state, "in_doubt");
    assert.equal(
      journalFailure(new BridgeError("DELIVERY_MARKER_AMBIGUOUS", "two"), context).changes.state,
      "dead",
    );
  });
});
