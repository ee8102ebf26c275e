/**
 * Where a journal goes in F&O, as entity payloads:
 * - `ledger-journal` (the default): a `LedgerJournalHeaders` row, then its `LedgerJournalLines` — the
 *   entities Microsoft documents for synchronous OData integration;
 * - `flat-entity`: one entity that takes header and line fields on every row, such as the original
 *   report's custom `GeneralJournalAccountEntry` behind its gateway; the field map says which field is
 *   which.
 */
import { BridgeError } from "../core/errors/bridge-error.js";
import type { Journal, JournalLine } from "../core/journal.js";

export interface LedgerJournalTarget {
  readonly kind: "ledger-journal";
  /**
   * Names of the financial dimensions in the order of F&O's "Financial dimension configuration for
   * integrating applications" (default dimension format); needed only when lines carry dimensions.
   */
  readonly dimensionFormat?: readonly string[];
}

export interface FlatEntityFieldMap {
  readonly company: string;
  readonly journalBatchNumber: string;
  readonly journalName: string;
  readonly accountType: string;
  readonly account: string;
  readonly currency: string;
  readonly debit: string;
  readonly credit: string;
  readonly transDate: string;
  readonly voucher?: string;
  readonly text?: string;
}

export interface FlatEntityTarget {
  readonly kind: "flat-entity";
  readonly entitySet: string;
  readonly fields: FlatEntityFieldMap;
}

export type JournalTarget = LedgerJournalTarget | FlatEntityTarget;

/** The original report's entity and field names. */
export const REPORT_FLAT_ENTITY: FlatEntityTarget = {
  kind: "flat-entity",
  entitySet: "GeneralJournalAccountEntry",
  fields: {
    company: "dataAreaId",
    journalBatchNumber: "JournalBatchNumber",
    journalName: "JournalName",
    accountType: "AccountType",
    account: "LedgerAccount",
    currency: "TransactionCurrencyCode",
    debit: "DebitAmount",
    credit: "CreditAmount",
    transDate: "TransDate",
    voucher: "Voucher",
  },
};

/** F&O wants a voucher on every line; lines without one are grouped per date (docs/input-formats.md). */
export function voucherOf(line: JournalLine): string {
  return line.voucher ?? `LB-${line.transDate.replaceAll("-", "")}`;
}

/** F&O's TransDate is an Edm.DateTimeOffset; a journal date is midnight UTC of that day. */
export function transDateTime(date: string): string {
  return `${date}T00:00:00Z`;
}

export function headerPayload(journal: Journal, description: string): Record<string, unknown> {
  return {
    dataAreaId: journal.company,
    JournalName: journal.journalName,
    Description: description,
    ...(journal.journalBatchNumber === undefined ? {} : { JournalBatchNumber: journal.journalBatchNumber }),
  };
}

function dimensionDisplayValue(line: JournalLine, format: readonly string[] | undefined): string | undefined {
  if (line.dimensions === undefined) return undefined;
  if (format === undefined) {
    throw new BridgeError(
      "CONFIG_MISSING",
      "The journal's lines carry financial dimensions, but no dimension format is configured (target.dimensionFormat).",
    );
  }
  const unknown = Object.keys(line.dimensions).filter((name) => !format.includes(name));
  if (unknown.length > 0) {
    throw new BridgeError(
      "CONFIG_INVALID",
      `Dimensions ${unknown.join(", ")} are not in the configured dimension format (${format.join(", ")}).`,
    );
  }
  return format.map((name) => line.dimensions?.[name] ?? "").join("-");
}

export function linePayload(
  journal: Journal,
  line: JournalLine,
  journalBatchNumber: string,
  target: LedgerJournalTarget,
): Record<string, unknown> {
  const dimensions = dimensionDisplayValue(line, target.dimensionFormat);
  return {
    dataAreaId: journal.company,
    JournalBatchNumber: journalBatchNumber,
    ...(line.lineNumber === undefined ? {} : { LineNumber: line.lineNumber }),
    Voucher: voucherOf(line),
    TransDate: transDateTime(line.transDate),
    AccountType: line.accountType,
    AccountDisplayValue: line.account,
    ...(line.offsetAccount === undefined
      ? {}
      : { OffsetAccountType: line.offsetAccountType, OffsetAccountDisplayValue: line.offsetAccount }),
    ...(line.debit === undefined ? {} : { DebitAmount: line.debit }),
    ...(line.credit === undefined ? {} : { CreditAmount: line.credit }),
    CurrencyCode: line.currency,
    ...(line.exchangeRate === undefined ? {} : { ExchRate: line.exchangeRate }),
    ...(line.text === undefined ? {} : { Text: line.text }),
    ...(dimensions === undefined ? {} : { DefaultDimensionDisplayValue: dimensions }),
  };
}

/** A row of a flat entity; without a batch number the entity starts a new journal. */
export function flatPayload(
  journal: Journal,
  line: JournalLine,
  journalBatchNumber: string | undefined,
  target: FlatEntityTarget,
): Record<string, unknown> {
  if (line.offsetAccount !== undefined) {
    throw new BridgeError(
      "CONFIG_INVALID",
      `The flat entity ${target.entitySet} has no offset account field; use the ledger-journal target.`,
    );
  }
  const f = target.fields;
  const row: Record<string, unknown> = {
    [f.company]: journal.company,
    [f.journalName]: journal.journalName,
    [f.accountType]: line.accountType,
    [f.account]: line.account,
    [f.currency]: line.currency,
    [f.transDate]: transDateTime(line.transDate),
  };
  if (journalBatchNumber !== undefined) row[f.journalBatchNumber] = journalBatchNumber;
  if (line.debit !== undefined) row[f.debit] = line.debit;
  if (line.credit !== undefined) row[f.credit] = line.credit;
  if (f.voucher !== undefined) row[f.voucher] = voucherOf(line);
  if (f.text !== undefined && line.text !== undefined) row[f.text] = line.text;
  return row;
}
