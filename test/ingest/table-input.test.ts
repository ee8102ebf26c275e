/**
 * The files integrators actually have: Excel workbooks, F&O's Excel add-in and DMF exports, files
 * without a journal key or a company, locales declared or not. Every fixture is made here (Excel ones
 * with exceljs, a writer ledger-bridge does not use to read), each with its exact expected journals
 * or exact error locations.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import ExcelJS from "exceljs";
import fc from "fast-check";
import type { Issue } from "../../src/core/errors/issue.js";
import type { Journal } from "../../src/core/journal.js";
import type { SourceEvent } from "../../src/ingest/assemble.js";
import { openJournalFile, type ReadOptions, readJournalText } from "../../src/ingest/source.js";
import { excelDate, excelNumber } from "../../src/ingest/xlsx/read.js";

async function collect(events: AsyncIterable<SourceEvent>) {
  const journals: Journal[] = [];
  const issues: Issue[] = [];
  for await (const event of events) {
    if (event.kind === "issue") issues.push(event.issue);
    else {
      issues.push(...event.read.issues);
      if (event.read.journal !== undefined) journals.push(event.read.journal);
    }
  }
  return { journals, issues };
}
const read = (name: string, content: string | Buffer, options: ReadOptions = {}) =>
  collect(readJournalText(name, content, options));

/** A compact view of a journal for exact comparison. */
const view = (journal: Journal) => ({
  key: journal.key,
  company: journal.company,
  journalName: journal.journalName,
  ...(journal.description === undefined ? {} : { description: journal.description }),
  lines: journal.lines.map((line) => ({
    voucher: line.voucher,
    transDate: line.transDate,
    accountType: line.accountType,
    account: line.account,
    ...(line.offsetAccount === undefined
      ? {}
      : { offset: `${line.offsetAccountType}:${line.offsetAccount}` }),
    ...(line.debit === undefined ? {} : { debit: line.debit.toFixed() }),
    ...(line.credit === undefined ? {} : { credit: line.credit.toFixed() }),
    currency: line.currency,
    ...(line.text === undefined ? {} : { text: line.text }),
    ...(line.dimensions === undefined ? {} : { dimensions: line.dimensions }),
  })),
});

async function workbook(
  rows: unknown[][],
  build?: (sheet: ExcelJS.Worksheet, book: ExcelJS.Workbook) => void,
) {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet("Journals");
  for (const row of rows) sheet.addRow(row);
  build?.(sheet, book);
  return Buffer.from(await book.xlsx.writeBuffer());
}

const HEADER = [
  "JournalKey",
  "dataAreaId",
  "JournalName",
  "Voucher",
  "TransDate",
  "AccountDisplayValue",
  "DebitAmount",
  "CreditAmount",
  "CurrencyCode",
  "Text",
];

