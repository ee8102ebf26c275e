import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CSV_HEADER, csv, readText } from "../helpers/read.js";

const codes = (result: { issues: { code: string }[] }) => result.issues.map((found) => found.code);

describe("journal rules", () => {
  it("accepts a balanced voucher and reports nothing", async () => {
    const result = await readText(
      "a.csv",
      csv(
        "j1,usmf,GenJrn,V1,2026-11-30,601100,100.00,,USD",
        "j1,usmf,GenJrn,V1,2026-11-30,110110,,100.00,USD",
      ),
    );
    assert.deepEqual(codes(result), []);
    assert.equal(result.journals[0]?.lines.length, 2);
    assert.equal(result.journals[0]?.company, "usmf");
  });

  it("lets a line with an offset account balance itself", async () => {
    const result = await readText(
      "a.csv",
      `${CSV_HEADER},OffsetAccountDisplayValue\nj1,usmf,GenJrn,V1,2026-11-30,618500,89.50,,USD,110110\n`,
    );
    assert.deepEqual(codes(result), []);
    assert.equal(result.journals[0]?.lines[0]?.offsetAccountType, "Ledger");
  });

  it("groups lines without a voucher per date into one voucher that must balance", async () => {
    const balanced = await readText(
      "a.csv",
      csv(
        "j1,usmf,GenJrn,,2026-11-30,601100,10.00,,USD",
        "j1,usmf,GenJrn,,2026-11-30,110110,,10.00,USD",
        "j1,usmf,GenJrn,,2026-12-01,601100,5.00,,USD",
        "j1,usmf,GenJrn,,2026-12-01,110110,,5.00,USD",
      ),
    );
    assert.deepEqual(codes(balanced), []);
    assert.equal(balanced.reads[0]?.vouchers, 2);
    const unbalanced = await readText(
      "a.csv",
      csv("j1,usmf,GenJrn,,2026-11-30,601100,10.00,,USD", "j1,usmf,GenJrn,,2026-12-01,110110,,10.00,USD"),
    );
    assert.deepEqual(codes(unbalanced), ["VOUCHER_UNBALANCED", "VOUCHER_UNBALANCED"]);
  });

  it("allows mixed currencies in a voucher only when every line has an exchange rate", async () => {
    const header = `${CSV_HEADER},ExchRate`;
    const withRates = await readText(
      "a.csv",
      `${header}\nj1,usmf,GenJrn,V1,2026-11-30,601100,100.00,,USD,100\nj1,usmf,GenJrn,V1,2026-11-30,110150,,92.00,EUR,108.6957\n`,
    );
    assert.deepEqual(codes(withRates), []);
    const oneMissing = await readText(
      "a.csv",
      `${header}\nj1,usmf,GenJrn,V1,2026-11-30,601100,100.00,,USD,\nj1,usmf,GenJrn,V1,2026-11-30,110150,,92.00,EUR,108.6957\n`,
    );
    assert.deepEqual(codes(oneMissing), ["VOUCHER_MIXED_CURRENCIES"]);
  });

  it("warns about a voucher of more than 10 lines but keeps the journal valid", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `j1,usmf,GenJrn,V1,2026-11-30,6011${i}0,1.00,,USD`);
    rows.push("j1,usmf,GenJrn,V1,2026-11-30,110110,,10.00,USD");
    const result = await readText("a.csv", csv(...rows));
    assert.deepEqual(codes(result), ["VOUCHER_OVER_10_LINES"]);
    assert.equal(result.warnings[0]?.severity, "warning");
    assert.equal(result.journals.length, 1);
  });

  it("warns about a journal of more than 10,000 lines", async () => {
    const rows: string[] = [];
    for (let v = 0; v < 5001; v++) {
      rows.push(
        `big,usmf,GenJrn,V${v},2026-11-30,601100,1.00,,USD`,
        `big,usmf,GenJrn,V${v},2026-11-30,110110,,1.00,USD`,
      );
    }
    const result = await readText("a.csv", csv(...rows));
    assert.deepEqual(codes(result), ["JOURNAL_OVER_10000_LINES"]);
    assert.equal(result.journals[0]?.lines.length, 10_002);
  });

  it("does not pile a balance error on a voucher whose line is already broken", async () => {
    const result = await readText(
      "a.csv",
      csv(
        "j1,usmf,GenJrn,V1,2026-11-30,601100,12;50,,USD",
        "j1,usmf,GenJrn,V1,2026-11-30,110110,,100.00,USD",
      ),
    );
    assert.deepEqual(codes(result), ["AMOUNT_SYNTAX"]);
  });

  it("treats company ids case-insensitively and stores them lower-case", async () => {
    const result = await readText(
      "a.csv",
      csv("j1,USMF,GenJrn,V1,2026-11-30,601100,1.00,,usd", "j1,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD"),
    );
    assert.deepEqual(codes(result), []);
    assert.equal(result.journals[0]?.company, "usmf");
    assert.equal(result.journals[0]?.lines[0]?.currency, "USD");
  });

  it("reports every problem of a line, not just the first", async () => {
    const result = await readText("a.csv", csv("j1,usmf,GenJrn,V1,2026-13-01,6011 00,1,5,XYZ"));
    assert.deepEqual(codes(result).sort(), ["AMOUNT_BOTH_SIDES", "CURRENCY_UNKNOWN", "DATE_NOT_A_DAY"]);
  });
});
