/**
 * The ledger side of the emulator, in F&O's shapes: fiscal calendars and their periods' status per
 * ledger (FiscalPeriods, LedgerFiscalPeriods), and the posted ledger as F&O's tables hold it — the
 * journal a posting came from (LedgerEntryJournal), one general journal entry per voucher, and the
 * entry's account entries. The emulator keeps its periods per company (`data.fiscalPeriods`); each
 * company's ledger has a calendar of its own, so a test can close a period in one company only.
 */
import Big from "big.js";
import type { EmulatorData, Row } from "../state/model.js";
import type { EmulatorState, Transaction } from "../state/store.js";

/** The fiscal calendar of a company's ledger (Ledgers.FiscalCalendar). */
export function fiscalCalendarOf(company: string): string {
  return `FY-${company.toUpperCase()}`;
}

/** Dates as F&O's DateTimeOffset answers carry a date-only value: noon UTC. */
const atNoon = (day: string) => `${day}T12:00:00Z`;

interface NamedPeriod {
  readonly company: string;
  readonly year: string;
  readonly name: string;
  readonly start: string;
  readonly end: string;
  readonly status: string;
}

/** Every company's periods, named as F&O names a calendar's operating periods: "Period 1" … per year. */
function namedPeriods(data: EmulatorData): NamedPeriod[] {
  return Object.entries(data.fiscalPeriods).flatMap(([company, periods]) => {
    const perYear = new Map<string, number>();
    return [...periods]
      .sort((a, b) => (a.start < b.start ? -1 : 1))
      .map((period) => {
        const year = period.start.slice(0, 4);
        const index = (perYear.get(year) ?? 0) + 1;
        perYear.set(year, index);
        return { company, year, name: `Period ${index}`, ...period };
      });
  });
}

export function fiscalPeriodRows(data: EmulatorData): Row[] {
  return namedPeriods(data).map((period) => ({
    Calendar: fiscalCalendarOf(period.company),
    FiscalYear: period.year,
    StartDate: atNoon(period.start),
    EndDate: atNoon(period.end),
    PeriodName: period.name,
    Type: "Operating",
    ShortName: period.name.replace("Period ", "P"),
  }));
}

export function ledgerFiscalPeriodRows(data: EmulatorData): Row[] {
  return namedPeriods(data).map((period) => ({
    LedgerName: period.company.toUpperCase(),
    Calendar: fiscalCalendarOf(period.company),
    YearName: period.year,
    PeriodName: period.name,
    PeriodStatus: period.status,
    LegalEntityId: period.company,
  }));
}

export interface LedgerEntry {
  readonly ledgerAccount: string;
  readonly currency: string;
  /** Signed: debit positive, credit negative. */
  readonly amount: Big.Big;
  readonly accountingAmount: Big.Big;
  readonly postingType: string;
  readonly text: string;
}

export interface PostedVoucherEntry {
  readonly voucher: string;
  /** ISO date. */
  readonly date: string;
  readonly entries: readonly LedgerEntry[];
}

const ENTRY_JOURNALS = "LedgerEntryJournalBiEntities";
const ENTRIES = "GeneralJournalEntryBiEntities";
const ACCOUNT_ENTRIES = "GeneralJournalAccountEntryBiEntities";

/** Writes one posted journal's vouchers into the posted ledger, inside the posting's transaction. */
export function writePostedLedger(
  state: EmulatorState,
  company: string,
  batchNumber: string,
  vouchers: readonly PostedVoucherEntry[],
  tx: Transaction,
): void {
  const journalKey = state.nextRecId(tx);
  const versioned = (row: Row): Row => ({ ...row, $recId: row.SourceKey ?? null, $version: 1 });
  state
    .table(ENTRY_JOURNALS)
    .insert(
      versioned({ SourceKey: journalKey, JournalNumber: batchNumber, LedgerJournalTableDataAreaId: company }),
      tx,
    );
  const ledger = state.table("Ledgers").get({ LegalEntityId: company });
  for (const voucher of vouchers) {
    const entryKey = state.nextRecId(tx);
    state.table(ENTRIES).insert(
      versioned({
        // F&O numbers general journal entries from a sequence of their own; the emulator uses the key.
        JournalNumber: `GJE${String(entryKey).padStart(9, "0")}`,
        FiscalCalendarYear: Number(voucher.date.slice(0, 4)),
        Ledger: Number(ledger?.$recId ?? 0),
        SourceKey: entryKey,
        LedgerEntryJournal: journalKey,
        SubledgerVoucher: voucher.voucher,
        SubledgerVoucherDataAreaId: company,
        AccountingDate: atNoon(voucher.date),
        DocumentDate: atNoon(voucher.date),
        PostingLayer: "Current",
        DocumentNumber: "",
      }),
      tx,
    );
    for (const entry of voucher.entries) {
      state.table(ACCOUNT_ENTRIES).insert(
        versioned({
          SourceKey: state.nextRecId(tx),
          GeneralJournalEntry: entryKey,
          LedgerAccount: entry.ledgerAccount,
          TransactionCurrencyCode: entry.currency,
          TransactionCurrencyAmount: entry.amount,
          AccountingCurrencyAmount: entry.accountingAmount,
          ReportingCurrencyAmount: entry.accountingAmount,
          IsCredit: entry.amount.lt(0) ? "Yes" : "No",
          PostingType: entry.postingType,
          IsCorrection: "No",
          Text: entry.text,
          Quantity: new Big(0),
        }),
        tx,
      );
    }
  }
}

/**
 * The admin view of the posted ledger: each account entry joined to its voucher and journal, as a
 * test wants to read it (not an F&O shape; F&O's are the three sets above).
 */
export function ledgerView(state: EmulatorState): Row[] {
  const journals = new Map<unknown, Row>();
  for (const row of state.table(ENTRY_JOURNALS).rows.values()) journals.set(row.SourceKey, row);
  const entries = new Map<unknown, Row>();
  for (const row of state.table(ENTRIES).rows.values()) entries.set(row.SourceKey, row);
  return [...state.table(ACCOUNT_ENTRIES).rows.values()].map((row) => {
    const entry = entries.get(row.GeneralJournalEntry);
    const journal = journals.get(entry?.LedgerEntryJournal);
    const account = String(row.LedgerAccount ?? "");
    return {
      dataAreaId: journal?.LedgerJournalTableDataAreaId ?? null,
      JournalNumber: journal?.JournalNumber ?? null,
      Voucher: entry?.SubledgerVoucher ?? null,
      AccountingDate: String(entry?.AccountingDate ?? "").slice(0, 10),
      LedgerAccount: account,
      MainAccount: account.split("-")[0] ?? "",
      TransactionCurrencyCode: row.TransactionCurrencyCode ?? null,
      TransactionCurrencyAmount: row.TransactionCurrencyAmount ?? null,
      AccountingCurrencyAmount: row.AccountingCurrencyAmount ?? null,
      IsCredit: row.IsCredit ?? null,
      PostingType: row.PostingType ?? null,
      Description: row.Text ?? null,
    };
  });
}
