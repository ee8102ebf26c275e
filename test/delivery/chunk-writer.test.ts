/** ChunkWriter: a file's journals stored a chunk per transaction; a conflict costs only its journal. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PLAIN_EVERY_MS, PostProgress } from "../../src/cli/progress.js";
import { ChunkWriter } from "../../src/delivery/enqueue.js";
import { csv, readText } from "../helpers/read.js";
import { ENGINES } from "../helpers/stores.js";

const NOW = Date.parse("2026-11-30T12:00:00Z");

async function journals(count: number, amount = "10.00") {
  const rows = Array.from({ length: count }, (_, index) => [
    `chunk-${index},usmf,GenJrn,V1,2026-11-30,601100,${amount},,USD`,
    `chunk-${index},usmf,GenJrn,V1,2026-11-30,110110,,${amount},USD`,
  ]).flat();
  return (await readText("chunks.csv", csv(...rows))).journals;
}

for (const engine of ENGINES) {
  describe(`ChunkWriter on ${engine.name}`, async () => {
    const skip = await engine.skip();
    if (skip !== undefined) {
      it(`skipped: ${skip}`, { skip }, () => undefined);
      return;
    }

    it("stores chunk by chunk with one in flight, tells each commit, and names every journal in the run", async () => {
      const test = await engine.open();
      try {
        const commits: number[] = [];
        const writer = new ChunkWriter(test.store, {
          source: "chunks.csv",
          post: false,
          run: "run-a",
          chunkSize: 10,
          clock: { now: () => NOW },
          onStored: (count) => commits.push(count),
        });
        for (const journal of await journals(25)) await writer.add(journal);
        // One chunk in flight while reading goes on: the first has committed, the second may still be.
        assert.equal(commits[0], 10);
        assert.ok(commits.length <= 2, String(commits));
        await writer.flush();
        assert.deepEqual(commits, [10, 10, 5]);
        assert.equal(writer.created, 25);
        assert.equal((await test.store.progress({ run: "run-a" })).pending, 25);
      } finally {
        await test.cleanup();
      }
    });

    it("keeps the rest of a chunk whose one journal conflicts with a stored one, and reports that one", async () => {
      const test = await engine.open();
      try {
        const [stored] = await journals(1, "1.00");
        const first = new ChunkWriter(test.store, { source: "earlier.csv", post: false });
        await first.add(stored as NonNullable<typeof stored>);
        await first.flush();
        const writer = new ChunkWriter(test.store, {
          source: "later.csv",
          post: false,
          run: "run-b",
          chunkSize: 10,
        });
        for (const journal of await journals(12)) await writer.add(journal);
        await writer.flush();
        assert.equal(writer.created, 11);
        assert.equal(writer.conflicts.length, 1);
        assert.equal(writer.conflicts[0]?.journalKey, "chunk-0");
        assert.equal(writer.conflicts[0]?.code, "OUTBOX_CONFLICT");
        assert.equal(writer.conflicts[0]?.file, "later.csv");
        assert.equal(await test.store.count({ run: "run-b" }), 11);
      } finally {
        await test.cleanup();
      }
    });
  });
}

describe("post's progress line", () => {
  const settled = (state: "lines_created" | "posted") => ({
    type: "settled" as const,
    key: "k",
    state,
    lines: 4,
    post: true,
    createdAt: 0,
    at: 0,
  });

  it("counts stored, delivered and posted journals, the rate, the time left and the throttling", () => {
    let now = 0;
    const written: string[] = [];
    const progress = new PostProgress({ write: (text) => written.push(text) }, "terminal", true, () => now);
    progress.storedMore(1000);
    now = 10_000;
    for (let i = 0; i < 100; i++) progress.engine(settled("lines_created"));
    for (let i = 0; i < 50; i++) progress.engine(settled("posted"));
    assert.equal(
      progress.line(),
      "1000 stored (reading) · 100 delivered (400 lines) · 50 posted · 5.0 journals/s",
    );
    progress.allStored();
    progress.client({ type: "throttled", waitMs: 3_000 } as Parameters<PostProgress["client"]>[0]);
    assert.equal(
      progress.line(),
      "1000 stored · 100 delivered (400 lines) · 50 posted · 5.0 journals/s · ETA 3 min 10 s · throttled 1× (waited 3 s)",
    );
    assert.match(written.at(-1) ?? "", /^\r\u001b\[K {2}1000 stored · /);
  });

  it("writes a plain line at most every ten seconds when not on a terminal", () => {
    let now = 0;
    const written: string[] = [];
    const progress = new PostProgress({ write: (text) => written.push(text) }, "plain", false, () => now);
    for (let i = 0; i < 100; i++) {
      now += 500;
      progress.engine(settled("lines_created"));
    }
    assert.equal(written.length, Math.floor((100 * 500) / PLAIN_EVERY_MS));
    assert.match(
      written[0] ?? "",
      /^progress: 0 stored \(reading\) · 20 delivered \(80 lines\) · 2\.0 journals\/s\n$/,
    );
  });
});
