/**
 * Folder pickup: files dropped into inbound/ are taken once, delivered, and moved to processed/ or
 * error/ with a report beside them; a copy of a file taken before stores nothing; a taker killed
 * mid-file (SIGKILL, a real process) leaves nothing lost or doubled once a new one takes over.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import ExcelJS from "exceljs";
import { createTarget } from "../../src/d365/targets/index.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { openStore } from "../../src/outbox/open.js";
import { FolderInbox } from "../../src/pickup/folder-inbox.js";
import { takeFile, takeWaiting } from "../../src/pickup/pickup.js";
import { cli } from "../helpers/cli.js";
import { connectionEnv, startTestEmulator } from "../helpers/emulator.js";
import { journalsCsv, PICKUP_HEADER } from "../helpers/pickup.js";
import { startServe } from "../helpers/serve.js";

const ROOT = join(import.meta.dirname, "..", "..");
const HEADER = PICKUP_HEADER;
const csv = journalsCsv;

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
after(() => emulator.close());

function environment(home: string): Record<string, string> {
  return { ...connectionEnv(emulator), LEDGER_BRIDGE_HOME: home };
}

describe("ledger-bridge watch: a folder inbox", () => {
  it("--once takes every file: delivered ones to processed/, refused ones to error/, a copy stores nothing", async () => {
    const home = mkdtempSync(join(tmpdir(), "lb-watch-home-"));
    const dir = mkdtempSync(join(tmpdir(), "lb-watch-"));
    mkdirSync(join(dir, "inbound"));
    writeFileSync(join(dir, "inbound", "good.csv"), csv("w-good", 2));
    writeFileSync(
      join(dir, "inbound", "bad.csv"),
      `${HEADER}\nw-bad,usmf,GenJrn,V1,2026-11-30,601100,1,,USD\n`,
    );
    writeFileSync(join(dir, "inbound", "scan.pdf"), "%PDF-1.7");
    writeFileSync(join(dir, "inbound", ".hidden.csv"), csv("w-hidden", 1));
    writeFileSync(join(dir, "inbound", "upload.csv.part"), csv("w-part", 1));
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet("Journals");
    sheet.addRow(HEADER.split(","));
    sheet.addRow(["w-xlsx", "usmf", "GenJrn", "V1", "2026-11-30", "601100", 2.5, null, "USD"]);
    sheet.addRow(["w-xlsx", "usmf", "GenJrn", "V1", "2026-11-30", "110110", null, 2.5, "USD"]);
    writeFileSync(join(dir, "inbound", "sheet.xlsx"), Buffer.from(await book.xlsx.writeBuffer()));
    const first = await cli(["watch", dir, "--once"], { env: environment(home) });
    assert.equal(first.code, 1, "two files were refused");
    assert.match(first.stdout, /4 file\(s\): 2 stored, 2 failed; 3 of 3 journal\(s\) settled/);
    assert.deepEqual(readdirSync(join(dir, "processed")).sort(), [
      "good.csv",
      "good.csv.report.json",
      "sheet.xlsx",
      "sheet.xlsx.report.json",
    ]);
    assert.deepEqual(readdirSync(join(dir, "error")).sort(), [
      "bad.csv",
      "bad.csv.report.json",
      "scan.pdf",
      "scan.pdf.report.json",
    ]);
    assert.deepEqual(
      readdirSync(join(dir, "inbound")).sort(),
      [".hidden.csv", "upload.csv.part"],
      "hidden and partial files are left alone",
    );
    const bad = JSON.parse(readFileSync(join(dir, "error", "bad.csv.report.json"), "utf8"));
    assert.equal(bad.status, "failed");
    assert.equal(bad.errors[0].code, "VOUCHER_UNBALANCED");
    const good = JSON.parse(readFileSync(join(dir, "processed", "good.csv.report.json"), "utf8"));
    assert.deepEqual(good.created, ["w-good-0", "w-good-1"]);
    assert.match(good.sha256, /^[0-9a-f]{64}$/);
    const journals = await emulator.admin.journals();
    for (const key of ["w-good-0", "w-good-1", "w-xlsx"])
      assert.equal(journals.filter((journal) => String(journal.Description).includes(key)).length, 1, key);

    // The same content under another name: nothing new is stored.
    writeFileSync(join(dir, "inbound", "good-again.csv"), csv("w-good", 2));
    const second = await cli(["watch", dir, "--once"], { env: environment(home) });
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(
      second.stdout,
      /good-again\.csv: the same content as good\.csv, taken before; nothing stored/,
    );
    const again = JSON.parse(readFileSync(join(dir, "processed", "good-again.csv.report.json"), "utf8"));
    assert.equal(again.status, "duplicate");
    assert.equal((await emulator.admin.journals()).length, journals.length);
  });

  it("a file left in processing/ by a taker that stopped after storing is taken again without doubling", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-watch-resume-"));
    const store = await openStore(join(dir, "outbox.db"));
    try {
      const target = createTarget({ kind: "ledger-journal" });
      const inbox = await new FolderInbox(join(dir, "pickup")).open();
      writeFileSync(join(dir, "pickup", "inbound", "run.csv"), csv("resume", 3));
      const claim = await inbox.next();
      assert.ok(claim);
      // Stopped between storing the journals and moving the file: the move never happens.
      await assert.rejects(
        takeFile(
          inbox,
          { ...claim, finish: async () => Promise.reject(new Error("killed")) },
          { store, target, post: false },
        ),
        /killed/,
      );
      assert.deepEqual(readdirSync(join(dir, "pickup", "processing")), ["run.csv"]);
      const fresh = await new FolderInbox(join(dir, "pickup")).open();
      const [report] = await takeWaiting(fresh, { store, target, post: false });
      assert.equal(report?.status, "processed");
      assert.deepEqual(report?.created, []);
      assert.deepEqual(report?.alreadyStored, ["resume-0", "resume-1", "resume-2"]);
      assert.deepEqual(readdirSync(join(dir, "pickup", "processing")), []);
      assert.equal((await store.list({ limit: 100 })).length, 3);
    } finally {
      await store.close();
    }
  });

  it("the outbox away: the file is given up, and the same taker's next look stores it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-watch-away-"));
    const store = await openStore(join(dir, "outbox.db"));
    try {
      const target = createTarget({ kind: "ledger-journal" });
      const inbox = await new FolderInbox(join(dir, "pickup")).open();
      writeFileSync(join(dir, "pickup", "inbound", "away.csv"), csv("away", 2));
      let failures = 1;
      const flaky = Object.assign(Object.create(store), {
        enqueueAll: (...args: Parameters<typeof store.enqueueAll>) =>
          failures-- > 0 ? Promise.reject(new Error("store unreachable")) : store.enqueueAll(...args),
      });
      await assert.rejects(takeWaiting(inbox, { store: flaky, target, post: false }), /store unreachable/);
      assert.deepEqual(readdirSync(join(dir, "pickup", "processing")), ["away.csv"]);
      const [report] = await takeWaiting(inbox, { store: flaky, target, post: false });
      assert.equal(report?.status, "processed");
      assert.deepEqual(report?.created, ["away-0", "away-1"]);
    } finally {
      await store.close();
    }
  });

  it("survives SIGKILL mid-file: the next taker stores and delivers every journal exactly once", async () => {
    const home = mkdtempSync(join(tmpdir(), "lb-watch-kill-home-"));
    const dir = mkdtempSync(join(tmpdir(), "lb-watch-kill-"));
    mkdirSync(join(dir, "inbound"), { recursive: true });
    const count = 3000;
    writeFileSync(join(dir, "inbound", "big.csv"), csv("kill", count));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), "watch", dir, "--interval", "0.1"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, ...environment(home) },
      },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    // Killed as soon as it has taken the file (it is reading, checking or storing it then).
    for (let waited = 0; !existsSync(join(dir, "processing", "big.csv")) && waited < 60_000; waited += 5)
      await sleep(5);
    child.kill("SIGKILL");
    await exited;
    assert.ok(existsSync(join(dir, "processing", "big.csv")), "killed mid-file, before the file was moved");
    const resumed = await cli(["watch", dir, "--once"], { env: environment(home) });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`${count} of ${count} journal\\(s\\) settled`));
    assert.deepEqual(readdirSync(join(dir, "processed")).sort(), ["big.csv", "big.csv.report.json"]);
    const journals = (await emulator.admin.journals()).filter((journal) =>
      String(journal.Description).includes("kill-"),
    );
    assert.equal(journals.length, count, "each journal in F&O once");
    assert.equal(new Set(journals.map((journal) => journal.Description)).size, count);
  });

  it("serve --watch takes dropped files while it runs, and its worker delivers them", async () => {
    const home = mkdtempSync(join(tmpdir(), "lb-serve-watch-home-"));
    const dir = mkdtempSync(join(tmpdir(), "lb-serve-watch-"));
    const serving = await startServe(
      { LEDGER_BRIDGE_HOME: home },
      { post: false, watch: [dir], watchInterval: "0.1" },
    );
    try {
      writeFileSync(join(dir, "inbound", "dropped.csv"), csv("served", 2));
      let journals: Array<Record<string, unknown>> = [];
      for (let waited = 0; waited < 30_000; waited += 100) {
        journals = (await serving.emulator.admin.journals()).filter((journal) =>
          String(journal.Description).includes("served-"),
        );
        if (journals.length === 2 && existsSync(join(dir, "processed", "dropped.csv.report.json"))) break;
        await sleep(100);
      }
      assert.equal(journals.length, 2, serving.stderr());
      assert.deepEqual(readdirSync(join(dir, "inbound")), []);
    } finally {
      assert.equal(await serving.stop(), 0);
    }
  });
});
