/**
 * Brings a state saved by an older emulator to today's shapes, so what a user kept keeps working:
 * tables added since start as the scenario has them; values renamed to F&O's real ones (journal
 * names' Type, bank account statuses); the legal entities' ledger fields moved to Ledgers; the posted
 * ledger of the one-table days split into F&O's three sets. Each step is a no-op on a current state.
 */
import Big from "big.js";
import { fiscalCalendarOf } from "../fno/ledger.js";
import type { EmulatorData, Row } from "./model.js";

const BANK_STATUS: Readonly<Record<string, string>> = {
  Active: "ActiveForAllTransactions",
  Inactive: "InactiveForAllTransactions",
};

export function upgradeSavedState(data: EmulatorData, seed: EmulatorData["tables"]): void {
  const tables = data.tables;
  const oldLedger = tables.GeneralJournalAccountEntries;
  delete tables.GeneralJournalAccountEntries;
  for (const [name, rows] of Object.entries(seed)) tables[name] ??= rows;
  for (const row of tables.JournalNames ?? []) {
    if ("JournalType" in row) {
      row.Type ??= row.JournalType ?? "Daily";
      delete row.JournalType;
    }
  }
  for (const row of tables.BankAccounts ?? []) {
    const status = BANK_STATUS[String(row.BankAccountStatus)];
    if (status !== undefined) row.BankAccountStatus = status;
  }
  tables.Ledgers ??= [];
  const ledgers = tables.Ledgers;
  for (const row of tables.LegalEntities ?? []) {
    if (!("AccountingCurrency" in row || "ChartOfAccounts" in row)) continue;
    const company = String(row.LegalEntityId).toLowerCase();
    if (!ledgers.some((ledger) => String(ledger.LegalEntityId).toLowerCase() === company)) {
      ledgers.push({
        LegalEntityId: row.LegalEntityId ?? company,
        Name: company.toUpperCase(),
        Description: row.Name ?? "",
        ChartOfAccounts: row.ChartOfAccounts ?? "Shared",
        AccountingCurrency: row.AccountingCurrency ?? "USD",
        ReportingCurrency: row.AccountingCurrency ?? "USD",
        FiscalCalendar: fiscalCalendarOf(company),
        $recId: data.nextRecId++,
      });
    }
    delete row.AccountingCurrency;
    delete row.ChartOfAccounts;
  }
  if (oldLedger !== undefined && oldLedger.length > 0) splitOldLedger(data, oldLedger);
}

/** One-table posted ledger rows (journal, voucher and amounts on each) into the three sets. */
function splitOldLedger(data: EmulatorData, rows: readonly Row[]): void {
  const journals = new Map<string, number>();
  const entries = new Map<string, number>();
  const next = () => data.nextRecId++;
  const tables = data.tables;
  for (const row of rows) {
    const company = String(row.dataAreaId ?? "");
    const journalId = `${company}|${String(row.JournalNumber)}`;
    let journalKey = journals.get(journalId);
    if (journalKey === undefined) {
      journalKey = next();
      journals.set(journalId, journalKey);
      tables.LedgerEntryJournalBiEntities?.push({
        SourceKey: journalKey,
        JournalNumber: row.JournalNumber ?? "",
        LedgerJournalTableDataAreaId: company,
        $recId: journalKey,
        $version: 1,
      });
    }
    const entryId = `${journalId}|${String(row.Voucher)}`;
    let entryKey = entries.get(entryId);
    const date = `${String(row.AccountingDate ?? "1900-01-01").slice(0, 10)}T12:00:00Z`;
    if (entryKey === undefined) {
      entryKey = next();
      entries.set(entryId, entryKey);
      tables.GeneralJournalEntryBiEntities?.push({
        JournalNumber: `GJE${String(entryKey).padStart(9, "0")}`,
        FiscalCalendarYear: Number(date.slice(0, 4)),
        Ledger: 0,
        SourceKey: entryKey,
        LedgerEntryJournal: journalKey,
        SubledgerVoucher: row.Voucher ?? "",
        SubledgerVoucherDataAreaId: company,
        AccountingDate: date,
        DocumentDate: date,
        PostingLayer: "Current",
        DocumentNumber: "",
        $recId: entryKey,
        $version: 1,
      });
    }
    const key = next();
    const amount = row.TransactionCurrencyAmount ?? new Big(0);
    tables.GeneralJournalAccountEntryBiEntities?.push({
      SourceKey: key,
      GeneralJournalEntry: entryKey,
      LedgerAccount: row.LedgerAccount ?? "",
      TransactionCurrencyCode: row.TransactionCurrencyCode ?? "",
      TransactionCurrencyAmount: amount,
      AccountingCurrencyAmount: amount,
      ReportingCurrencyAmount: amount,
      IsCredit: row.IsCredit ?? "No",
      PostingType: "LedgerJournal",
      IsCorrection: "No",
      Text: row.Description ?? "",
      Quantity: new Big(0),
      $recId: key,
      $version: 1,
    });
  }
}
