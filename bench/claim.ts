/**
 * bench:claim — how long a delivery round's claim takes when journals pile up (F&O slow or down): a
 * store with a backlog of N ready journals, then claims of 250 (the default round), as the worker
 * makes them. On the SQLite store thread nothing else is served during a claim's chunk, so this is
 * also how long an API request can wait behind one.
 *
 * Usage: npm run bench:claim [-- --backlog 100000 --claims 5]   (LEDGER_BRIDGE_STORE=postgres://… for PostgreSQL)
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../src/outbox/open.js";
import type { NewJournal } from "../src/outbox/store.js";

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
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
await store.close();
