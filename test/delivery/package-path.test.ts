/**
 * The package path's own behaviours, through the real engine, client and store into the emulator:
 * one import for a group, each journal of a package with its own outcome (one refused by F&O does
 * not hide the others), an import stopped part way, an import that outlives the wait (in doubt, then
 * adopted — never sent twice), and `auto` choosing OData or a package by the size of the group.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { BlobServiceClient } from "@azure/storage-blob";
import type { Journal } from "../../src/core/journal.js";
import { decimal } from "../../src/core/money.js";
import { createTarget, markerFor, targetSettings } from "../../src/d365/targets/index.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { type RunningAzurite, startAzurite } from "../helpers/azurite.js";
import { clientFor, fakeTime } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";
import { ENGINES, type TestStore } from "../helpers/stores.js";

const SQLITE = ENGINES[0] as (typeof ENGINES)[number];

function journal(key: string, account = "110110"): Journal {
  return {
    key,
    company: "usmf",
    journalName: "GenJrn",
    lines: [
      {
        voucher: "V1",
        transDate: "2026-11-30",
        accountType: "Ledger",
        account: "601100",
        debit: decimal("10.25"),
        currency: "USD",
      },
      {
        voucher: "V1",
        transDate: "2026-11-30",
        accountType: "Ledger",
        account,
        credit: decimal("10.25"),
        currency: "USD",
      },
    ],
  };
}

/** A worker on the package path with its own client, on a clock a second ahead (every journal due). */
function packageEngine(emulator: RunningEmulator, store: TestStore) {
  const time = fakeTime(Date.now() + 1000);
  const { client } = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
  const engine = new DeliveryEngine({
    store: store.store,
    client,
    target: createTarget(targetSettings({ kind: "dmf-package" })),
    clock: time.clock,
    sleep: time.sleep,
  });
  return { engine, client };
}

