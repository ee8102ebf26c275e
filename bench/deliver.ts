import { performance } from "node:perf_hooks";
import { REPORT_FLAT_ENTITY, type TargetSettings } from "../src/d365/targets/index.js";
import { arg } from "./args.js";
import { counts, deliverWithBridge, generate, naive } from "./clients.js";
import { startEmulatorProcess } from "./emulator-process.js";

const JOURNALS = arg("--journals", 10_000);
const NAIVE = arg("--naive", 200);
const LATENCY = { perRequestMs: arg("--request-ms", 100), perOperationMs: arg("--operation-ms", 2) };
const IN_FLIGHT = 8;
const BATCH = arg("--batch", 250);
// Operations per $batch request: F&O takes up to 5,000.
const BATCH_OPERATIONS = arg("--batch-ops", 2000);
// --target flat-entity: the report's flat entity behind the csrf-gateway scenario's gateway.
const TARGET = process.argv.includes("--target")
  ? process.argv[process.argv.indexOf("--target") + 1]
  : "ledger-journal";
const TARGETS: Record<string, { scenario: string; settings: TargetSettings }> = {
  "ledger-journal": { scenario: "default", settings: { kind: "ledger-journal" } },
  "flat-entity": { scenario: "csrf-gateway", settings: REPORT_FLAT_ENTITY },
};
const chosen = TARGETS[TARGET ?? ""];
if (chosen === undefined) throw new Error(`--target must be one of ${Object.keys(TARGETS).join(", ")}`);

const emulator = await startEmulatorProcess({
  latency: LATENCY,
  maxConcurrentRequests: IN_FLIGHT,
  scenario: chosen.scenario,
});
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
try {
  const journals = await generate(JOURNALS, "bench");
  const { seconds, cpuSeconds, enqueueSeconds, delivered, bridge, before } = await deliverWithBridge(
    emulator,
    journals,
    chosen.settings,
    { inFlight: IN_FLIGHT, batch: BATCH, batchOperations: BATCH_OPERATIONS },
  );
  if (process.argv.includes("--timeline")) {
    const log = (await emulator.admin.requests(before.last)).filter((entry) => entry.kind === "fno");
    const zero = Date.parse(log[0]?.time ?? "");
    for (const entry of log)
      console.log(
        `  +${Date.parse(entry.time) - zero} ms  ${entry.durationMs} ms  ${entry.operations ?? 1} ops  ${entry.path.slice(0, 40)}`,
      );
  }
  const peakRss = process.resourceUsage().maxRSS * 1024;

  const naiveJournals = await generate(NAIVE, "naive");
  const naiveStarted = performance.now();
  await naive(
    emulator.info,
    emulator.ca,
    naiveJournals,
    chosen.settings.kind === "flat-entity" ? "flat-entity" : "ledger-journal",
  );
  const naiveSeconds = (performance.now() - naiveStarted) / 1000;
  const naiveCounts = await counts(emulator.admin, bridge.last);

  const bridgeRate = delivered / seconds;
  const naiveRate = NAIVE / naiveSeconds;
  // The model's true limit: every slot busy with requests of F&O's largest $batch (5,000 operations).
  const limit = (IN_FLIGHT * 5000) / ((LATENCY.perRequestMs + 5000 * LATENCY.perOperationMs) / 1000);
  const idle = 1 - bridge.busyMs / (IN_FLIGHT * seconds * 1000);
  const opsPerSecond = bridge.operations / seconds;
  console.log(`target:        ${TARGET} (emulator scenario ${chosen.scenario})`);
  console.log(
    `latency model: ${LATENCY.perRequestMs} ms per request + ${LATENCY.perOperationMs} ms per operation, ${IN_FLIGHT} requests in flight before 429`,
  );
  console.log(
    `ledger-bridge: ${delivered}/${JOURNALS} journals (4 lines) in ${seconds.toFixed(1)} s = ${bridgeRate.toFixed(1)} journals/s; enqueue ${enqueueSeconds.toFixed(1)} s`,
  );
  console.log(
    `               ${bridge.fno} F&O requests, ${bridge.operations} operations, ${bridge.throttled} × 429, ${bridge.tokens} token requests, peak RSS ${mb(peakRss)}, CPU ${cpuSeconds.toFixed(1)} s = ${((100 * cpuSeconds) / seconds).toFixed(0)} % of one core (bench process, all threads)`,
  );
  console.log(
    `naive client:  ${NAIVE} journals in ${naiveSeconds.toFixed(1)} s = ${naiveRate.toFixed(2)} journals/s`,
  );
  console.log(
    `               ${naiveCounts.fno} F&O requests, ${naiveCounts.throttled} × 429, ${naiveCounts.tokens} token requests`,
  );
  console.log(`ratio:         ${(bridgeRate / naiveRate).toFixed(0)}× the naive client`);
  console.log(
    `capacity:      ${opsPerSecond.toFixed(0)} operations/s of the model's limit ${limit.toFixed(0)} (${IN_FLIGHT} in flight × 5,000 operations / (${LATENCY.perRequestMs} + 5,000 × ${LATENCY.perOperationMs} ms)) = ${((100 * opsPerSecond) / limit).toFixed(1)} %`,
  );
  console.log(
    `timeline:      the ${IN_FLIGHT} slots idle ${(100 * idle).toFixed(1)} % of the run (F&O's serving time summed over the run's length); ${BATCH} journals a claim, ${BATCH_OPERATIONS} operations a request`,
  );
} finally {
  emulator.stop();
}
