import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StateCounts } from "../../src/server/state-counts.js";

describe("journal counts for the polling routes", () => {
  it("counts once, serves the cache within the bound, and refreshes in the background once older", async () => {
    let clock = 0;
    let calls = 0;
    let ready = 5;
    let release: () => void = () => undefined;
    let slow = false;
    const store = {
      countByState: async () => {
        calls++;
        if (slow) await new Promise<void>((resolve) => (release = resolve));
        return { ready };
      },
    };
    const counts = new StateCounts(store, () => clock, 2000);
    assert.deepEqual(await counts.get(), { ready: 5 });
    ready = 7;
    clock = 1999;
    assert.deepEqual(await counts.get(), { ready: 5 }, "within the bound: the cache");
    assert.equal(calls, 1);
    clock = 2000;
    slow = true;
    assert.deepEqual(await counts.get(), { ready: 5 }, "older: still served at once while one refresh runs");
    assert.deepEqual(await counts.get(), { ready: 5 });
    assert.equal(calls, 2, "one refresh at a time");
    slow = false;
    release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await counts.get(), { ready: 7 });
    assert.deepEqual(await counts.get(["usrt"]), { ready: 7 }, "each company selection counted on its own");
    assert.equal(calls, 3);
  });
});
