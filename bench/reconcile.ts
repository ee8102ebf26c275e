/**
 * bench:reconcile — how long `reconcile` takes for a store of N delivered journals (default 50,000),
 * and how many requests it makes. The journals are delivered first (no latency model: the emulator in
 * its own process answers as fast as it can), then reconciled three times, interleaved with nothing.
 * Goal (throughput issue): 50,000 journals in under 30 s, at most one request per 1,000 plus pages.
 *
 * Usage: npm run bench:reconcile [-- --journals 50000]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createTarget } from "../src/d365/targets/index.js";
import { DeliveryEngine } from "../src/delivery/engine.js";
import { enqueueJournals } from "../src/delivery/enqueue.js";
import { reconcileStore } from "../src/delivery/reconcile.js";
import { readJournalText } from "../src/ingest/source.js";
import { openStore } from "../src/outbox/open.js";
import { clientFor, startEmulatorProcess } from "./emulator-process.js";

const index = process.argv.indexOf("--journals");
const JOURNALS = index > 0 ? Number(process.argv[index + 1]) : 50_000;

const rows = [
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
];
for (let i = 0; i < JOURNALS; i++)
  rows.push(
    `rec-${i},usmf,GenJrn,V1,2026-11-30,601100,${(i % 900) + 1}.25,,USD`,
    `rec-${i},usmf,GenJrn,V1,2026-11-30,110110,,${(i % 900) + 1}.25,USD`,
  );
const journals = [];
for await (const event of readJournalText("reconcile.csv", `${rows.join("\n")}\n`))
  if (event.kind === "journal" && event.read.journal) journals.push(event.read.journal);

const emulator = await startEmulatorProcess({
  latency: { perRequestMs: 0, perOperationMs: 0 },
  maxConcurrentRequests: 64,
});
try {
  const store = await openStore(join(mkdtempSync(join(tmpdir(), "lb-bench-reconcile-")), "outbox.db"));
  await enqueueJournals(store, journals, { source: "bench", post: false });
  const client = clientFor(emulator, 8);
  const target = createTarget({ kind: "ledger-journal" });
  const delivering = performance.now();
  await new DeliveryEngine({
    store,
    client,
    target,
    concurrency: 8,
    batchSize: 250,
    leaseMs: 300_000,
  }).runUntilIdle();
  console.log(
    `bench:reconcile — ${JOURNALS} journals delivered in ${((performance.now() - delivering) / 1000).toFixed(1)} s`,
  );
  const runs: Array<{ seconds: number; requests: number }> = [];
  for (let run = 0; run < 3; run++) {
    const since = (await emulator.admin.requests()).at(-1)?.seq ?? 0;
    const started = performance.now();
    const report = await reconcileStore(store, client, target);
    const seconds = (performance.now() - started) / 1000;
    if (report.matched !== JOURNALS || report.mismatches.length > 0)
      throw new Error(`reconcile found ${report.mismatches.length} mismatches, ${report.matched} matched`);
    const requests = (await emulator.admin.requests(since)).filter((entry) => entry.kind === "fno").length;
    runs.push({ seconds, requests });
  }
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  console.log(
    `reconcile of ${JOURNALS}: ${sorted.map((run) => `${run.seconds.toFixed(2)} s`).join(" / ")} (min / median / max), ${runs[0]?.requests} F&O requests per run (${((runs[0]?.requests ?? 0) / (JOURNALS / 1000)).toFixed(1)} per 1,000 journals)`,
  );
  client.close();
  await store.close();
} finally {
  emulator.stop();
}