describe("Excel workbooks (.xlsx)", () => {
  it("reads text, numbers, dates and a formula's cached value; binary noise is not an amount's digits", async () => {
    const bytes = await workbook(
      [
        HEADER,
        [
          "rent-11",
          "usmf",
          "GenJrn",
          "R-1",
          new Date(Date.UTC(2026, 10, 30)),
          "602100",
          1200.5,
          null,
          "USD",
          "Rent",
        ],
        [
          "rent-11",
          "usmf",
          "GenJrn",
          "R-1",
          new Date(Date.UTC(2026, 10, 30)),
          "110110",
          null,
          null,
          "USD",
          "0042",
        ],
      ],
      (sheet) => {
        // The credit is a formula with its cached value; the debit of a second journal is 0.1 + 0.2.
        sheet.getCell("H3").value = { formula: "G2", result: 1200.5 };
        sheet.addRow([
          "noise-1",
          "usmf",
          "GenJrn",
          "N-1",
          "2026-11-30",
          "618500",
          0.1 + 0.2,
          null,
          "USD",
          "Bank fee",
        ]);
        sheet.addRow([
          "noise-1",
          "usmf",
          "GenJrn",
          "N-1",
          "2026-11-30",
          "110110",
          null,
          0.3,
          "USD",
          "Bank fee",
        ]);
        sheet.getColumn(5).numFmt = "dd.mm.yyyy";
      },
    );
    const { journals, issues } = await read("rent.xlsx", bytes);
    assert.deepEqual(issues, []);
    assert.deepEqual(journals.map(view), [
      {
        key: "rent-11",
        company: "usmf",
        journalName: "GenJrn",
        lines: [
          {
            voucher: "R-1",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "602100",
            debit: "1200.5",
            currency: "USD",
            text: "Rent",
          },
          {
            voucher: "R-1",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "110110",
            credit: "1200.5",
            currency: "USD",
            text: "0042",
          },
        ],
      },
      {
        key: "noise-1",
        company: "usmf",
        journalName: "GenJrn",
        lines: [
          {
            voucher: "N-1",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "618500",
            debit: "0.3",
            currency: "USD",
            text: "Bank fee",
          },
          {
            voucher: "N-1",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "110110",
            credit: "0.3",
            currency: "USD",
            text: "Bank fee",
          },
        ],
      },
    ]);
  });

  it("locates every problem by sheet and cell: too many decimals, an error cell, a formula never calculated, a date with a time", async () => {
    const bytes = await workbook(
      [
        HEADER,
        ["a", "usmf", "GenJrn", "V1", "2026-11-30", "602100", 1.005, null, "USD", "x"],
        ["a", "usmf", "GenJrn", "V1", "2026-11-30", "110110", null, 1.005, "USD", "x"],
        ["b", "usmf", "GenJrn", "V1", "2026-11-30", "602100", null, null, "USD", "x"],
        [
          "c",
          "usmf",
          "GenJrn",
          "V1",
          new Date(Date.UTC(2026, 10, 30, 14, 30)),
          "602100",
          5,
          null,
          "USD",
          "x",
        ],
      ],
      (sheet) => {
        sheet.getCell("G4").value = { error: "#N/A" } as ExcelJS.CellErrorValue;
        sheet.getCell("H4").value = { formula: "SUM(G2:G3)" } as ExcelJS.CellFormulaValue;
        sheet.getCell("E5").numFmt = "dd.mm.yyyy hh:mm";
      },
    );
    const { journals, issues } = await read("bad.xlsx", bytes);
    assert.deepEqual(journals, []);
    const at = (found: Issue) => `${found.code} ${found.sheet}!${found.cell}`;
    const places = issues.map(at);
    assert.ok(places.includes("AMOUNT_TOO_MANY_DECIMALS Journals!G2"), places.join("\n"));
    assert.ok(places.includes("AMOUNT_TOO_MANY_DECIMALS Journals!H3"), places.join("\n"));
    assert.ok(places.includes("XLSX_ERROR_CELL Journals!G4"), places.join("\n"));
    assert.ok(places.includes("XLSX_FORMULA_NO_VALUE Journals!H4"), places.join("\n"));
    assert.ok(places.includes("XLSX_DATE_WITH_TIME Journals!E5"), places.join("\n"));
    const decimals = issues.find((found) => found.cell === "G2");
    assert.equal(decimals?.field, "DebitAmount");
    assert.equal(decimals?.line, 2);
  });

  it("reads the sheet named with --sheet, and names the sheets there are when it is missing", async () => {
    const book = new ExcelJS.Workbook();
    book.addWorksheet("Notes").addRow(["not journals"]);
    const lines = book.addWorksheet("Lines");
    lines.addRow(HEADER);
    lines.addRow(["s-1", "usmf", "GenJrn", "V1", "2026-11-30", "602100", 10, null, "USD", "x"]);
    lines.addRow(["s-1", "usmf", "GenJrn", "V1", "2026-11-30", "110110", null, 10, "USD", "x"]);
    const bytes = Buffer.from(await book.xlsx.writeBuffer());
    const chosen = await read("two.xlsx", bytes, { sheet: "Lines" });
    assert.deepEqual(chosen.issues, []);
    assert.equal(chosen.journals.length, 1);
    const missing = await read("two.xlsx", bytes, { sheet: "Journals" });
    assert.equal(missing.issues[0]?.code, "XLSX_SHEET_MISSING");
    assert.match(missing.issues[0]?.message ?? "", /"Notes", "Lines"/);
    const first = await read("two.xlsx", bytes);
    assert.equal(first.issues[0]?.code, "CSV_HEADER_UNKNOWN_COLUMN", "the first sheet is read by default");
  });

  it("refuses a file that is no workbook, and reads one from disk as from an upload", async () => {
    const junk = await read("junk.xlsx", Buffer.from("PK not really"));
    assert.equal(junk.issues[0]?.code, "XLSX_UNREADABLE");
    const dir = mkdtempSync(join(tmpdir(), "lb-xlsx-"));
    const path = join(dir, "disk.xlsx");
    writeFileSync(
      path,
      await workbook([
        HEADER,
        ["d-1", "usmf", "GenJrn", "V1", "2026-11-30", "602100", 7.25, null, "USD", "x"],
        ["d-1", "usmf", "GenJrn", "V1", "2026-11-30", "110110", null, 7.25, "USD", "x"],
      ]),
    );
    const fromDisk = await collect(await openJournalFile(path));
    assert.deepEqual(fromDisk.issues, []);
    assert.equal(fromDisk.journals[0]?.lines[0]?.debit?.toFixed(), "7.25");
  });

  it("keeps every digit through an Excel round trip (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.bigInt({ min: 1n, max: 999_999_999_999n }), fc.integer({ min: 0, max: 99 })), {
          minLength: 1,
          maxLength: 20,
        }),
        async (amounts) => {
          const texts = amounts.map(([units, cents]) => `${units}.${String(cents).padStart(2, "0")}`);
          const rows: unknown[][] = [HEADER];
          texts.forEach((text, index) => {
            // As a user's workbook has them: numbers, which Excel keeps as binary doubles.
            rows.push([
              `p-${index}`,
              "usmf",
              "GenJrn",
              "V1",
              "2026-11-30",
              "602100",
              Number(text),
              null,
              "USD",
              "x",
            ]);
            rows.push([
              `p-${index}`,
              "usmf",
              "GenJrn",
              "V1",
              "2026-11-30",
              "110110",
              null,
              Number(text),
              "USD",
              "x",
            ]);
          });
          const { journals, issues } = await read("p.xlsx", await workbook(rows));
          assert.deepEqual(issues, []);
          assert.deepEqual(
            journals.map((journal) => journal.lines[0]?.debit?.toFixed(2)),
            texts,
          );
        },
      ),
      { numRuns: 25 },
    );
  });

  it("turns stored digits and serials into text without a JavaScript number", () => {
    assert.equal(excelNumber("0.30000000000000004"), "0.3");
    assert.equal(excelNumber("1234.5599999999999"), "1234.56");
    assert.equal(excelNumber("1.2E-3"), "0.0012");
    assert.equal(
      excelNumber("999999999999999.98"),
      "1000000000000000",
      "15 significant digits, as Excel shows",
    );
    assert.equal(excelDate("46356", false), "2026-11-30");
    assert.equal(excelDate("61", false), "1900-03-01");
    assert.equal(excelDate("44894", true), "2026-11-30", "the 1904 system counts 1,462 days fewer");
    assert.equal(excelDate("46356.5", false), undefined);
  });
});