describe("the package path", () => {
  let emulator: RunningEmulator;
  let store: TestStore;
  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());
  beforeEach(async () => {
    await emulator.admin.reset();
    await emulator.admin.clearRequests();
    store = await SQLITE.open();
  });
  afterEach(() => store.cleanup());

  async function deliver(journals: Journal[], settings: Record<string, unknown>, post = true) {
    const time = fakeTime(Date.now());
    const { client } = clientFor(emulator, { timeoutMs: 5000, clock: time.clock, sleep: time.sleep });
    await enqueueJournals(store.store, journals, { source: "package-path", post });
    time.advance(1000); // every journal due by the worker's clock: one claim takes them all
    const engine = new DeliveryEngine({
      store: store.store,
      client,
      target: createTarget(targetSettings(settings)),
      clock: time.clock,
      sleep: time.sleep,
      random: () => 0.5,
    });
    const keys = journals.map((each) => each.key);
    const pending = await engine.runUntilSettled(keys, 60_000);
    client.close();
    return { pending, keys, time };
  }

  async function imports(): Promise<number> {
    return (await emulator.admin.requests()).filter((entry) => entry.path.endsWith(".ImportFromPackage"))
      .length;
  }

  async function inFno(key: string) {
    return (await emulator.admin.journals()).filter((header) => header.Description === markerFor(key));
  }

  it("sends a group as one package; a journal F&O refuses is dead with F&O's message, the others posted", async () => {
    const journals = [journal("p-1"), journal("p-2"), journal("p-bad", "999999"), journal("p-3")];
    const { pending } = await deliver(journals, { kind: "dmf-package" });
    assert.equal(pending, 0);
    assert.equal(await imports(), 1, "one import for the four journals");
    for (const key of ["p-1", "p-2", "p-3"]) {
      const stored = await store.store.get(key);
      assert.equal(stored?.state, "posted", `${key}: ${stored?.lastError}`);
      assert.equal(stored?.executionId, null, "the execution is forgotten once the journal is adopted");
      assert.equal((await inFno(key)).length, 1);
    }
    const bad = await store.store.get("p-bad");
    assert.equal(bad?.state, "dead");
    assert.equal(bad?.lastErrorCode, "PACKAGE_IMPORT_FAILED");
    assert.match(bad?.lastError ?? "", /PartiallySucceeded.*999999/);
    assert.match(
      bad?.lastError ?? "",
      /error keys file lists its records/,
      "the error keys file names it too",
    );
    const trail = await store.store.events("p-1");
    assert.ok(
      trail.some((event) => typeof event.detail.executionId === "string"),
      "the execution id was recorded before the import",
    );
  });

  it("an import stopped part way: the journals it made are adopted, the rest dead; a redrive delivers them once", async () => {
    await emulator.admin.configure({
      packageImport: { startDelayMs: 0, recordsPerSecond: 0, parallel: false, failAfterJournals: 2 },
    });
    const journals = ["s-1", "s-2", "s-3", "s-4"].map((key) => journal(key));
    await deliver(journals, { kind: "dmf-package" });
    const states = await Promise.all(journals.map(async (each) => (await store.store.get(each.key))?.state));
    assert.deepEqual(states, ["posted", "posted", "dead", "dead"]);
    assert.match((await store.store.get("s-3"))?.lastError ?? "", /Failed.*stopped/);
    await store.store.redrive(["s-3", "s-4"], "test", Date.now());
    const { engine, client } = packageEngine(emulator, store);
    assert.equal(await engine.runUntilSettled(["s-3", "s-4"], 60_000), 0);
    client.close();
    for (const each of journals) {
      assert.equal((await store.store.get(each.key))?.state, "posted");
      assert.equal((await inFno(each.key)).length, 1, `${each.key}: exactly one journal in F&O`);
    }
  });

  it("an import that outlives the wait leaves its journals in doubt; the next attempt waits for it and adopts them", async () => {
    // 400 ms of real time before the import runs; the worker's wait is 1 ms of its (virtual) time.
    await emulator.admin.configure({
      packageImport: { startDelayMs: 400, recordsPerSecond: 0, parallel: false },
    });
    const time = fakeTime(Date.now());
    const { client } = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
    const journals = [journal("w-1"), journal("w-2")];
    await enqueueJournals(store.store, journals, { source: "package-path", post: false });
    time.advance(1000); // due by the worker's clock
    const options = {
      store: store.store,
      client,
      clock: time.clock,
      sleep: time.sleep,
      random: () => 0.5,
    };
    const impatient = new DeliveryEngine({
      ...options,
      target: createTarget(targetSettings({ kind: "dmf-package", maxWaitMs: 1 })),
    });
    await impatient.round();
    const waiting = await store.store.get("w-1");
    assert.equal(waiting?.state, "in_doubt");
    assert.equal(waiting?.lastErrorCode, "PACKAGE_EXECUTION_RUNNING");
    assert.notEqual(waiting?.executionId, null);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const patient = new DeliveryEngine({
      ...options,
      target: createTarget(targetSettings({ kind: "dmf-package" })),
    });
    assert.equal(await patient.runUntilSettled(["w-1", "w-2"], 3_600_000), 0);
    client.close();
    assert.equal(await imports(), 1, "nothing was sent again while the import could still make the journals");
    for (const each of journals) {
      assert.equal((await store.store.get(each.key))?.state, "lines_created");
      assert.equal((await inFno(each.key)).length, 1);
    }
  });

  it("an upload lost (the answer dropped, then a 503): sent again under a new execution, each journal once", async () => {
    await emulator.admin.addFault({ kind: "drop-after-commit", path: "/dmf/", method: "PUT", remaining: 1 });
    await emulator.admin.addFault({ kind: "5xx-before-commit", path: "/dmf/", method: "PUT", remaining: 1 });
    const journals = [journal("u-1"), journal("u-2")];
    const { pending } = await deliver(journals, { kind: "dmf-package" });
    assert.equal(pending, 0);
    const faults = (await emulator.admin.call("GET", "faults")) as Array<{ remaining?: number }>;
    assert.deepEqual(
      faults.map((fault) => fault.remaining),
      [0, 0],
      "both faults struck",
    );
    await emulator.admin.clearFaults();
    assert.equal(await imports(), 1, "imported once, after the third upload");
    for (const each of journals) {
      assert.equal((await store.store.get(each.key))?.state, "posted");
      assert.equal((await inFno(each.key)).length, 1);
    }
  });

  it("auto: a group under the threshold goes over OData, one at or above it as a package", async () => {
    await deliver([journal("a-1"), journal("a-2")], { kind: "auto", threshold: 5 });
    assert.equal(await imports(), 0);
    assert.equal((await inFno("a-1")).length, 1);
    const many = Array.from({ length: 6 }, (_, i) => journal(`b-${i}`));
    const { pending } = await deliver(many, { kind: "auto", threshold: 5 });
    assert.equal(pending, 0);
    assert.equal(await imports(), 1);
    for (const each of many) assert.equal((await inFno(each.key)).length, 1);
  });
});

describe("the package path with Azurite as the package storage", () => {
  let emulator: RunningEmulator;
  let azurite: RunningAzurite;
  let store: TestStore;
  before(async () => {
    azurite = await startAzurite();
    emulator = await startTestEmulator();
    await emulator.admin.configure({ packageStorage: { connectionString: azurite.connectionString } });
    store = await SQLITE.open();
  });
  after(async () => {
    await store.cleanup();
    await emulator.close();
    await azurite.close();
  });

  it("uploads each package to the storage account's SAS URL and imports it from there; no signature in the emulator's log", async () => {
    const journals = ["z-1", "z-2", "z-3"].map((key) => journal(key));
    await enqueueJournals(store.store, journals, { source: "azurite", post: true });
    const { engine, client } = packageEngine(emulator, store);
    assert.equal(await engine.runUntilSettled(["z-1", "z-2", "z-3"], 60_000), 0);
    client.close();
    for (const each of journals) assert.equal((await store.store.get(each.key))?.state, "posted");
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      "dmf",
    );
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    assert.equal(names.length, 1, "one package, in Azurite");
    assert.match(names[0] ?? "", /^ledger-bridge-\d{14}-[0-9a-f-]{36}\.zip$/);
    const log = JSON.stringify(await emulator.admin.requests());
    assert.ok(!/sig=(?!REDACTED)/.test(log), "no SAS signature in the emulator's request log");
  });
});
