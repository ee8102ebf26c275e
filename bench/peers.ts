/**
 * bench:peers — the original report's setup (the `csrf-gateway` scenario: a flat journal entity
 * behind a gateway that wants a CSRF token and its session cookie on every write) under one latency
 * model, three clients side by side in one run, the same kind of journals (4 lines):
 *
 * - ledger-bridge's flat-entity target, as `post` runs it;
 * - a peer built on the SAP Cloud SDK's http-client as its documentation shows (its own CSRF
 *   handling, a token from `@azure/identity`, one POST per line, one at a time);
 * - the naive report-style client (a token and a CSRF fetch before every write, one POST per line).
 *
 * Prints journals/s, F&O and token requests per journal, and the ratios. Goals (issue 17): at least
 * 50× the SAP peer and 1,000× the naive client.
 * Usage: npm run bench:peers [-- --journals 10000 --peer 50 --naive 20 --request-ms 100 --operation-ms 2]
 */
import { performance } from "node:perf_hooks";
import { REPORT_FLAT_ENTITY } from "../src/d365/targets/index.js";
import { arg } from "./args.js";
import { counts, deliverWithBridge, generate, naive, sapPeer } from "./clients.js";
import { startEmulatorProcess } from "./emulator-process.js";

const JOURNALS = arg("--journals", 10_000);
const PEER = arg("--peer", 50);
const NAIVE = arg("--naive", 20);
const LATENCY = { perRequestMs: arg("--request-ms", 100), perOperationMs: arg("--operation-ms", 2) };
const IN_FLIGHT = 8;

interface Row {
  readonly client: string;
  readonly journals: number;
  readonly seconds: number;
  readonly fno: number;
  readonly tokens: number;
}

const emulator = await startEmulatorProcess({
  latency: LATENCY,
  maxConcurrentRequests: IN_FLIGHT,
  scenario: "csrf-gateway",
});
try {
  const rows: Row[] = [];
  const bridge = await deliverWithBridge(emulator, await generate(JOURNALS, "bridge"), REPORT_FLAT_ENTITY, {
    inFlight: IN_FLIGHT,
    batch: 250,
    batchOperations: 2000,
  });
  if (bridge.delivered !== JOURNALS)
    throw new Error(`ledger-bridge delivered ${bridge.delivered} of ${JOURNALS}`);
  rows.push({
    client: "ledger-bridge (flat-entity target)",
    journals: JOURNALS,
    seconds: bridge.seconds,
    fno: bridge.bridge.fno,
    tokens: bridge.bridge.tokens,
  });
  for (const [client, count, deliver] of [
    ["SAP Cloud SDK http-client peer", PEER, sapPeer],
    ["naive report-style client", NAIVE, naive],
  ] as const) {
    const journals = await generate(count, client.startsWith("SAP") ? "sap" : "naive");
    const before = await counts(emulator.admin, 0);
    const started = performance.now();
    await deliver(emulator.info, emulator.ca, journals, "flat-entity");
    const seconds = (performance.now() - started) / 1000;
    const served = await counts(emulator.admin, before.last);
    rows.push({ client, journals: count, seconds, fno: served.fno, tokens: served.tokens });
  }
  const rate = (row: Row) => row.journals / row.seconds;
  console.log(
    `bench:peers — csrf-gateway scenario, ${LATENCY.perRequestMs} ms per request + ${LATENCY.perOperationMs} ms per operation, ${IN_FLIGHT} requests in flight before 429`,
  );
  for (const row of rows)
    console.log(
      `${row.client.padEnd(36)} ${String(row.journals).padStart(6)} journals in ${row.seconds.toFixed(1).padStart(6)} s = ${rate(row).toFixed(2).padStart(8)} journals/s; ${(row.fno / row.journals).toFixed(3)} F&O requests and ${(row.tokens / row.journals).toFixed(3)} token requests per journal`,
    );
  const [ours, sap, plain] = rows as [Row, Row, Row];
  console.log(
    `ratios: ${(rate(ours) / rate(sap)).toFixed(0)}× the SAP peer (goal 50×), ${(rate(ours) / rate(plain)).toFixed(0)}× the naive client (goal 1,000×)`,
  );
} finally {
  emulator.stop();
}