describe("input profiles", () => {
  it("fno-excel-addin: F&O's field labels, a journal per batch number, keys from the file's name", async () => {
    const bytes = await workbook([
      [
        "Journal batch number",
        "Company",
        "Journal name",
        "Date",
        "Voucher",
        "Account type",
        "Account",
        "Description",
        "Debit",
        "Credit",
        "Currency",
        "Offset account type",
        "Offset account",
      ],
      [
        "00461",
        "usmf",
        "GenJrn",
        "2026-11-30",
        "GNJL001",
        "Ledger",
        "601500-001-022-007",
        "Consulting",
        1200,
        0,
        "USD",
        "Vend",
        "US-101",
      ],
      [
        "00461",
        "usmf",
        "GenJrn",
        "2026-11-30",
        "GNJL002",
        "Ledger",
        "618500",
        "Bank fee",
        12.5,
        0,
        "USD",
        "Bank",
        "USMF OPER",
      ],
      [
        "00462",
        "usmf",
        "GenJrn",
        "2026-11-29",
        "GNJL003",
        "Cust",
        "US-001",
        "Receipt",
        0,
        300,
        "USD",
        "Bank",
        "USMF OPER",
      ],
    ]);
    const { journals, issues } = await read("November export.xlsx", bytes);
    assert.deepEqual(issues, []);
    assert.deepEqual(journals.map(view), [
      {
        key: "November_export:00461",
        company: "usmf",
        journalName: "GenJrn",
        lines: [
          {
            voucher: "GNJL001",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "601500-001-022-007",
            offset: "Vend:US-101",
            debit: "1200",
            currency: "USD",
            text: "Consulting",
          },
          {
            voucher: "GNJL002",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "618500",
            offset: "Bank:USMF OPER",
            debit: "12.5",
            currency: "USD",
            text: "Bank fee",
          },
        ],
      },
      {
        key: "November_export:00462",
        company: "usmf",
        journalName: "GenJrn",
        lines: [
          {
            voucher: "GNJL003",
            transDate: "2026-11-29",
            accountType: "Cust",
            account: "US-001",
            offset: "Bank:USMF OPER",
            credit: "300",
            currency: "USD",
            text: "Receipt",
          },
        ],
      },
    ]);
    const again = await read("November export.xlsx", bytes);
    assert.deepEqual(
      again.journals.map((journal) => journal.key),
      journals.map((journal) => journal.key),
      "a re-run derives the same keys, so it creates nothing new",
    );
  });

  it("dmf-general-journal: upper-case names, a zero in the other amount column, dimension display values, date-times", async () => {
    const csv = [
      "JOURNALBATCHNUMBER,LINENUMBER,ACCOUNTDISPLAYVALUE,ACCOUNTTYPE,CREDITAMOUNT,CURRENCYCODE,DEBITAMOUNT,DEFAULTDIMENSIONDISPLAYVALUE,DESCRIPTION,ISPOSTED,JOURNALNAME,POSTINGLAYER,SALESTAXGROUP,TEXT,TRANSDATE,VOUCHER,DATAAREAID",
      "PLACEHOLDER1,1,401100---,Ledger,1200.000000,USD,0.000000,001-022-,Accruals,No,GenJrn,Current,,Revenue,2026-11-30T12:00:00,PLACEHOLDER2,usmf",
      "PLACEHOLDER1,2,130100,Ledger,0.000000,USD,1200.000000,,Accruals,No,GenJrn,Current,,Receivable,2026-11-30T12:00:00,PLACEHOLDER2,usmf",
    ].join("\n");
    const options = { dimensionFormat: ["BusinessUnit", "Department", "CostCenter"] };
    const { journals, issues } = await read("dmf-export.csv", csv, options);
    assert.deepEqual(issues, []);
    assert.deepEqual(journals.map(view), [
      {
        key: "dmf-export:PLACEHOLDER1",
        company: "usmf",
        journalName: "GenJrn",
        description: "Accruals",
        lines: [
          {
            voucher: "PLACEHOLDER2",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "401100",
            credit: "1200",
            currency: "USD",
            text: "Revenue",
            dimensions: { BusinessUnit: "001", Department: "022" },
          },
          {
            voucher: "PLACEHOLDER2",
            transDate: "2026-11-30",
            accountType: "Ledger",
            account: "130100",
            debit: "1200",
            currency: "USD",
            text: "Receivable",
          },
        ],
      },
    ]);
    const taxed = await read(
      "dmf-export.csv",
      csv.replace("Current,,Revenue", "Current,AVATAX,Revenue"),
      options,
    );
    assert.deepEqual(taxed.journals, []);
    const refused = taxed.issues.find((found) => found.code === "INPUT_VALUE_NOT_DELIVERED");
    assert.equal(refused?.line, 2);
    assert.equal(refused?.field, "SALESTAXGROUP");
    assert.match(refused?.message ?? "", /"AVATAX"/);
    const noFormat = await read("dmf-export.csv", csv);
    assert.equal(noFormat.issues[0]?.code, "INPUT_DIMENSION_FORMAT_MISSING");
  });

  it("original-report: the report's payload names, grouped by batch number", async () => {
    const csv = [
      "JournalBatchNumber,JournalName,AccountType,LedgerAccount,TransactionCurrencyCode,DebitAmount,CreditAmount,TransDate,dataAreaId,Voucher",
      "B1,GenJrn,Ledger,601500,USD,1200.00,,2026-11-30T00:00:00Z,usmf,ACR-1",
      "B1,GenJrn,Ledger,200400,USD,,1200.00,2026-11-30T00:00:00Z,usmf,ACR-1",
    ].join("\n");
    const named = await read("report.csv", csv, { profile: "original-report" });
    assert.deepEqual(named.issues, []);
    assert.equal(named.journals[0]?.key, "report:B1");
    assert.equal(
      named.journals[0]?.journalBatchNumber,
      undefined,
      "the report's batch number only groups rows",
    );
  });

  it("names the profile that does not exist", async () => {
    const { issues } = await read("x.csv", `${HEADER.join(",")}\n`, { profile: "dmf" });
    assert.equal(issues[0]?.code, "INPUT_PROFILE_UNKNOWN");
  });
});

