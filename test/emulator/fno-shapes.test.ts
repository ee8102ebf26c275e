/**
 * Conformance tests for the emulator's shapes that once differed from real F&O (docs/emulator.md,
 * "Differences"): the ledger's fields on Ledgers, enums where F&O has enums, fiscal calendars and
 * their periods' status per ledger, the posted ledger in F&O's three sets, empty values instead of
 * nulls, the key-count message, and line fields the emulator does not model refused as 501.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Big from "big.js";
import { scenarioData } from "../../src/emulator/scenarios/index.js";
import type { EmulatorData } from "../../src/emulator/state/model.js";
import { upgradeSavedState } from "../../src/emulator/state/upgrade.js";
import { call, useEmulator } from "../helpers/emulator.js";

const env = useEmulator({ resetEachTest: true });
const get = (path: string) => call(env.emulator, "GET", path, { token: env.token });
const post = (path: string, body: unknown) =>
  call(env.emulator, "POST", path, {
    token: env.token,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const values = async (path: string) => {
  const answer = await get(path);
  assert.equal(answer.status, 200, answer.body);
  return answer.json().value as any[];
};
const filter = (set: string, expression: string) =>
  values(`/data/${set}?$filter=${encodeURIComponent(expression)}`);

async function journal(lines: Array<Record<string, unknown>>): Promise<string> {
  const header = await post("/data/LedgerJournalHeaders", { JournalName: "GenJrn", Description: "shapes" });
  assert.equal(header.status, 201, header.body);
  const batch = header.json().JournalBatchNumber as string;
  for (const line of lines) {
    const answer = await post("/data/LedgerJournalLines", {
      JournalBatchNumber: batch,
      TransDate: "2026-11-02T12:00:00Z",
      Voucher: "V1",
      CurrencyCode: "USD",
      ...line,
    });
    assert.equal(answer.status, 201, answer.body);
  }
  return batch;
}

describe("the ledger, fiscal calendars and enums in F&O's shapes", () => {
  it("serves a legal entity's currency and chart of accounts on Ledgers, not on LegalEntities", async () => {
    const entity = (await get("/data/LegalEntities('usmf')")).json();
    assert.equal(entity.AccountingCurrency, undefined);
    assert.equal(entity.ChartOfAccounts, undefined);
    const ledger = (await get("/data/Ledgers('usmf')")).json();
    assert.equal(ledger.AccountingCurrency, "USD");
    assert.equal(ledger.ChartOfAccounts, "Shared");
    assert.equal(ledger.FiscalCalendar, "FY-USMF");
  });

  it("has PostingLayer and JournalNames.Type as enums, filtered with F&O's enum syntax only", async () => {
    await journal([{ AccountType: "Ledger", AccountDisplayValue: "601100", DebitAmount: 1 }]);
    const current = await filter(
      "LedgerJournalHeaders",
      "PostingLayer eq Microsoft.Dynamics.DataEntities.CurrentOperationsTax'Current'",
    );
    assert.equal(current.length, 1);
    const asText = await get(
      `/data/LedgerJournalHeaders?$filter=${encodeURIComponent("PostingLayer eq 'Current'")}`,
    );
    assert.equal(asText.status, 400, "an enum compared with a string is refused, as F&O refuses it");
    const daily = await filter(
      "JournalNames",
      "Type eq Microsoft.Dynamics.DataEntities.LedgerJournalType'Daily'",
    );
    assert.ok(daily.some((row) => row.Name === "GenJrn"));
    assert.equal(daily[0].JournalType, undefined);
  });

  it("keeps fiscal periods per calendar and their status per ledger, with DateTimeOffset dates", async () => {
    const december = await filter(
      "FiscalPeriods",
      "Calendar eq 'FY-USMF' and StartDate le 2025-12-15T12:00:00Z and EndDate ge 2025-12-15T12:00:00Z",
    );
    assert.equal(december.length, 1);
    assert.deepEqual(
      { ...december[0], "@odata.etag": undefined },
      {
        "@odata.etag": undefined,
        Calendar: "FY-USMF",
        FiscalYear: "2025",
        StartDate: "2025-12-01T12:00:00Z",
        EndDate: "2025-12-31T12:00:00Z",
        PeriodName: "Period 12",
        Type: "Operating",
        ShortName: "P12",
      },
    );
    const status = await filter(
      "LedgerFiscalPeriods",
      "LedgerName eq 'USMF' and Calendar eq 'FY-USMF' and YearName eq '2025' and PeriodName eq 'Period 12'",
    );
    assert.equal(status[0]?.PeriodStatus, "Closed");
    const open = await filter(
      "LedgerFiscalPeriods",
      "LedgerName eq 'USMF' and YearName eq '2026' and PeriodStatus eq Microsoft.Dynamics.DataEntities.FiscalPeriodStatus'Open'",
    );
    assert.equal(open.length, 12);
  });

  it("writes the posted ledger as F&O's three sets, joined by their record keys", async () => {
    const batch = await journal([
      { AccountType: "Ledger", AccountDisplayValue: "601100", DebitAmount: 100, Text: "rent" },
      { AccountType: "Vend", AccountDisplayValue: "US-101", CreditAmount: 100, Text: "rent" },
      {
        AccountType: "Ledger",
        AccountDisplayValue: "618500",
        DebitAmount: 10,
        CurrencyCode: "EUR",
        ExchRate: 110.5,
        OffsetAccountType: "Bank",
        OffsetAccountDisplayValue: "USMF EUR",
        Voucher: "V2",
      },
    ]);
    const posted = await post("/api/services/LedgerBridgeServices/JournalPostingService/post", {
      dataAreaId: "usmf",
      journalBatchNumber: batch,
    });
    assert.equal(posted.status, 200, posted.body);
    const [source] = await filter(
      "LedgerEntryJournalBiEntities",
      `JournalNumber eq '${batch}' and LedgerJournalTableDataAreaId eq 'usmf'`,
    );
    assert.ok(source, "the journal's LedgerEntryJournal");
    const entries = await filter(
      "GeneralJournalEntryBiEntities",
      `LedgerEntryJournal eq ${source.SourceKey}`,
    );
    assert.equal(entries.length, 2, "one general journal entry per voucher");
    for (const entry of entries) {
      assert.equal(entry.AccountingDate, "2026-11-02T12:00:00Z");
      assert.equal(entry.PostingLayer, "Current");
      assert.equal(entry.SubledgerVoucherDataAreaId, "usmf");
    }
    const byVoucher = new Map<string, any[]>();
    for (const entry of entries)
      byVoucher.set(
        entry.SubledgerVoucher,
        await filter("GeneralJournalAccountEntryBiEntities", `GeneralJournalEntry eq ${entry.SourceKey}`),
      );
    const [first, second] = [...byVoucher.values()].sort((a, b) => a.length - b.length || 0);
    const summary = (rows: any[]) =>
      rows
        .map(
          (row) =>
            `${row.LedgerAccount} ${row.PostingType} ${row.IsCredit} ${row.TransactionCurrencyCode} ${new Big(row.TransactionCurrencyAmount).toFixed(2)} ${new Big(row.AccountingCurrencyAmount).toFixed(2)}`,
        )
        .sort();
    assert.deepEqual(
      summary([...(first ?? []), ...(second ?? [])]),
      [
        "110150 Bank Yes EUR -10.00 -11.05",
        "200110 VendBalance Yes USD -100.00 -100.00",
        "601100 LedgerJournal No USD 100.00 100.00",
        "618500 LedgerJournal No EUR 10.00 11.05",
      ],
      "ledger and summary accounts, posting types, and EUR at the line's rate per 100",
    );
  });

  it("answers a type's empty value, never null, and refuses null for a number or a date", async () => {
    const batch = await journal([{ AccountType: "Ledger", AccountDisplayValue: "601100", DebitAmount: 5 }]);
    const [line] = await filter("LedgerJournalLines", `JournalBatchNumber eq '${batch}'`);
    assert.equal(line.DocumentDate, "1900-01-01T12:00:00Z");
    assert.equal(line.Invoice, "");
    assert.equal(line.ReverseEntry, "No");
    assert.equal(String(line.Quantity), "0");
    const refused = await post("/data/LedgerJournalLines", {
      JournalBatchNumber: batch,
      AccountType: "Ledger",
      AccountDisplayValue: "601100",
      DebitAmount: null,
    });
    assert.equal(refused.status, 400);
    assert.match(refused.json().error.message, /'DebitAmount'.*does not allow null values/);
  });

  it("names the key count, not an empty property, for a single value on a composite key", async () => {
    const answer = await get("/data/LedgerJournalHeaders('USMF-000001')");
    assert.equal(answer.status, 400);
    assert.match(
      answer.json().error.message,
      /number of keys specified in the URI does not match number of key properties for the resource 'Microsoft\.Dynamics\.DataEntities\.LedgerJournalHeader'/,
    );
  });

  it("refuses sales tax, reversing entries and intercompany lines as not modelled (501), not posting them wrong", async () => {
    const header = await post("/data/LedgerJournalHeaders", { JournalName: "GenJrn" });
    const batch = header.json().JournalBatchNumber;
    const base = {
      JournalBatchNumber: batch,
      AccountType: "Ledger",
      AccountDisplayValue: "601100",
      DebitAmount: 1,
      CurrencyCode: "USD",
      TransDate: "2026-11-02T12:00:00Z",
      Voucher: "V1",
    };
    for (const extra of [{ SalesTaxGroup: "AVATAX" }, { ReverseEntry: "Yes" }, { OffsetCompany: "usrt" }]) {
      const answer = await post("/data/LedgerJournalLines", { ...base, ...extra });
      assert.equal(answer.status, 501, JSON.stringify(extra));
      assert.match(answer.json().error.message, /not supported by the emulator/);
    }
    const same = await post("/data/LedgerJournalLines", {
      ...base,
      Company: "usmf",
      DocumentDate: "2026-11-01T12:00:00Z",
    });
    assert.equal(same.status, 201, same.body);
  });
});

describe("a state saved by an older emulator", () => {
  it("is brought to today's shapes: Type, bank statuses, Ledgers, and the posted ledger split in three", () => {
    const data = scenarioData("default", "https://127.0.0.1") as EmulatorData;
    const old: EmulatorData = structuredClone(data);
    old.tables.JournalNames = [
      { dataAreaId: "usmf", Name: "OldJrn", Description: "old", JournalType: "Periodic" },
    ];
    old.tables.BankAccounts = [{ dataAreaId: "usmf", BankAccountId: "OLD", BankAccountStatus: "Inactive" }];
    old.tables.LegalEntities = [
      {
        LegalEntityId: "demf",
        Name: "Contoso Germany",
        AccountingCurrency: "EUR",
        ChartOfAccounts: "Shared",
      },
    ];
    delete old.tables.Ledgers;
    delete old.tables.LedgerEntryJournalBiEntities;
    delete old.tables.GeneralJournalEntryBiEntities;
    delete old.tables.GeneralJournalAccountEntryBiEntities;
    old.tables.GeneralJournalAccountEntries = [
      {
        dataAreaId: "usmf",
        JournalNumber: "USMF-000001",
        Voucher: "USMF-V1",
        AccountingDate: "2026-11-02",
        LedgerAccount: "601100",
        TransactionCurrencyCode: "USD",
        TransactionCurrencyAmount: new Big("12.34"),
        IsCredit: "No",
        Description: "rent",
      },
    ];
    upgradeSavedState(old, data.tables);
    const tables = old.tables as Record<string, any[] | undefined>;
    assert.deepEqual(tables.JournalNames?.[0], {
      dataAreaId: "usmf",
      Name: "OldJrn",
      Description: "old",
      Type: "Periodic",
    });
    assert.equal(tables.BankAccounts?.[0]?.BankAccountStatus, "InactiveForAllTransactions");
    assert.equal(tables.LegalEntities?.[0]?.AccountingCurrency, undefined);
    const demf = tables.Ledgers?.find((row) => row.LegalEntityId === "demf");
    assert.equal(demf?.AccountingCurrency, "EUR");
    assert.equal(tables.GeneralJournalAccountEntries, undefined);
    assert.equal(tables.LedgerEntryJournalBiEntities?.[0]?.JournalNumber, "USMF-000001");
    assert.equal(tables.GeneralJournalEntryBiEntities?.[0]?.SubledgerVoucher, "USMF-V1");
    assert.equal(
      String(tables.GeneralJournalAccountEntryBiEntities?.[0]?.TransactionCurrencyAmount),
      "12.34",
    );
  });
});
