import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "../helpers/cli.js";

const ROOT = join(import.meta.dirname, "..", "..");
const example = (name: string) => join(ROOT, "examples", name);
const bad = (name: string) => join(ROOT, "test", "fixtures", "bad", name);

describe("ledger-bridge validate", () => {
  it("exits 0 for valid files and prints journals, lines, vouchers and totals", async () => {
    const run = await cli(["validate", example("journals.csv"), example("journals.json")]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /journals\.csv: valid\n {2}2 journals \(2 valid\), 8 lines, 3 vouchers\n {2}USD {2}debit 53330\.62 {2}credit 53241\.12/,
    );
    assert.match(run.stdout, /EUR {2}debit 1000\.00 {2}credit 1000\.00/);
    assert.match(run.stdout, /2 files: 2 valid, 0 invalid/);
  });

  it("exits 1 for an invalid file and names code, line, column and field", async () => {
    const run = await cli(["validate", example("invalid/journals-with-errors.csv")]);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      /AMOUNT_DECIMAL_COMMA line 2, column 7 \(DebitAmount\)\n {6}The debit amount "1\.234,56" uses a decimal comma\. Use a dot/,
    );
    assert.match(run.stdout, /VOUCHER_UNBALANCED line 4, column 4 \(Voucher\)/);
  });

  it("prints one JSON document with --json", async () => {
    const run = await cli(["validate", "--json", example("journals.json"), bad("unbalanced-voucher.csv")]);
    assert.equal(run.code, 1);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.valid, false);
    assert.equal(doc.files.length, 2);
    assert.deepEqual(
      { journals: doc.files[0].journals, lines: doc.files[0].lines, errors: doc.files[0].errors },
      { journals: 2, lines: 6, errors: [] },
    );
    assert.deepEqual(doc.files[0].totals.USD, { debit: "25012.40", credit: "25012.40" });
    const [error] = doc.files[1].errors;
    assert.deepEqual(
      { code: error.code, line: error.line, field: error.field },
      { code: "VOUCHER_UNBALANCED", line: 2, field: "Voucher" },
    );
    assert.match(error.message, /debits 100\.00 and credits 99\.99 USD/);
  });

  it("exits 2 for a file it cannot read, with the code and no stack trace", async () => {
    const run = await cli(["validate", join(ROOT, "no-such-file.csv")]);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /^error FILE_UNREADABLE: Cannot read .*no-such-file\.csv \(ENOENT\)\. Check the path/,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  });

  it("exits 2 for an unknown format, a missing argument and a bad option", async () => {
    assert.equal((await cli(["validate", "journals.xlsx"])).code, 2);
    assert.equal((await cli(["validate"])).code, 2);
    const badOption = await cli(["validate", "--max-issues", "lots", example("journals.csv")]);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /USAGE: --max-issues must be a whole number/);
    assert.equal((await cli(["frobnicate"])).code, 2);
  });

  it("--target compiles each journal for the configured target: the examples' dimensions need a dimension format", async () => {
    const home = mkdtempSync(join(tmpdir(), "lb-validate-"));
    const env = {
      D365_URL: "https://contoso.operations.dynamics.com",
      LEDGER_BRIDGE_HOME: home,
      LEDGER_BRIDGE_CONFIG: join(home, "none.json"),
    };
    writeFileSync(env.LEDGER_BRIDGE_CONFIG, "{}");
    const plain = await cli(["validate", example("journals.csv")], { env });
    assert.equal(plain.code, 0, "valid as a file");
    const targeted = await cli(["validate", "--target", example("journals.csv")], { env });
    assert.equal(targeted.code, 1);
    assert.match(targeted.stdout, /TARGET_DIMENSION_FORMAT_MISSING line 2, column 15 \(Dim\.Department\)/);
    writeFileSync(env.LEDGER_BRIDGE_CONFIG, JSON.stringify({ target: { kind: "flat-entity" } }));
    const flat = await cli(["validate", "--target", example("journals.csv"), "--json"], { env });
    const codes = JSON.parse(flat.stdout).files[0].errors.map((error: { code: string }) => error.code);
    assert.deepEqual([...new Set(codes)].sort(), ["TARGET_FIELD_UNSUPPORTED"]);
    // Without D365_URL the built-in emulator's dimension format applies: the examples fit.
    const embedded = await cli(["validate", "--target", example("journals.csv")], {
      env: { LEDGER_BRIDGE_HOME: home },
    });
    assert.equal(embedded.code, 0, embedded.stdout);
  });

  it("caps the listed issues with --max-issues but counts them all", async () => {
    const file = example("invalid/journals-with-errors.csv");
    const doc = JSON.parse((await cli(["validate", "--max-issues", "1", "--json", file])).stdout);
    assert.equal(doc.files[0].errorCount, 3);
    assert.equal(doc.files[0].errors.length, 1);
    const text = (await cli(["validate", "--max-issues", "1", file])).stdout;
    assert.match(text, /… and 2 more \(raise --max-issues to see them\)/);
  });

  it("colours only on a terminal and never under NO_COLOR", async () => {
    const file = bad("unbalanced-voucher.csv");
    assert.match((await cli(["validate", file], { tty: true })).stdout, /\u001b\[31m/);
    assert.doesNotMatch(
      (await cli(["validate", file], { tty: true, env: { NO_COLOR: "1" } })).stdout,
      /\u001b\[/,
    );
    assert.doesNotMatch((await cli(["validate", file])).stdout, /\u001b\[/);
  });

  it("runs as a real process with the documented exit codes", () => {
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), ...args], {
        encoding: "utf8",
        cwd: ROOT,
      });
    assert.equal(run(["validate", example("journals.csv")]).status, 0);
    assert.equal(run(["validate", bad("unbalanced-voucher.csv")]).status, 1);
    const missing = run(["validate", "missing.csv"]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /FILE_UNREADABLE/);
  });
});

