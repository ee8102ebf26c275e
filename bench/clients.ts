/**
 * The clients ledger-bridge is measured against (bench:deliver, bench:peers), and the journals they
 * all deliver. Written the way their users write them, not tuned: that is the comparison.
 */
import { mkdtempSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { ClientSecretCredential } from "@azure/identity";
import type { Journal } from "../src/core/journal.js";
import { createTarget, type TargetSettings } from "../src/d365/targets/index.js";
import { DeliveryEngine } from "../src/delivery/engine.js";
import { ChunkWriter } from "../src/delivery/enqueue.js";
import type { EmulatorAdmin } from "../src/emulator/admin/client.js";
import { readJournalText } from "../src/ingest/source.js";
import { openThreadedStore } from "../src/outbox/threaded.js";
import { clientFor, type EmulatorInfo } from "./emulator-process.js";

/** `count` balanced journals of 4 lines, keys `<prefix>-<n>`. */
export async function generate(count: number, prefix: string): Promise<Journal[]> {
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

/** What the emulator served since the log entry `since`: requests, 429s, tokens, operations, busy time. */
export async function counts(admin: EmulatorAdmin, since: number) {
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

/** A line as the report's flat entity takes it (the first line of a journal without its number). */
function flatRow(journal: Journal, line: Journal["lines"][number], batchNumber: string) {
  return {
    dataAreaId: journal.company,
    JournalBatchNumber: batchNumber,
    JournalName: journal.journalName,
    AccountType: "Ledger",
    LedgerAccount: line.account,
    TransactionCurrencyCode: line.currency,
    // The report's client sends amounts as JSON numbers; the emulator reads them exactly either way.
    ...(line.debit
      ? { DebitAmount: Number(line.debit.toFixed()) }
      : { CreditAmount: Number(line.credit?.toFixed()) }),
    TransDate: `${line.transDate}T00:00:00Z`,
    Voucher: line.voucher,
  };
}

/** Delivers each journal line by line: the first line opens it (its answer has the journal's number). */
async function lineByLine(
  journals: readonly Journal[],
  post: (row: Record<string, unknown>) => Promise<{ JournalBatchNumber?: string }>,
): Promise<void> {
  for (const journal of journals) {
    let batchNumber = "";
    for (const line of journal.lines) {
      const answer = await post(flatRow(journal, line, batchNumber));
      batchNumber ||= String(answer.JournalBatchNumber ?? "");
    }
  }
}

/**
 * The original report's way: a token per request, a CSRF fetch per write, a POST per line (headers
 * and lines; or the flat entity's rows), one at a time.
 */
export async function naive(
  info: EmulatorInfo,
  ca: string,
  journals: Journal[],
  target: "ledger-journal" | "flat-entity" = "ledger-journal",
): Promise<void> {
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
  if (target === "flat-entity") {
    await lineByLine(journals, (row) => write("/data/GeneralJournalAccountEntry", row));
    return;
  }
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

/**
 * A peer an integrator would write with the SAP Cloud SDK's http-client, as its documentation shows:
 * `executeHttpRequest` against a destination (the SDK fetches and sends the CSRF token itself), a
 * token from `@azure/identity` (which caches it), one POST per line, one at a time.
 */
export async function sapPeer(info: EmulatorInfo, ca: string, journals: Journal[]): Promise<void> {
  const { executeHttpRequest } = await import("@sap-cloud-sdk/http-client");
  const credential = new ClientSecretCredential(info.tenantId, info.clientId, info.clientSecret, {
    authorityHost: info.authorityHost,
    disableInstanceDiscovery: true,
    tlsOptions: { ca },
  });
  const destination = {
    url: info.d365Url,
    trustStoreCertificate: {
      name: "emulator-ca.pem",
      type: "CERTIFICATE",
      content: Buffer.from(ca).toString("base64"),
    },
  };
  await lineByLine(journals, async (row) => {
    const token = await credential.getToken(`${info.d365Url}/.default`);
    const answer = await executeHttpRequest(destination, {
      method: "post",
      url: "/data/GeneralJournalAccountEntry",
      headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" },
      data: row,
    });
    return answer.data as { JournalBatchNumber?: string };
  });
}

/**
 * ledger-bridge as `post` and `serve` run it: the journals stored (SQLite on its own thread), then
 * delivered by the engine; the time, the CPU and what the emulator served.
 */
export async function deliverWithBridge(
  emulator: { info: EmulatorInfo; admin: EmulatorAdmin; ca: string },
  journals: readonly Journal[],
  settings: TargetSettings,
  options: { inFlight: number; batch: number; batchOperations: number },
) {
  const store = await openThreadedStore(join(mkdtempSync(join(tmpdir(), "lb-bench-")), "outbox.db"));
  const enqueueStarted = performance.now();
  const writer = new ChunkWriter(store, { source: "bench", post: false });
  for (const journal of journals) await writer.add(journal);
  await writer.flush();
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
  const before = await counts(emulator.admin, 0);
  const client = clientFor(emulator, options.inFlight);
  const engine = new DeliveryEngine({
    store,
    client,
    target: createTarget(settings),
    concurrency: options.inFlight,
    batchSize: options.batch,
    maxBatchOperations: options.batchOperations,
    leaseMs: 300_000,
  });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await engine.runUntilIdle();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const bridge = await counts(emulator.admin, before.last);
  const delivered = (await store.countByState()).lines_created ?? 0;
  client.close();
  await store.close();
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, enqueueSeconds, delivered, bridge, before };
}
