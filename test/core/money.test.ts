import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decimal, formatMoney, integerDigits, significantDecimals } from "../../src/core/money.js";
import { csv, readText } from "../helpers/read.js";

describe("exact money", () => {
  it("balances 0.1 + 0.2 against 0.3 exactly (a float would not)", async () => {
    const result = await readText(
      "a.csv",
      csv(
        "j1,usmf,GenJrn,V1,2026-11-30,601100,0.1,,USD",
        "j1,usmf,GenJrn,V1,2026-11-30,601200,0.2,,USD",
        "j1,usmf,GenJrn,V1,2026-11-30,110110,,0.3,USD",
      ),
    );
    assert.deepEqual(result.errors, []);
    assert.equal(result.journals.length, 1);
  });

  it("tells 999999999999999.98 from 999999999999999.99 (equal as floats, a cent apart as money)", async () => {
    assert.equal(Number("999999999999999.98"), Number("999999999999999.99"));
    const result = await readText(
      "a.csv",
      csv(
        "j1,usmf,GenJrn,V1,2026-11-30,601100,999999999999999.98,,USD",
        "j1,usmf,GenJrn,V1,2026-11-30,110110,,999999999999999.99,USD",
      ),
    );
    assert.equal(result.errors.length, 1);
    assert.equal(result.errors[0]?.code, "VOUCHER_UNBALANCED");
    assert.match(result.errors[0]?.message ?? "", /difference 0\.01\)/);
    assert.match(
      result.errors[0]?.message ?? "",
      /debits 999999999999999\.98 and credits 999999999999999\.99/,
    );
  });

  it("refuses -0.00 as not positive and 1e3 as scientific notation", async () => {
    const result = await readText(
      "a.csv",
      csv("j1,usmf,GenJrn,V1,2026-11-30,601100,-0.00,,USD", "j1,usmf,GenJrn,V1,2026-11-30,110110,,1e3,USD"),
    );
    assert.deepEqual(
      result.errors.map((e) => [e.code, e.line, e.field]),
      [
        ["AMOUNT_NOT_POSITIVE", 2, "DebitAmount"],
        ["AMOUNT_EXPONENT", 3, "CreditAmount"],
      ],
    );
  });

  it("keeps every digit of a 15-digit amount through sums and formatting", () => {
    const sum = decimal("999999999999999.99").plus(decimal("0.01"));
    assert.equal(formatMoney(sum, "USD"), "1000000000000000.00");
    assert.equal(formatMoney(decimal("12"), "JPY"), "12");
    assert.equal(formatMoney(decimal("1.5"), "KWD"), "1.500");
  });

  it("refuses to be built from a JavaScript number", () => {
    assert.throws(() => decimal(0.1 as unknown as string));
  });

  it("counts significant decimals and integer digits", () => {
    assert.equal(significantDecimals("10.500"), 1);
    assert.equal(significantDecimals("10"), 0);
    assert.equal(integerDigits("000123.4"), 3);
    assert.equal(integerDigits("0.5"), 1);
  });
});
