import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Journal, JournalLine } from "../../src/core/journal.js";
import { decimal, formatMoney } from "../../src/core/money.js";
import { journalsToCsv } from "../../src/ingest/csv/write.js";
import { journalsToJson, journalsToNdjson } from "../../src/ingest/json/write.js";
import { readText } from "../helpers/read.js";

const CURRENCIES: Array<[string, number]> = [
  ["USD", 2],
  ["EUR", 2],
  ["JPY", 0],
  ["KWD", 3],
  ["CLF", 4],
];

const TEXT_CHARS = [..."abcXYZ 0123,;\"'é€ß漢-_/.:()\n".split(""), "\t"];
const text = (max: number) =>
  fc.string({ unit: fc.constantFrom(...TEXT_CHARS), minLength: 1, maxLength: max });
const identifier = (max: number) => fc.stringMatching(new RegExp(`^[A-Za-z0-9]{1,${max}}$`));

function amountText(units: bigint, decimals: number): string {
  const digits = units.toString().padStart(decimals + 1, "0");
  return decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** A voucher of 1-4 debit lines and one credit line for their sum: always balanced. */
const voucher = fc
  .record({
    voucher: fc.stringMatching(/^[A-Z]{1,3}-[0-9]{1,6}$/),
    transDate: fc
      .date({
        min: new Date("1900-01-01T00:00:00Z"),
        max: new Date("2154-12-31T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((date) => date.toISOString().slice(0, 10)),
    currency: fc.constantFrom(...CURRENCIES),
    // Up to 2e14 per line in units of 1/10,000, so four lines still sum to at most 15 integer digits.
    debits: fc.array(fc.bigInt({ min: 1n, max: 2n * 10n ** 18n }), { minLength: 1, maxLength: 4 }),
    texts: fc.array(fc.option(text(60), { nil: undefined }), { minLength: 5, maxLength: 5 }),
    department: fc.option(fc.stringMatching(/^[0-9]{3}$/), { nil: undefined }),
  })
  .map(({ voucher, transDate, currency: [currency, decimals], debits: raw, texts, department }) => {
    const scale = 10n ** BigInt(4 - decimals);
    const debits = raw.map((units) => (units / scale > 0n ? units / scale : 1n));
    const base = { voucher, transDate, accountType: "Ledger" as const, currency };
    const lines: JournalLine[] = debits.map((units, i) => ({
      ...base,
      account: `6011${i}0-001-022`,
      debit: decimal(amountText(units, decimals)),
      ...(texts[i] === undefined ? {} : { text: texts[i] }),
      ...(department === undefined ? {} : { dimensions: { Department: department } }),
    }));
    const sum = debits.reduce((a, b) => a + b, 0n);
    lines.push({ ...base, account: "110110", credit: decimal(amountText(sum, decimals)) });
    return lines;
  });

const journal: fc.Arbitrary<Journal> = fc
  .record({
    key: fc.stringMatching(/^[A-Za-z0-9._:/-]{1,40}$/),
    company: fc.stringMatching(/^[a-z0-9]{1,4}$/),
    journalName: identifier(10),
    description: fc.option(text(60), { nil: undefined }),
    vouchers: fc.array(voucher, { minLength: 1, maxLength: 4 }),
  })
  .map(({ key, company, journalName, description, vouchers }) => {
    const seen = new Set<string>();
    // Voucher ids must not repeat with different dates; keep the first of each id.
    const lines = vouchers
      .filter((lines) => {
        const id = lines[0]?.voucher as string;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      })
      .flat();
    return { key, company, journalName, ...(description === undefined ? {} : { description }), lines };
  });

const journals = fc.uniqueArray(journal, { minLength: 1, maxLength: 5, selector: (j) => j.key });

/** Amounts as strings, so two journals compare digit by digit. */
function comparable(list: readonly Journal[]) {
  return list.map((j) => ({
    ...j,
    lines: j.lines.map((line) => ({
      ...line,
      debit: line.debit && formatMoney(line.debit, line.currency),
      credit: line.credit && formatMoney(line.credit, line.currency),
    })),
  }));
}

describe("round trip (property-based)", () => {
  for (const [format, write] of [
    ["csv", journalsToCsv],
    ["json", journalsToJson],
    ["ndjson", journalsToNdjson],
  ] as const) {
    it(`writes and reads ${format} without changing a digit`, async () => {
      await fc.assert(
        fc.asyncProperty(journals, async (generated) => {
          const result = await readText(`roundtrip.${format}`, write(generated));
          assert.deepEqual(result.errors, []);
          assert.deepEqual(comparable(result.journals), comparable(generated));
        }),
        { numRuns: 150 },
      );
    });
  }
});