describe("column maps, defaults, locales and suggestions", () => {
  it("a user column map and defaults read a payroll system's file without JournalKey, company or journal name", async () => {
    const csv = [
      "Run;Konto;Soll;Haben;Datum;Waehrung",
      "R42;601100;48250,00;;27.11.2026;USD",
      "R42;110110;;48250,00;27.11.2026;USD",
    ].join("\n");
    const { journals, issues } = await read("payroll-2026-11.csv", csv, {
      columns: {
        Run: "Voucher",
        Konto: "AccountDisplayValue",
        Soll: "DebitAmount",
        Haben: "CreditAmount",
        Datum: "TransDate",
        Waehrung: "CurrencyCode",
      },
      defaults: { company: "usmf", journalName: "Payroll" },
      locale: { decimal: "comma", date: "dd.mm.yyyy" },
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(journals.map(view), [
      {
        key: "payroll-2026-11:R42",
        company: "usmf",
        journalName: "Payroll",
        lines: [
          {
            voucher: "R42",
            transDate: "2026-11-27",
            accountType: "Ledger",
            account: "601100",
            debit: "48250",
            currency: "USD",
          },
          {
            voucher: "R42",
            transDate: "2026-11-27",
            accountType: "Ledger",
            account: "110110",
            credit: "48250",
            currency: "USD",
          },
        ],
      },
    ]);
  });

  it("a decimal comma is read only when declared; otherwise the clear refusal stays", async () => {
    const csv = (amount: string) =>
      `${HEADER.join(";")}\nk;usmf;GenJrn;V1;2026-11-30;602100;${amount};;USD;x\nk;usmf;GenJrn;V1;2026-11-30;110110;;${amount};USD;x`;
    const declared = await read("comma.csv", csv("1.234,56"), {
      locale: { decimal: "comma", date: "yyyy-mm-dd" },
    });
    assert.deepEqual(declared.issues, []);
    assert.equal(declared.journals[0]?.lines[0]?.debit?.toFixed(), "1234.56");
    const undeclared = await read("comma.csv", csv("1234,56"));
    assert.deepEqual(undeclared.journals, []);
    const refusal = undeclared.issues.find((found) => found.line === 2 && found.field === "DebitAmount");
    assert.ok(refusal, undeclared.issues.map((found) => found.code).join(", "));
  });

  it("suggests the closest known column for a misspelt one", async () => {
    const header = HEADER.map((name) => (name === "AccountDisplayValue" ? "AcountDisplayValue" : name)).join(
      ",",
    );
    const { issues } = await read("typo.csv", `${header}\nk,usmf,GenJrn,V1,2026-11-30,602100,1,,USD,x\n`);
    const unknown = issues.find((found) => found.code === "CSV_HEADER_UNKNOWN_COLUMN");
    assert.match(unknown?.message ?? "", /Did you mean "AccountDisplayValue"\?/);
    assert.equal(unknown?.column, 6);
  });
});
