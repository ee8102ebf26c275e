/** Writes journals in the CSV input format (the inverse of read.ts; used for exports and tests). */
import type { Journal } from "../../core/journal.js";
import { formatMoney } from "../../core/money.js";
import { CANONICAL_COLUMNS } from "../profiles.js";

/** The native columns, but the dimension display value: dimensions are written one Dim.<Name> each. */
const FIXED_COLUMNS = CANONICAL_COLUMNS.filter((column) => column !== "DefaultDimensionDisplayValue");

function cell(value: string | undefined): string {
  if (value === undefined) return "";
  return /[",\r\n]|^[ \t]|[ \t]$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function journalsToCsv(journals: readonly Journal[]): string {
  const dimensionNames = [
    ...new Set(
      journals.flatMap((journal) => journal.lines.flatMap((line) => Object.keys(line.dimensions ?? {}))),
    ),
  ].sort();
  const rows = [[...FIXED_COLUMNS, ...dimensionNames.map((name) => `Dim.${name}`)].join(",")];
  for (const journal of journals) {
    for (const line of journal.lines) {
      const values = [
        journal.key,
        journal.company,
        journal.journalName,
        journal.description,
        journal.journalBatchNumber,
        line.lineNumber?.toString(),
        line.voucher,
        line.transDate,
        line.accountType,
        line.account,
        line.offsetAccountType,
        line.offsetAccount,
        line.debit && formatMoney(line.debit, line.currency),
        line.credit && formatMoney(line.credit, line.currency),
        line.currency,
        line.exchangeRate?.toFixed(),
        line.text,
        ...dimensionNames.map((name) => line.dimensions?.[name]),
      ];
      rows.push(values.map(cell).join(","));
    }
  }
  return `${rows.join("\r\n")}\r\n`;
}
