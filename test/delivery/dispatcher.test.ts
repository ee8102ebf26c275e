/**
 * The dispatcher's scheduling, over a protocol whose steps only count: requests in flight never
 * exceed the senders, lines from several claims fill one request, the end is split over the
 * senders, and a failure to record stops claiming and releases every lease. The engine's tests and
 * the conformance matrix run it over the real protocol, store and emulator.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Claimed, Dispatcher } from "../../src/delivery/dispatcher.js";
import type { DeliveryProtocol, Step } from "../../src/delivery/protocol.js";
import type { Work } from "../../src/delivery/work.js";

const LINES = 4;

function journal(key: string): Work {
  return {
    key,
    attempt: 1,
    sendUntil: Number.POSITIVE_INFINITY,
    done: false,
    claim: { post: false },
    journal: {},
    compiled: { lineCount: LINES, rest: () => Array.from({ length: LINES }) },
    state: "ready",
    batchNumber: null,
    linesDone: false,
  } as unknown as Work;
}

/** A protocol whose steps take a tick each and record what they were given. */
function countingProtocol(options: { failOn?: number } = {}) {
  const sent: { step: Step; journals: number; operations: number }[] = [];
  let inFlight = 0;
  let most = 0;
  const protocol = {
    next(item: Work): Step | undefined {
      if (item.done) return undefined;
      if (item.batchNumber === null) return "open";
      if (!item.linesDone) return "complete";
      return undefined;
    },
    operations(item: Work, step: Step) {
      return step === "complete" ? item.compiled.lineCount : 1;
    },
    async step(step: Step, group: readonly Work[]) {
      inFlight++;
      most = Math.max(most, inFlight);
      const operations = group.reduce((sum, item) => sum + protocol.operations(item, step), 0);
      sent.push({ step, journals: group.length, operations });
      await new Promise((resolve) => setTimeout(resolve, 2));
      inFlight--;
      if (options.failOn !== undefined && sent.length === options.failOn)
        throw new Error("the store is away");
      for (const item of group) {
        if (step === "open") item.batchNumber = `B-${item.key}`;
        else {
          item.linesDone = true;
          item.done = true;
        }
      }
    },
  };
  return { protocol: protocol as unknown as DeliveryProtocol, sent, most: () => most };
}

/** Claims of `size` journals until `total` are claimed; counts the claims finished. */
function claims(total: number, size: number) {
  let claimed = 0;
  const finished: number[] = [];
  return {
    finished,
    claim: async (): Promise<Claimed | undefined> => {
      const count = Math.min(size, total - claimed);
      const start = claimed;
      claimed += count;
      const work = Array.from({ length: count }, (_, index) => journal(`j${start + index}`));
      // An empty claim holds no lease (the engine's finishes as a no-op).
      return { claimed: count, work, finished: () => count > 0 && finished.push(start) };
    },
  };
}

describe("the dispatcher", () => {
  it("keeps at most `concurrency` requests in flight, fills lines requests across claims, and releases each claim once", async () => {
    const { protocol, sent, most } = countingProtocol();
    const source = claims(200, 10);
    const dispatcher = new Dispatcher({ protocol, concurrency: 4, maxOperations: 100, claim: source.claim });
    assert.equal(await dispatcher.run(), 200);
    assert.ok(most() <= 4, `in flight at most 4, was ${most()}`);
    const opened = sent.filter((each) => each.step === "open").reduce((sum, each) => sum + each.journals, 0);
    const completed = sent
      .filter((each) => each.step === "complete")
      .reduce((sum, each) => sum + each.journals, 0);
    assert.deepEqual([opened, completed], [200, 200], "every journal opened and completed once");
    assert.ok(
      sent.some((each) => each.step === "complete" && each.journals > 10),
      "a lines request carries journals of more than one claim of 10",
    );
    assert.ok(sent.every((each) => each.operations <= 100));
    assert.deepEqual(
      [...source.finished].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, index) => index * 10),
      "each claim's leases released once",
    );
  });

  it("splits what is left over the senders once nothing more is due, so the last requests are small", async () => {
    const { protocol, sent } = countingProtocol();
    const source = claims(100, 100);
    await new Dispatcher({ protocol, concurrency: 4, maxOperations: 400, claim: source.claim }).run();
    const lines = sent.filter((each) => each.step === "complete");
    // 400 operations of lines: one full request while more might come would leave three senders idle.
    assert.ok(lines.length >= 4, `the lines went in ${lines.length} requests`);
    assert.ok(lines.every((each) => each.operations <= 200));
  });

  it("stops claiming when a step cannot record, finishes what is in flight, releases every claim and throws", async () => {
    const { protocol, sent } = countingProtocol({ failOn: 3 });
    const source = claims(1000, 10);
    const dispatcher = new Dispatcher({ protocol, concurrency: 2, maxOperations: 40, claim: source.claim });
    await assert.rejects(dispatcher.run(), /the store is away/);
    assert.ok(sent.length < 20, `stopped soon after the failure (${sent.length} steps)`);
    const claimed = new Set(source.finished);
    assert.equal(claimed.size, source.finished.length, "no claim released twice");
    assert.ok(source.finished.length >= 1);
  });

  it("claims again after journals come back due while held, and ends when a claim finds none with none held", async () => {
    const { protocol } = countingProtocol();
    let round = 0;
    const dispatcher = new Dispatcher({
      protocol,
      concurrency: 2,
      maxOperations: 40,
      claim: async () => {
        round++;
        // The first claim brings 5; the second (while those are held) finds none; the third 5 more.
        const count = round === 1 || round === 3 ? 5 : 0;
        return {
          claimed: count,
          work: Array.from({ length: count }, (_, index) => journal(`r${round}-${index}`)),
          finished: () => undefined,
        };
      },
    });
    assert.equal(await dispatcher.run(), 10);
    assert.ok(round >= 4, `claimed ${round} times`);
  });

  it("stops: the requests in flight finish, no more are sent, and what is pooled is given back", async () => {
    const { protocol, sent } = countingProtocol();
    const source = claims(1000, 100);
    const givenBack: string[] = [];
    const dispatcher = new Dispatcher({
      protocol,
      concurrency: 2,
      maxOperations: 40,
      claim: source.claim,
      giveBack: async (items) => {
        givenBack.push(...items.map((item) => item.key));
      },
    });
    const running = dispatcher.run();
    await new Promise((resolve) => setTimeout(resolve, 10));
    dispatcher.stop();
    const claimed = await running;
    const sentAtStop = sent.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sent.length, sentAtStop, "nothing is sent after the stop");
    assert.ok(givenBack.length > 0, "journals claimed ahead were given back");
    assert.equal(source.finished.length, claimed / 100, "every claim's leases released");
  });
});
