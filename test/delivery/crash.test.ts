/**
 * Crash safety, for real: a child process delivers journals and is killed with SIGKILL — at random
 * moments, and at each named failpoint of the protocol — then restarted, until it finishes. Every
 * journal must end up in the emulator's ledger exactly once: 0 lost, 0 duplicated.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { markerFor } from "../../src/d365/targets/index.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { openStore } from "../../src/outbox/open.js";
import { connectionEnv, startTestEmulator } from "../helpers/emulator.js";
import { ENGINES, type TestStore } from "../helpers/stores.js";

const ROOT = join(import.meta.dirname, "..", "..");
const KILLS = Number(process.env.LEDGER_BRIDGE_CRASH_KILLS ?? 30);

function journalFile(count: number, prefix: string): string {
  const rows = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
  ];
  for (let i = 0; i < count; i++) {
    const amount = `${1 + (i % 997)}.${String(i % 100).padStart(2, "0")}`;
    rows.push(
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601100,${amount},,USD`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,110110,,${amount},USD`,
    );
  }
  const file = join(mkdtempSync(join(tmpdir(), "lb-crash-")), `${prefix}.csv`);
  writeFileSync(file, `${rows.join("\n")}\n`);
  return file;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the process printed (for the assertion message when a run fails). */
  output: string;
}

/** Runs `post --post` in a child process; kills it after `killAfterMs` when given. */
function post(
  emulator: RunningEmulator,
  store: TestStore["location"],
  file: string,
  options: {
    killAfterMs?: number;
    failpoint?: string;
    leaseMs?: number;
    timeoutMs?: number;
    concurrency?: number;
    /** The config file (default: the ledger-journal target). */
    config?: string;
  } = {},
): Promise<Run> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), "post", file, "--post"],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        ...connectionEnv(emulator),
        LEDGER_BRIDGE_STORE:
          store.schema === undefined
            ? store.store
            : `${store.store}?options=-c%20search_path%3D${store.schema}`,
        LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-crash-home-")),
        LEDGER_BRIDGE_FAILPOINT: options.failpoint ?? "",
        // A short lease and request timeout: the restarted process takes over a killed one's journals
        // quickly (after the lease plus the write grace, which follows from the timeout).
        LEDGER_BRIDGE_LEASE_MS: String(options.leaseMs ?? 1000),
        LEDGER_BRIDGE_TIMEOUT_MS: String(options.timeoutMs ?? 1500),
        ...(options.concurrency === undefined
          ? {}
          : { LEDGER_BRIDGE_CONCURRENCY: String(options.concurrency) }),
        LEDGER_BRIDGE_CONFIG: options.config ?? join(ROOT, "test", "fixtures", "crash-config.json"),
      },
    },
  );
  const timer =
    options.killAfterMs === undefined
      ? undefined
      : setTimeout(() => child.kill("SIGKILL"), options.killAfterMs);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => {
    child.once("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, output: output.slice(-4000) });
    });
  });
}

/** Checks the emulator: every key exactly one journal (found by its marker), its lines once, posted once. */
async function assertExactlyOnce(emulator: RunningEmulator, prefix: string, count: number): Promise<void> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const byMarker = new Map(keys.map((key) => [markerFor(key), key]));
  const headers = (await emulator.admin.journals()).filter((header) =>
    byMarker.has(String(header.Description)),
  );
  const byKey = new Map<string, number>();
  for (const header of headers) {
    const key = byMarker.get(String(header.Description)) as string;
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    assert.equal(header.lines.length, 2, `${key}: lines`);
    assert.equal(header.IsPosted, "Yes", `${key}: posted`);
  }
  const lost = keys.filter((key) => !byKey.has(key));
  const duplicated = [...byKey].filter(([, n]) => n > 1).map(([key]) => key);
  assert.deepEqual({ lost, duplicated }, { lost: [], duplicated: [] });
  const batches = new Set(headers.map((header) => String(header.JournalBatchNumber)));
  const ledger = (await emulator.admin.ledger()).filter((entry) => batches.has(String(entry.JournalNumber)));
  assert.equal(ledger.length, count * 2, "each journal's two lines posted exactly once");
}

const FAILPOINTS = [
  "after-claim",
  "after-header-sent",
  "after-header-recorded",
  "after-lines-sent",
  "after-lines-recorded",
  "after-post-sent",
] as const;

for (const engine of ENGINES) {
  describe(`crash safety on ${engine.name}`, { concurrency: false }, async () => {
    const skip = await engine.skip();
    if (skip !== undefined) {
      it(`skipped: ${skip}`, { skip }, () => undefined);
      return;
    }
    let emulator: RunningEmulator;
    let store: TestStore;
    before(async () => {
      emulator = await startTestEmulator();
      store = await engine.open();
    });
    after(async () => {
      await store.cleanup();
      await emulator.close();
    });

    it(`SIGKILL at random moments, ${KILLS} times in a row, then a clean run: 500 journals, 0 lost, 0 duplicated`, async () => {
      const file = journalFile(500, `random-${engine.name}`);
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      let killed = 0;
      for (let i = 0; i < KILLS; i++) {
        const run = await post(emulator, store.location, file, {
          killAfterMs: 400 + Math.floor(random() * 1600),
        });
        if (run.signal === "SIGKILL") killed++;
      }
      const last = await post(emulator, store.location, file);
      assert.equal(last.code, 0, last.output);
      assert.ok(killed >= KILLS / 2, `only ${killed} of ${KILLS} runs were killed mid-way`);
      await assertExactlyOnce(emulator, `random-${engine.name}`, 500);
      const outbox = await openStore(
        store.location.store,
        store.location.schema === undefined ? {} : { schema: store.location.schema },
      );
      const counts = await outbox.countByState();
      assert.equal(counts.posted, 500);
      if (engine.name === "sqlite") await outbox.close();
    });

    for (const failpoint of FAILPOINTS) {
      it(`killed at ${failpoint}, then restarted: 0 lost, 0 duplicated`, async () => {
        const prefix = `${failpoint}-${engine.name}`;
        const file = journalFile(20, prefix);
        const crashed = await post(emulator, store.location, file, { failpoint });
        assert.equal(crashed.signal, "SIGKILL", "the failpoint was reached");
        const resumed = await post(emulator, store.location, file);
        assert.equal(resumed.code, 0, resumed.output);
        await assertExactlyOnce(emulator, prefix, 20);
      });
    }
  });
}

