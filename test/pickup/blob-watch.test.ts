/**
 * Pickup from an Azure Blob container, against Azurite (a real Azure Storage emulator): blobs in
 * inbound/ are taken with a lease, delivered, and moved to processed/ or error/ with a report; a
 * taker killed mid-file (SIGKILL) lets its lease lapse and the next one delivers every journal once.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { createTarget } from "../../src/d365/targets/index.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { openStore } from "../../src/outbox/open.js";
import { BlobInbox } from "../../src/pickup/blob-inbox.js";
import { takeWaiting } from "../../src/pickup/pickup.js";
import { type RunningAzurite, startAzurite } from "../helpers/azurite.js";
import { cli } from "../helpers/cli.js";
import { connectionEnv, startTestEmulator } from "../helpers/emulator.js";
import { journalsCsv, PICKUP_HEADER } from "../helpers/pickup.js";
import { startServe } from "../helpers/serve.js";

const ROOT = join(import.meta.dirname, "..", "..");
const HEADER = PICKUP_HEADER;
const csv = journalsCsv;

let emulator: RunningEmulator;
let azurite: RunningAzurite;
before(async () => {
  [emulator, azurite] = await Promise.all([startTestEmulator(), startAzurite()]);
});
after(async () => {
  await Promise.all([emulator.close(), azurite.close()]);
});

async function container(name: string): Promise<ContainerClient> {
  const client = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
  await client.createIfNotExists();
  return client;
}
const names = async (client: ContainerClient, prefix: string) => {
  const found: string[] = [];
  for await (const blob of client.listBlobsFlat({ prefix })) found.push(blob.name);
  return found.sort();
};
const environment = (home: string, extra: Record<string, string> = {}) => ({
  ...connectionEnv(emulator),
  LEDGER_BRIDGE_HOME: home,
  AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
  ...extra,
});

describe("ledger-bridge watch --container: an Azure Blob inbox (Azurite)", () => {
  it("--once takes every blob: delivered ones to processed/, refused ones to error/, reports beside them", async () => {
    const journals = await container("journals");
    await journals.getBlockBlobClient("inbound/good.csv").uploadData(Buffer.from(csv("b-good", 2)));
    await journals
      .getBlockBlobClient("inbound/bad.csv")
      .uploadData(Buffer.from(`${HEADER}\nb-bad,usmf,GenJrn,V1,2026-11-30,601100,1,,USD\n`));
    const home = mkdtempSync(join(tmpdir(), "lb-blob-home-"));
    const run = await cli(["watch", "--container", "journals", "--once"], { env: environment(home) });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /2 file\(s\): 1 stored, 1 failed; 2 of 2 journal\(s\) settled/);
    assert.doesNotMatch(
      run.stdout + run.stderr,
      /AccountKey|Eby8vdM02/,
      "the connection string is never shown",
    );
    assert.deepEqual(await names(journals, "inbound/"), []);
    assert.deepEqual(await names(journals, "processed/"), [
      "processed/good.csv",
      "processed/good.csv.report.json",
    ]);
    assert.deepEqual(await names(journals, "error/"), ["error/bad.csv", "error/bad.csv.report.json"]);
    const report = JSON.parse(
      (await journals.getBlobClient("error/bad.csv.report.json").downloadToBuffer()).toString(),
    );
    assert.equal(report.errors[0].code, "VOUCHER_UNBALANCED");
    const delivered = (await emulator.admin.journals()).filter((journal) =>
      String(journal.Description).includes("b-good-"),
    );
    assert.equal(delivered.length, 2);

    await journals.getBlockBlobClient("inbound/good-copy.csv").uploadData(Buffer.from(csv("b-good", 2)));
    const again = await cli(["watch", "--container", "journals", "--once"], { env: environment(home) });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /good-copy\.csv: the same content as good\.csv, taken before; nothing stored/);
  });

  it("survives SIGKILL mid-file: the lease lapses and the next taker delivers every journal exactly once", async () => {
    const journals = await container("killed");
    const count = 2000;
    await journals.getBlockBlobClient("inbound/big.csv").uploadData(Buffer.from(csv("b-kill", count)));
    const home = mkdtempSync(join(tmpdir(), "lb-blob-kill-home-"));
    const env = environment(home, { LEDGER_BRIDGE_PICKUP_LEASE_SECONDS: "15" });
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "src", "cli", "main.ts"),
        "watch",
        "--container",
        "killed",
        "--interval",
        "0.1",
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const blob = journals.getBlobClient("inbound/big.csv");
    // Killed as soon as it holds the lease (it is reading, checking or storing the file then).
    for (
      let waited = 0;
      (await blob.getProperties()).leaseState !== "leased" && waited < 60_000;
      waited += 20
    )
      await sleep(20);
    child.kill("SIGKILL");
    await exited;
    assert.ok(await blob.exists(), "killed mid-file, before the blob was moved");
    // The dead taker's lease lapses after its 15 s; then the blob is free to take.
    for (let waited = 0; waited < 30_000; waited += 250) {
      const properties = await blob.getProperties().catch(() => undefined);
      if (properties === undefined || properties.leaseState !== "leased") break;
      await sleep(250);
    }
    const resumed = await cli(["watch", "--container", "killed", "--once"], { env });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.deepEqual(await names(journals, "processed/"), [
      "processed/big.csv",
      "processed/big.csv.report.json",
    ]);
    const delivered = (await emulator.admin.journals()).filter((journal) =>
      String(journal.Description).includes("b-kill-"),
    );
    assert.equal(delivered.length, count, "each journal in F&O once");
    assert.equal(new Set(delivered.map((journal) => journal.Description)).size, count);
  });

  it("the outbox away: the lease is let go, and the same taker's next look stores the blob", async () => {
    const client = await container("away");
    await client.getBlockBlobClient("inbound/away.csv").uploadData(Buffer.from(csv("b-away", 2)));
    const dir = mkdtempSync(join(tmpdir(), "lb-blob-away-"));
    const store = await openStore(join(dir, "outbox.db"));
    try {
      const target = createTarget({ kind: "ledger-journal" });
      const inbox = await new BlobInbox(client, 15).open();
      let failures = 1;
      const flaky = Object.assign(Object.create(store), {
        enqueueAll: (...args: Parameters<typeof store.enqueueAll>) =>
          failures-- > 0 ? Promise.reject(new Error("store unreachable")) : store.enqueueAll(...args),
      });
      await assert.rejects(takeWaiting(inbox, { store: flaky, target, post: false }), /store unreachable/);
      assert.notEqual((await client.getBlobClient("inbound/away.csv").getProperties()).leaseState, "leased");
      const [report] = await takeWaiting(inbox, { store: flaky, target, post: false });
      assert.equal(report?.status, "processed");
      assert.deepEqual(report?.created, ["b-away-0", "b-away-1"]);
    } finally {
      await store.close();
    }
  });

  it("serve --watch-container takes blobs while it runs, and its worker delivers them", async () => {
    const journals = await container("served");
    const home = mkdtempSync(join(tmpdir(), "lb-blob-serve-home-"));
    const serving = await startServe(
      { LEDGER_BRIDGE_HOME: home, AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
      { post: false, watchContainer: ["served"], watchInterval: "0.1" },
    );
    try {
      await journals.getBlockBlobClient("inbound/dropped.csv").uploadData(Buffer.from(csv("b-served", 2)));
      let delivered: Array<Record<string, unknown>> = [];
      for (let waited = 0; waited < 30_000; waited += 100) {
        delivered = (await serving.emulator.admin.journals()).filter((journal) =>
          String(journal.Description).includes("b-served-"),
        );
        if (delivered.length === 2 && (await names(journals, "processed/")).length === 2) break;
        await sleep(100);
      }
      assert.equal(delivered.length, 2, serving.stderr());
      assert.deepEqual(await names(journals, "processed/"), [
        "processed/dropped.csv",
        "processed/dropped.csv.report.json",
      ]);
    } finally {
      assert.equal(await serving.stop(), 0);
    }
  });
});
