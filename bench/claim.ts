/**
 * bench:claim — how long a delivery round's claim takes when journals pile up (F&O slow or down): a
 * store with a backlog of N ready journals, then claims of 250 (the default round), as the worker
 * makes them. On the SQLite store thread nothing else is served during a claim's chunk, so this is
 * also how long an API request can wait behind one.
 *
 * Then, with that many stored: a page of one state's journals, the counts by state (raw, and as the
 * polling routes read them), and readyz's store probe.
 *
 * Usage: npm run bench:claim [-- --backlog 100000 --claims 5]   (LEDGER_BRIDGE_STORE=postgres://… for PostgreSQL)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/outbox/open.js";
import type { NewJournal } from "../src/outbox/store.js";
import { StateCounts } from "../src/server/state-counts.js";
import { arg } from "./args.js";

const BACKLOG = arg("--backlog", 100_000);
const CLAIMS = arg("--claims", 5);
const location =
  process.env.LEDGER_BRIDGE_STORE ?? join(mkdtempSync(join(tmpdir(), "lb-bench-claim-")), "outbox.db");
const store = await openStore(location);
const now = Date.now();
const journal = (key: string): NewJournal => ({
  key,
  company: "usmf",
  journalName: "GenJrn",
  source: "bench-claim",
  contentHash: `hash-${key}`,
  payload: JSON.stringify({
    key,
    lines: [
      { account: "601100", debit: "10.00" },
      { account: "110110", credit: "10.00" },
    ],
  }),
  lineCount: 2,
  post: true,
  marker: `lb:${key}`,
});
const started = performance.now();
for (let from = 0; from < BACKLOG; from += 10_000) {
  const keys = Array.from(
    { length: Math.min(10_000, BACKLOG - from) },
    (_, index) => `claim-${from + index}`,
  );
  await store.enqueueAll(keys.map(journal), now);
}
console.log(
  `bench:claim — ${BACKLOG} ready journals stored in ${((performance.now() - started) / 1000).toFixed(1)} s (${location.startsWith("postgres") ? "PostgreSQL" : "SQLite"})`,
);
const times: number[] = [];
for (let round = 0; round < CLAIMS; round++) {
  const at = performance.now();
  const claimed = await store.claim(`bench-${round}`, 250, 60_000, now + 1);
  times.push(performance.now() - at);
  if (claimed.length !== 250) throw new Error(`claimed ${claimed.length}, expected 250`);
}
const sorted = [...times].sort((a, b) => a - b);
console.log(
  `claim of 250 with ${BACKLOG} waiting: ${times.map((time) => time.toFixed(1)).join(", ")} ms (median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms)`,
);

// What the dashboard and the probes read with this many stored: a page of one state's journals, the
// counts (raw, and as /v1/overview and /metrics serve them through their cache), readyz's store probe.
const measure = async (label: string, run: () => Promise<unknown>, times = 5) => {
  const taken: number[] = [];
  for (let i = 0; i < times; i++) {
    const at = performance.now();
    await run();
    taken.push(performance.now() - at);
  }
  const ordered = [...taken].sort((a, b) => a - b);
  console.log(
    `${label}: min ${ordered[0]?.toFixed(2)} / median ${ordered[Math.floor(ordered.length / 2)]?.toFixed(2)} / max ${ordered.at(-1)?.toFixed(2)} ms`,
  );
};
const counts = new StateCounts(store, Date.now);
await counts.get();
await measure("list a page of 50 ready journals", () => store.list({ state: "ready", limit: 50 }));
await measure("list a page of 50 dead journals (none)", () => store.list({ state: "dead", limit: 50 }));
await measure("count by state (raw)", () => store.countByState());
await measure("count by state as /v1/overview and /metrics read it (cache, 2 s bound)", () => counts.get());
await measure("readyz's store probe (a lookup by key)", () => store.get("(readyz)"));
await store.close();
