import { mkdtempSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { Journal } from "../src/core/journal.js";
import { createTarget, REPORT_FLAT_ENTITY, type TargetSettings } from "../src/d365/targets/index.js";
import { DeliveryEngine } from "../src/delivery/engine.js";
import { ChunkWriter } from "../src/delivery/enqueue.js";
import type { EmulatorAdmin } from "../src/emulator/admin/client.js";
import { readJournalText } from "../src/ingest/source.js";
import { openThreadedStore } from "../src/outbox/threaded.js";
import { clientFor, type EmulatorInfo, startEmulatorProcess } from "./emulator-process.js";

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
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

async function generate(count: number, prefix: string): Promise<Journal[]> {
  const rows = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode,Text",
  ];
  for (let i = 0; i < count; i++) {
    const a = `${100 + (i % 900)}.${String(i % 100).padStart(2, "0")}`;
    const b = `${10 + (i % 90)}.25`;
    rows.push(
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601100,${a},,USD,salary`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601200,${b},,USD,tax`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,200510,,${b},USD,withheld`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,110110,,${a},USD,net`,
    );
  }
  const journals: Journal[] = [];
  for await (const event of readJournalText("bench.csv", `${rows.join("\n")}\n`))
    if (event.kind === "journal" && event.read.journal) journals.push(event.read.journal);
  if (journals.length !== count) throw new Error(`generated ${journals.length} valid journals of ${count}`);
  return journals;
}

async function counts(admin: EmulatorAdmin, since: number) {
  const log = await admin.requests(since);
  return {
    fno: log.filter((entry) => entry.kind === "fno").length,
    throttled: log.filter((entry) => entry.status === 429).length,
    tokens: log.filter((entry) => entry.kind === "entra" && entry.path.includes("/token")).length,
    operations: log
      .filter((entry) => entry.kind === "fno")
      .reduce((sum, entry) => sum + (entry.operations ?? 1), 0),
    /** Time F&O spent serving requests (ms), summed: the slots' busy time. */
    busyMs: log
      .filter((entry) => entry.kind === "fno")
      .reduce((sum, entry) => sum + (entry.durationMs ?? 0), 0),
    last: log.at(-1)?.seq ?? since,
  };
}

function rawRequest(
  method: string,
  url: string,
  ca: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        headers: {
          ...headers,
          ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
        },
      },
      (res) => {
        let text = "";
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The original report's way: a token per request, a CSRF fetch per write, a POST per line, one at a time. */
async function naive(info: EmulatorInfo, ca: string, journals: Journal[]): Promise<void> {
  const token = async () => {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: info.clientId,
      client_secret: info.clientSecret,
      scope: `${info.d365Url}/.default`,
    });
    const answer = await rawRequest(
      "POST",
      `${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`,
      ca,
      { "content-type": "application/x-www-form-urlencoded" },
      form.toString(),
    );
    return JSON.parse(answer.body).access_token as string;
  };
  const write = async (path: string, body: Record<string, unknown>) => {
    for (;;) {
      const bearer = await token();
      const fetched = await rawRequest("GET", `${info.d365Url}/data/`, ca, {
        authorization: `Bearer ${bearer}`,
        "x-csrf-token": "Fetch",
      });
      if (fetched.status === 429) continue;
      // The fetched write token goes back with the gateway's session cookie (ignored by plain F&O).
      const csrf = fetched.headers["x-csrf-token"];
      const cookie = fetched.headers["set-cookie"];
      const answer = await rawRequest(
        "POST",
        `${info.d365Url}${path}`,
        ca,
        {
          authorization: `Bearer ${bearer}`,
          "content-type": "application/json",
          ...(typeof csrf === "string" ? { "x-csrf-token": csrf } : {}),
          ...(Array.isArray(cookie) ? { cookie: String(cookie[0]).split(";")[0] as string } : {}),
        },
        JSON.stringify(body),
      );
      if (answer.status === 429) continue;
      if (answer.status >= 300) throw new Error(`naive write failed: ${answer.status} ${answer.body}`);
      return JSON.parse(answer.body);
    }
  };
  for (const journal of journals) {
    const header = await write("/data/LedgerJournalHeaders", {
      JournalName: journal.journalName,
      Description: journal.key,
    });
    for (const line of journal.lines) {
      await write("/data/LedgerJournalLines", {
        JournalBatchNumber: header.JournalBatchNumber,
        Voucher: line.voucher,
        TransDate: `${line.transDate}T00:00:00Z`,
        AccountDisplayValue: line.account,
        // The report's client sends amounts as JSON numbers; the emulator reads them exactly either way.
        ...(line.debit
          ? { DebitAmount: Number(line.debit.toFixed()) }
          : { CreditAmount: Number(line.credit?.toFixed()) }),
        CurrencyCode: line.currency,
      });
    }
  }
}

const emulator = await startEmulatorProcess({
  latency: LATENCY,
  maxConcurrentRequests: IN_FLIGHT,
  scenario: chosen.scenario,
});
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
try {
  const journals = await generate(JOURNALS, "bench");
  // The store as post and serve open it: SQLite on its own thread, so commits never stop the senders.
  const store = await openThreadedStore(join(mkdtempSync(join(tmpdir(), "lb-bench-")), "outbox.db"));
  const enqueueStarted = performance.now();
  const writer = new ChunkWriter(store, { source: "bench", post: false });
  for (const journal of journals) await writer.add(journal);
  await writer.flush();
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;

  const before = await counts(emulator.admin, 0);
  const client = clientFor(emulator, IN_FLIGHT);
  const engine = new DeliveryEngine({
    store,
    client,
    target: createTarget(chosen.settings),
    concurrency: IN_FLIGHT,
    batchSize: BATCH,
    maxBatchOperations: BATCH_OPERATIONS,
    leaseMs: 300_000,
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await engine.runUntilIdle();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const bridge = await counts(emulator.admin, before.last);
  if (process.argv.includes("--timeline")) {
    const log = (await emulator.admin.requests(before.last)).filter((entry) => entry.kind === "fno");
    const zero = Date.parse(log[0]?.time ?? "");
    for (const entry of log)
      console.log(
        `  +${Date.parse(entry.time) - zero} ms  ${entry.durationMs} ms  ${entry.operations ?? 1} ops  ${entry.path.slice(0, 40)}`,
      );
  }
  const delivered = (await store.countByState()).lines_created ?? 0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  client.close();
  await store.close();

  const naiveJournals = await generate(NAIVE, "naive");
  const naiveStarted = performance.now();
  await naive(emulator.info, emulator.ca, naiveJournals);
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
