/** Writes journals in the JSON input format, amounts as strings (the inverse of read.ts). */
import type { Journal } from "../../core/journal.js";
import { formatMoney } from "../../core/money.js";

export function journalToJsonValue(journal: Journal): unknown {
  return {
    key: journal.key,
    company: journal.company,
    journalName: journal.journalName,
    description: journal.description,
    journalBatchNumber: journal.journalBatchNumber,
    lines: journal.lines.map((line) => ({
      lineNumber: line.lineNumber === undefined ? undefined : String(line.lineNumber),
      voucher: line.voucher,
      transDate: line.transDate,
      accountType: line.accountType,
      account: line.account,
      offsetAccountType: line.offsetAccountType,
      offsetAccount: line.offsetAccount,
      debit: line.debit && formatMoney(line.debit, line.currency),
      credit: line.credit && formatMoney(line.credit, line.currency),
      currency: line.currency,
      exchangeRate: line.exchangeRate?.toFixed(),
      text: line.text,
      dimensions: line.dimensions,
    })),
  };
}

/** A JSON array of journals. */
export function journalsToJson(journals: readonly Journal[]): string {
  return `${JSON.stringify(journals.map(journalToJsonValue), null, 2)}\n`;
}

/** NDJSON: one journal per line. */
export function journalsToNdjson(journals: readonly Journal[]): string {
  return journals.map((journal) => `${JSON.stringify(journalToJsonValue(journal))}\n`).join("");
}
