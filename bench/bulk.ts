/**
 * bench:bulk — the same journals through OData (target ledger-journal) and through data packages
 * (target dmf-package), side by side in one run, under stated models of F&O (the emulator in its own
 * process), interleaved when --runs > 1; then the group size above which a package is faster (the
 * crossover that `auto`'s threshold follows).
 *
 * Usage: npm run bench:bulk [-- --journals 100000 --runs 1 --request-ms 100 --operation-ms 2
 *        --start-ms 5000 --rows-per-second 5000]
 */
import { performance } from "node:perf_hooks";
import type { TargetSettings } from "../src/d365/targets/index.js";
import { arg } from "./args.js";
import { deliverWithBridge, generate } from "./clients.js";
import { startEmulatorProcess } from "./emulator-process.js";

const JOURNALS = arg("--journals", 100_000);
const RUNS = arg("--runs", 1);
const LATENCY = { perRequestMs: arg("--request-ms", 100), perOperationMs: arg("--operation-ms", 2) };
const IMPORT = {
  startDelayMs: arg("--start-ms", 5000),
  recordsPerSecond: arg("--rows-per-second", 5000),
  parallel: false,
};
const IN_FLIGHT = 8;
const LINES = 4;

interface Path {
  readonly name: string;
  readonly settings: TargetSettings;
  readonly batch: number;
  readonly batchOperations: number;
}

const PATHS: readonly Path[] = [
  { name: "odata", settings: { kind: "ledger-journal" }, batch: 250, batchOperations: 2000 },
  {
    name: "package",
    settings: {
      kind: "dmf-package",
      definitionGroup: "bench-general-journal",
      threshold: 1,
      pollDelaysMs: [250, 500, 1000],
      maxWaitMs: 3_600_000,
      parallelImports: false,
      packageLines: 10_000,
    },
    // Packages of up to 10,000 lines (2,500 journals of 4), claimed 2,500 at a time.
    batch: 2500,
    batchOperations: 2000,
  },
];

const emulator = await startEmulatorProcess({ latency: LATENCY, maxConcurrentRequests: IN_FLIGHT });
const results = new Map<
  string,
  Array<{ seconds: number; rate: number; requests: number; imports: number }>
>();
try {
  await emulator.admin.configure({ packageImport: IMPORT });
  for (let run = 0; run < RUNS; run++) {
    // Interleaved: odata then package, then the next run.
    for (const path of PATHS) {
      const journals = await generate(JOURNALS, `bulk-${run}-${path.name}`);
      const started = performance.now();
      const outcome = await deliverWithBridge(emulator, journals, path.settings, {
        inFlight: IN_FLIGHT,
        batch: path.batch,
        batchOperations: path.batchOperations,
      });
      const log = await emulator.admin.requests(outcome.before.last);
      const imports = log.filter((entry) => entry.path.endsWith(".ImportFromPackage")).length;
      if (process.argv.includes("--where")) {
        const byKind = new Map<string, { count: number; ms: number }>();
        for (const entry of log) {
          const kind = `${entry.method} ${entry.path.split("?")[0]?.replace(/\/dmf\/.*/, "/dmf/…")}`;
          const sum = byKind.get(kind) ?? { count: 0, ms: 0 };
          sum.count++;
          sum.ms += entry.durationMs ?? 0;
          byKind.set(kind, sum);
        }
        for (const [kind, sum] of byKind) console.log(`  ${sum.count} × ${kind}: ${sum.ms} ms`);
      }
      const list = results.get(path.name) ?? [];
      list.push({
        seconds: outcome.seconds,
        rate: outcome.delivered / outcome.seconds,
        requests: outcome.bridge.fno,
        imports,
      });
      results.set(path.name, list);
      console.log(
        `run ${run + 1} ${path.name.padEnd(8)} ${outcome.delivered}/${JOURNALS} journals in ${outcome.seconds.toFixed(1)} s ` +
          `= ${(outcome.delivered / outcome.seconds).toFixed(1)} journals/s; ${outcome.bridge.fno} F&O requests` +
          `${imports > 0 ? `, ${imports} imports` : ""} (wall ${((performance.now() - started) / 1000).toFixed(1)} s with storing)`,
      );
    }
  }
} finally {
  emulator.stop();
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? 0,
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    max: sorted.at(-1) ?? 0,
  };
};
console.log(
  `models: OData ${LATENCY.perRequestMs} ms a request + ${LATENCY.perOperationMs} ms an operation, ${IN_FLIGHT} in flight; ` +
    `imports start after ${IMPORT.startDelayMs} ms and run ${IMPORT.recordsPerSecond} rows/s, one at a time`,
);
for (const [name, list] of results) {
  const rate = stats(list.map((each) => each.rate));
  console.log(
    `${name.padEnd(8)} journals/s min ${rate.min.toFixed(1)} median ${rate.median.toFixed(1)} max ${rate.max.toFixed(1)}`,
  );
}
// The crossover: a group of n journals takes n / odata-rate over OData, and over a package a fixed
// cost (measured: the run's time less its rows at the model's rate, per import) plus its rows.
const odata = stats((results.get("odata") ?? []).map((each) => each.rate)).median;
const pkg = results.get("package") ?? [];
const fixedSeconds = stats(
  pkg.map(
    (each) => (each.seconds - (JOURNALS * LINES) / IMPORT.recordsPerSecond) / Math.max(1, each.imports),
  ),
).median;
const saved = 1 / odata - LINES / IMPORT.recordsPerSecond;
console.log(
  `package fixed cost: ${fixedSeconds.toFixed(2)} s an import (upload, start, polls, finding the journals)`,
);
console.log(
  saved > 0
    ? `crossover: a group of ${Math.ceil(fixedSeconds / saved)} journals or more is faster as a package`
    : "crossover: none under these models (a package's rows take longer than OData's journals)",
);
