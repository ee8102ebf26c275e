import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "../helpers/cli.js";

const home = () => mkdtempSync(join(tmpdir(), "lb-cli-"));

describe("npm start and the delivery commands, on embedded defaults (SQLite + the built-in emulator)", () => {
  it("start serves the examples through the API, prints the dashboard, a key and a curl line; a second run creates nothing", async () => {
    const env = { LEDGER_BRIDGE_HOME: home() };
    const first = await cli(["start", "--once", "--port", "0"], { env });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(first.stderr, /No D365_URL is configured: using the built-in F&O emulator/);
    assert.match(first.stdout, /is listening on http:\/\/127\.0\.0\.1:\d+ \(delivery worker: on/);
    assert.match(
      first.stdout,
      /Submitted examples\/journals\.csv to POST \/v1\/journals\/files: 2 journals accepted \(2 new/,
    );
    // Journal numbers follow the file's order; vouchers the order postings reach F&O, which run at once.
    assert.match(first.stdout, /payroll-2026-11-run-42 +USMF-000001 +USMF-V0000000\d +posted/);
    assert.match(first.stdout, /4 of 4 journals posted/);
    const url = /Dashboard +(http:\/\/127\.0\.0\.1:\d+)\//.exec(first.stdout)?.[1];
    const key = /API key +(lbk_\S+)/.exec(first.stdout)?.[1];
    assert.ok(url !== undefined && key !== undefined, first.stdout);
    assert.match(
      first.stdout,
      new RegExp(`curl -s -X POST ${url}/v1/journals -H "Authorization: Bearer ${key}"`),
    );
    const second = await cli(["start", "--once", "--port", "0"], { env });
    assert.equal(second.code, 0);
    assert.match(
      second.stdout,
      /2 journals accepted \(0 new, 2 already stored: nothing new is created for them\)/,
    );
    const keys = JSON.parse((await cli(["keys", "list", "--json"], { env })).stdout);
    assert.deepEqual(
      keys.map((each: { label: string; revokedAt: string | null }) => [each.label, each.revokedAt === null]),
      [
        ["npm start", false],
        ["npm start", true],
      ].sort((a, b) => Number(a[1]) - Number(b[1])),
      "each run revokes the previous run's key",
    );
    const reconcile = await cli(["reconcile", "--json"], { env });
    assert.equal(reconcile.code, 0, reconcile.stdout);
    assert.deepEqual(JSON.parse(reconcile.stdout), { checked: 4, matched: 4, mismatches: [] });
  });

  it("cancel refuses what is delivered or unknown, says why and exits 1", async () => {
    const env = { LEDGER_BRIDGE_HOME: home() };
    const posted = await cli(
      ["post", join(import.meta.dirname, "..", "..", "examples", "original-report.csv")],
      { env },
    );
    assert.equal(posted.code, 0, posted.stdout + posted.stderr);
    const run = await cli(["cancel", "report-accrual-1", "no-such-journal"], { env });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /0 journals cancelled\./);
    assert.match(run.stdout, /report-accrual-1: not cancelled, already delivered \(lines_created\)/);
    assert.match(run.stdout, /no-such-journal: not cancelled, no such journal/);
    assert.equal((await cli(["cancel"], { env })).code, 2, "no key is a usage error");
  });

  it("post delivers the valid journals of a file, reports the invalid ones and exits 1", async () => {
    const env = { LEDGER_BRIDGE_HOME: home() };
    const dir = mkdtempSync(join(tmpdir(), "lb-files-"));
    const file = join(dir, "mixed.csv");
    writeFileSync(
      file,
      [
        "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
        "good-1,usmf,GenJrn,V1,2026-11-30,601100,10.00,,USD",
        "good-1,usmf,GenJrn,V1,2026-11-30,110110,,10.00,USD",
        "bad-1,usmf,GenJrn,V1,2026-11-30,601100,10.00,,USD",
        "bad-1,usmf,GenJrn,V1,2026-11-30,110110,,9.99,USD",
      ].join("\n"),
    );
    const run = await cli(["post", file, "--json"], { env });
    assert.equal(run.code, 1);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.created, 1);
    assert.deepEqual(
      doc.journals.map((journal: { key: string; state: string }) => [journal.key, journal.state]),
      [["good-1", "lines_created"]],
    );
    assert.equal(doc.files[0].errors[0].code, "VOUCHER_UNBALANCED");
  });

  it("a dead journal is explained by status, and redrive delivers it once the cause is fixed", async () => {
    const env = { LEDGER_BRIDGE_HOME: home() };
    const dir = mkdtempSync(join(tmpdir(), "lb-files-"));
    const file = join(dir, "closed.csv");
    writeFileSync(
      file,
      [
        "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
        "closed-1,usmf,GenJrn,V1,2025-12-15,601100,10.00,,USD",
        "closed-1,usmf,GenJrn,V1,2025-12-15,110110,,10.00,USD",
      ].join("\n"),
    );
    const post = await cli(["post", file, "--post"], { env });
    assert.equal(post.code, 1);
    assert.match(post.stdout, /closed-1 .* dead/);
    assert.match(post.stdout, /D365_BUSINESS_RULE: .*The period for 2025-12-15 is closed/);
    const status = await cli(["status", "closed-1", "--json"], { env });
    const doc = JSON.parse(status.stdout);
    assert.equal(doc.journal.state, "dead");
    assert.ok(doc.events.some((event: { toState: string }) => event.toState === "dead"));
    // What it left in F&O (its header): listed by cleanup, deleted with --yes.
    const listed = await cli(["cleanup"], { env });
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /^1 journal in F&O belong to dead or cancelled journals:$/m);
    assert.match(listed.stdout, /closed-1 \(dead\) {2}usmf USMF-\d+ {2}\d+ lines? {2}unposted/);
    assert.match(listed.stdout, /Run again with --yes to delete the 1 unposted one/);
    const cleaned = await cli(["cleanup", "--yes"], { env });
    assert.match(cleaned.stdout, /closed-1 .*deleted/);
    assert.match((await cli(["cleanup"], { env })).stdout, /^Nothing to clean up/);
    // Redrive without a fix dies again, for the same reason: nothing is posted twice meanwhile.
    const redrive = await cli(["redrive", "closed-1"], { env });
    assert.equal(redrive.code, 0);
    assert.match(redrive.stdout, /1 dead journal put back for delivery/);
    assert.match(redrive.stdout, /closed-1 .* dead/);
    assert.equal((await cli(["redrive"], { env })).code, 2);
    // By selection: the count first, nothing moved; with --yes it runs.
    const count = await cli(
      ["redrive", "--state", "dead", "--error-code", "D365_BUSINESS_RULE", "--company", "USMF"],
      {
        env,
      },
    );
    assert.equal(count.code, 0);
    assert.match(count.stdout, /^1 dead journal match\. Run again with --yes to redrive it\.$/m);
    assert.equal(
      JSON.parse((await cli(["status", "closed-1", "--json"], { env })).stdout).journal.state,
      "dead",
    );
    const none = await cli(["redrive", "--error-code", "D365_THROTTLED"], { env });
    assert.match(none.stdout, /^0 dead journals match/m);
    const run = await cli(["redrive", "--all-dead", "--yes", "--no-deliver"], { env });
    assert.match(run.stdout, /1 dead journal put back for delivery/);
    assert.equal(
      JSON.parse((await cli(["status", "closed-1", "--json"], { env })).stdout).journal.state,
      "ready",
    );
    assert.equal(
      (await cli(["redrive", "--state", "posted"], { env })).code,
      2,
      "posted journals are never redriven",
    );
    assert.equal((await cli(["redrive", "closed-1", "--all-dead"], { env })).code, 2);
  });

  it("reconcile finds a journal in F&O that the store does not know, and exits 1", async () => {
    const env = { LEDGER_BRIDGE_HOME: home() };
    const examples = ["examples/journals.csv", "examples/journals.json"].map((file) =>
      join(import.meta.dirname, "..", "..", file),
    );
    assert.equal((await cli(["post", ...examples, "--post"], { env })).code, 0);
    // Another bridge (a second store on the same environment) delivers journals this store does not know.
    const other = { ...env, LEDGER_BRIDGE_STORE: join(home(), "other.db") };
    const dir = mkdtempSync(join(tmpdir(), "lb-files-"));
    writeFileSync(
      join(dir, "x.csv"),
      "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode\nforeign-1,usmf,GenJrn,V1,2026-11-30,601100,1.00,,USD\nforeign-1,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD\n",
    );
    assert.equal((await cli(["post", join(dir, "x.csv")], { env: other })).code, 0);
    const reconcile = await cli(["reconcile"], { env });
    assert.equal(reconcile.code, 1);
    assert.match(
      reconcile.stdout,
      /lb:foreign-1: F&O journal USMF-000005 \(usmf\) carries a marker the store does not know/,
    );
  });
});
