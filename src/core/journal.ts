import type { Amount } from "./money.js";

/** Account types of `LedgerJournalLines` that ledger-bridge delivers (F&O enum member names). */
export const ACCOUNT_TYPES = ["Ledger", "Cust", "Vend", "Bank"] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/**
 * A journal: what one source document becomes. `key` is the source's idempotency key; it is unique
 * per source and never contains `*` (F&O reads `*` in a filter as a wildcard).
 */
export interface Journal {
  readonly key: string;
  /** dataAreaId, stored lower-case. */
  readonly company: string;
  readonly journalName: string;
  readonly description?: string;
  /** Only for environments whose number sequence allows manual numbers. */
  readonly journalBatchNumber?: string;
  readonly lines: readonly JournalLine[];
}

export interface JournalLine {
  readonly lineNumber?: number;
  readonly voucher?: string;
  /** ISO date, YYYY-MM-DD. */
  readonly transDate: string;
  readonly accountType: AccountType;
  /** The display value; for Ledger in F&O's dimension format, e.g. 110180-001-022. */
  readonly account: string;
  readonly offsetAccountType?: AccountType;
  readonly offsetAccount?: string;
  /** Exactly one of debit and credit is set, and it is > 0. */
  readonly debit?: Amount;
  readonly credit?: Amount;
  /** ISO 4217, upper-case. */
  readonly currency: string;
  readonly exchangeRate?: Amount;
  readonly text?: string;
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** The journal-level fields, repeated on every CSV row. */
export const HEADER_FIELDS = ["key", "company", "journalName", "description", "journalBatchNumber"] as const;
export type HeaderField = (typeof HEADER_FIELDS)[number];

/** The line-level fields (dimensions travel separately). `company` is there to catch intercompany lines. */
export const LINE_FIELDS = [
  "lineNumber",
  "voucher",
  "transDate",
  "accountType",
  "account",
  "offsetAccountType",
  "offsetAccount",
  "debit",
  "credit",
  "currency",
  "exchangeRate",
  "text",
  "company",
] as const;
export type LineField = (typeof LINE_FIELDS)[number];
