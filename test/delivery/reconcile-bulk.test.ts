/**
 * `reconcile` in bulk: 1,200 journals delivered and posted, compared with a handful of requests
 * (F&O's marked journals paged, then per page of 1,000 stored journals one query for the lines and
 * two for the vouchers), and every kind of mismatch still found: a line gone, an amount changed, a
 * marker on two journals, a journal the store does not know.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { cli } from "../helpers/cli.js";
import { appToken, call, connectionEnv, startTestEmulator } from "../helpers/emulator.js";
import { journalsCsv } from "../helpers/pickup.js";

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
after(() => emulator.close());

describe("reconcile in bulk", () => {
  it("compares 1,200 posted journals with a handful of requests and finds them all matching", async () => {
    const env = {
      ...connectionEnv(emulator),
      LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-reconcile-")),
    };
    const file = join(mkdtempSync(join(tmpdir(), "lb-reconcile-files-")), "bulk.csv");
    writeFileSync(file, journalsCsv("bulk", 1200));
    const posted = await cli(["post", file, "--post", "--json"], { env });
    assert.equal(posted.code, 0, posted.stderr.slice(-2000));
    const before = (await emulator.admin.requests()).at(-1)?.seq ?? 0;
    const run = await cli(["reconcile", "--json"], { env });
    assert.equal(run.code, 0, run.stdout);
    assert.deepEqual(JSON.parse(run.stdout), { checked: 1200, matched: 1200, mismatches: [] });
    const requests = (await emulator.admin.requests(before)).filter((request) => request.kind === "fno");
    // $metadata (the target's check), one page of marked headers, and per run of 1,000 batch numbers
    // (two: 1,000 and 200) the lines, the LedgerEntryJournal rows and the general journal entries.
    assert.ok(
      requests.length <= 1 + 1 + 2 * 3,
      requests.map((request) => `${request.method} ${request.path}`).join("\n"),
    );
  });

  it("still finds a line gone, an amount changed, a marker on two journals and one the store does not know", async () => {
    const env = {
      ...connectionEnv(emulator),
      LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-reconcile-")),
    };
    const file = join(mkdtempSync(join(tmpdir(), "lb-reconcile-files-")), "tamper.csv");
    writeFileSync(file, journalsCsv("tamper", 4));
    assert.equal((await cli(["post", file, "--json"], { env })).code, 0);
    const token = await appToken(emulator);
    const journals = (await emulator.admin.journals()).filter((journal) =>
      String(journal.Description).includes("lb:tamper-"),
    );
    const byKey = (key: string) =>
      journals.find(
        (journal) =>
          String(journal.Description).startsWith(`lb:${key} `) || journal.Description === `lb:${key}`,
      );
    const lineOf = (key: string, index: number) => {
      const journal = byKey(key);
      const line = journal?.lines[index];
      return `/data/LedgerJournalLines(dataAreaId='usmf',JournalBatchNumber='${journal?.JournalBatchNumber}',LineNumber=${line?.LineNumber})`;
    };
    assert.equal((await call(emulator, "DELETE", lineOf("tamper-0", 1), { token })).status, 204);
    assert.equal(
      (
        await call(emulator, "PATCH", lineOf("tamper-1", 0), {
          token,
          body: JSON.stringify({ DebitAmount: 2 }),
        })
      ).status,
      204,
    );
    const copy = await call(emulator, "POST", "/data/LedgerJournalHeaders", {
      token,
      body: JSON.stringify({ JournalName: "GenJrn", Description: String(byKey("tamper-2")?.Description) }),
    });
    assert.equal(copy.status, 201);
    const stray = await call(emulator, "POST", "/data/LedgerJournalHeaders", {
      token,
      body: JSON.stringify({ JournalName: "GenJrn", Description: "lb:nobody-knows" }),
    });
    assert.equal(stray.status, 201);
    const run = await cli(["reconcile", "--json"], { env });
    assert.equal(run.code, 1);
    const report = JSON.parse(run.stdout);
    const problem = (key: string) =>
      report.mismatches.find((mismatch: { key: string }) => mismatch.key === key)?.problem;
    assert.equal(problem("tamper-0"), "1 lines in F&O, 2 in the source");
    assert.match(problem("tamper-1"), /^amounts differ: F&O debit 2 credit 1, source debit 1 credit 1$/);
    assert.match(problem("tamper-2"), /^Journal tamper-2 has 2 journals in F&O/);
    assert.match(problem("lb:nobody-knows"), /carries a marker the store does not know/);
    assert.equal(report.matched, 1, "tamper-3 is untouched");
  });
});