/** The package path's own failpoints: around the upload, the import and the record of its outcome. */
const PACKAGE_FAILPOINTS = [
  "after-claim",
  "after-execution-recorded",
  "after-package-uploaded",
  "after-import-sent",
  "after-import-recorded",
  "after-post-sent",
] as const;

/** The other targets, each with the failpoints of its path. */
const VARIANTS = [
  {
    name: "the flat-entity target (csrf-gateway)",
    prefix: "flat",
    scenario: "csrf-gateway",
    config: "crash-config-flat.json",
    failpoints: FAILPOINTS,
  },
  {
    // Imports that take a while (NotRun, then Executing): a restart finds them still running.
    name: "the dmf-package target (imports of 0.3 s + 2,000 rows/s)",
    prefix: "dmf",
    scenario: "default",
    config: "crash-config-dmf.json",
    failpoints: PACKAGE_FAILPOINTS,
    packageImport: { startDelayMs: 300, recordsPerSecond: 2000, parallel: false },
  },
] as const;

for (const variant of VARIANTS) {
  for (const engine of ENGINES) {
    describe(`crash safety on ${variant.name} on ${engine.name}`, { concurrency: false }, async () => {
      const skip = await engine.skip();
      if (skip !== undefined) {
        it(`skipped: ${skip}`, { skip }, () => undefined);
        return;
      }
      const config = join(ROOT, "test", "fixtures", variant.config);
      let emulator: RunningEmulator;
      let store: TestStore;
      before(async () => {
        emulator = await startTestEmulator({ scenario: variant.scenario });
        if ("packageImport" in variant)
          await emulator.admin.configure({ packageImport: variant.packageImport });
        store = await engine.open();
      });
      after(async () => {
        await store.cleanup();
        await emulator.close();
      });

      it("SIGKILL at random moments, 10 times, then a clean run: 200 journals, 0 lost, 0 duplicated", async () => {
        const prefix = `${variant.prefix}-random-${engine.name}`;
        const file = journalFile(200, prefix);
        for (let i = 0; i < 10; i++)
          await post(emulator, store.location, file, { config, killAfterMs: 500 + i * 150 });
        const last = await post(emulator, store.location, file, { config });
        assert.equal(last.code, 0, last.output);
        await assertExactlyOnce(emulator, prefix, 200);
      });

      for (const failpoint of variant.failpoints) {
        it(`killed at ${failpoint}, then restarted: 0 lost, 0 duplicated`, async () => {
          const prefix = `${variant.prefix}-${failpoint}-${engine.name}`;
          const file = journalFile(20, prefix);
          const crashed = await post(emulator, store.location, file, { config, failpoint });
          assert.equal(crashed.signal, "SIGKILL", "the failpoint was reached");
          const resumed = await post(emulator, store.location, file, { config });
          assert.equal(resumed.code, 0, resumed.output);
          await assertExactlyOnce(emulator, prefix, 20);
        });
      }
    });
  }
}

describe("two bridge processes on one PostgreSQL store", async () => {
  const postgres = ENGINES.find((engine) => engine.name === "postgres");
  const skip = await postgres?.skip();
  if (postgres === undefined || skip !== undefined) {
    it(`skipped: ${skip}`, { skip: skip ?? "no postgres" }, () => undefined);
    return;
  }
  it("deliver 2,000 journals together with no duplicate", async () => {
    const emulator = await startTestEmulator();
    const store = await postgres.open();
    try {
      const file = journalFile(2000, "pair");
      // Short leases (3 s, timeout 1.5 s) that can lapse under load while a request is in flight: the
      // write grace must keep the other process away until that request has landed or been given up.
      // One connection each: 2 rounds of 250 claimed at a time, so neither can hold all 2,000.
      const shared = { leaseMs: 3000, concurrency: 1 };
      const [one, two] = await Promise.all([
        post(emulator, store.location, file, shared),
        post(emulator, store.location, file, shared),
      ]);
      assert.deepEqual([one.code, two.code], [0, 0]);
      await assertExactlyOnce(emulator, "pair", 2000);
      const outbox = await openStore(store.location.store, { schema: store.location.schema as string });
      const workers = new Set<string>();
      for (const journal of await outbox.list({ limit: 2000 })) {
        for (const event of await outbox.events(journal.key)) if (event.worker) workers.add(event.worker);
      }
      assert.equal(workers.size >= 2, true, "both processes took part");
    } finally {
      await store.cleanup();
      await emulator.close();
    }
  });
});