describe("ledger-bridge start", () => {
  it("refuses to send the bundled examples to a real environment", async () => {
    const run = await cli(["start"], { env: { D365_URL: "https://contoso.operations.dynamics.com" } });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /will not send them to a real environment/);
  });
});

describe("ledger-bridge validate: Excel, profiles and the config's input section", () => {
  async function xlsx(dir: string): Promise<string> {
    const ExcelJS = (await import("exceljs")).default;
    const book = new ExcelJS.Workbook();
    book.addWorksheet("Cover").addRow(["Prepared by finance"]);
    const sheet = book.addWorksheet("Lines");
    sheet.addRow([
      "Journal batch number",
      "Company",
      "Journal name",
      "Date",
      "Voucher",
      "Account",
      "Debit",
      "Credit",
      "Currency",
    ]);
    sheet.addRow(["00461", "usmf", "GenJrn", "2026-11-30", "V1", "601500", 1200, 0, "USD"]);
    sheet.addRow(["00461", "usmf", "GenJrn", "2026-11-30", "V1", "110110", 0, 1200.001, "USD"]);
    const path = join(dir, "addin.xlsx");
    writeFileSync(path, Buffer.from(await book.xlsx.writeBuffer()));
    return path;
  }

  it("reads --sheet with --profile, and places each problem at its sheet and cell", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-validate-xlsx-"));
    const file = await xlsx(dir);
    const run = await cli(["validate", "--sheet", "Lines", "--profile", "fno-excel-addin", file]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /AMOUNT_TOO_MANY_DECIMALS Lines!H3 \(Credit\)/);
    const json = await cli(["validate", "--json", "--sheet", "Lines", file]);
    const error = JSON.parse(json.stdout).files[0].errors[0];
    assert.deepEqual([error.sheet, error.cell, error.line, error.field], ["Lines", "H3", 3, "Credit"]);
  });

  it("takes input.columns, input.defaults and input.locale from the config file, and refuses a bad setting by name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-validate-input-"));
    const file = join(dir, "payroll.csv");
    writeFileSync(
      file,
      "Konto;Soll;Haben;Datum;Waehrung;Beleg\n601100;10,50;;27.11.2026;USD;B1\n110110;;10,50;27.11.2026;USD;B1\n",
    );
    const config = join(dir, "ledger-bridge.config.json");
    const input = {
      columns: {
        Konto: "AccountDisplayValue",
        Soll: "DebitAmount",
        Haben: "CreditAmount",
        Datum: "TransDate",
        Waehrung: "CurrencyCode",
        Beleg: "Voucher",
      },
      defaults: { company: "usmf", journalName: "Payroll" },
      locale: { decimal: "comma", date: "dd.mm.yyyy" },
    };
    writeFileSync(config, JSON.stringify({ input }));
    const run = await cli(["validate", file], { env: { LEDGER_BRIDGE_CONFIG: config } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /1 journal \(1 valid\), 2 lines/);
    writeFileSync(config, JSON.stringify({ input: { ...input, locale: { decimal: "dot" } } }));
    const refused = await cli(["validate", file], { env: { LEDGER_BRIDGE_CONFIG: config } });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /input\.locale\.decimal must be one of point, comma; it is 'dot'/);
  });
});
