/**
 * The entity sets the emulator serves, with F&O's field names, types and keys. Field lists follow
 * Microsoft's entity documentation and the CDM entity definitions (../docs/emulator.md lists the
 * choices made where Microsoft documents nothing).
 */

export type EnumName =
  | "NoYes"
  | "LedgerJournalACType"
  | "CustVendorBlocked"
  | "BankAccountHoldStatus"
  | "CurrentOperationsTax"
  | "LedgerJournalType"
  | "DimensionLedgerAccountType"
  | "FiscalPeriodType"
  | "FiscalPeriodStatus"
  | "LedgerPostingType";
export type EdmType =
  | "Edm.String"
  | "Edm.Decimal"
  | "Edm.Int32"
  | "Edm.Int64"
  | "Edm.DateTimeOffset"
  | "Edm.Date"
  | { readonly enum: EnumName };

export interface FieldDef {
  readonly name: string;
  readonly type: EdmType;
  readonly maxLength?: number;
  /** Server-assigned: a client may leave it out on create. */
  readonly generated?: boolean;
}

export interface EntitySetDef {
  /** The collection name used in URLs (case-sensitive, as in F&O). */
  readonly name: string;
  /** The public entity name (singular). */
  readonly entityType: string;
  readonly keys: readonly string[];
  /** Company-specific sets carry dataAreaId and are filtered to the user's company by default. */
  readonly companySpecific: boolean;
  /** Read-only sets refuse POST, PATCH, PUT and DELETE. */
  readonly readOnly: boolean;
  readonly fields: readonly FieldDef[];
  /** Only in some scenarios (the CSRF gateway's flat entity). */
  readonly scenario?: string;
}

export const NAMESPACE = "Microsoft.Dynamics.DataEntities";

function numbered(members: readonly string[]): ReadonlyArray<readonly [string, number]> {
  return members.map((member, index) => [member, index] as const);
}

export const ENUMS: Record<EnumName, ReadonlyArray<readonly [string, number]>> = {
  NoYes: [
    ["No", 0],
    ["Yes", 1],
  ],
  // The ten members of the real metadata (docs/emulator.md); the numbers behind them are not public
  // there, so those beyond the first six are an assumption.
  LedgerJournalACType: [
    ["Ledger", 0],
    ["Cust", 1],
    ["Vend", 2],
    ["Project", 3],
    ["FixedAssets", 5],
    ["Bank", 6],
    ["FixedAssets_RU", 7],
    ["Employee_RU", 8],
    ["RDeferrals", 9],
    ["RCash", 10],
  ],
  // The members below are those of the real metadata (test/fixtures/fno-metadata.json); the numbers
  // behind them are not public there, so they are numbered in the order the metadata lists them.
  CustVendorBlocked: numbered(["No", "Invoice", "All", "Payment", "Requisition", "Never", "PurchOrder"]),
  BankAccountHoldStatus: numbered([
    "ActiveForAllTransactions",
    "InactiveForNewTransactions",
    "InactiveForAllTransactions",
  ]),
  CurrentOperationsTax: numbered([
    "Current",
    "Operations",
    "Tax",
    "WarehouseCur_RU",
    "CustomLayer1",
    "CustomLayer2",
    "CustomLayer3",
    "CustomLayer4",
    "CustomLayer5",
    "CustomLayer6",
    "CustomLayer7",
    "None",
  ]),
  // A general journal's types; the real enum has some fifty more (subledger journals), left out.
  LedgerJournalType: numbered(["Daily", "Periodic", "PurchaseLedger", "Approval", "Payment", "CustPayment"]),
  DimensionLedgerAccountType: numbered([
    "Blank",
    "ProfitAndLoss",
    "Revenue",
    "Expense",
    "BalanceSheet",
    "Asset",
    "Liability",
    "Equity",
    "Total",
    "Reporting",
    "Common_CN",
  ]),
  FiscalPeriodType: numbered(["Opening", "Operating", "Closing"]),
  FiscalPeriodStatus: numbered(["OnHold", "Open", "Closed"]),
  // The posting types a general journal's entries carry, numbered by their place among the real
  // enum's some 250 members.
  LedgerPostingType: [
    ["None", 0],
    ["LedgerJournal", 14],
    ["Bank", 20],
    ["CustBalance", 31],
    ["VendBalance", 41],
  ],
};

const s = (name: string, maxLength: number, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: "Edm.String",
  maxLength,
  ...extra,
});
const d = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: "Edm.Decimal",
  ...extra,
});
const e = (name: string, enumName: EnumName, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: { enum: enumName },
  ...extra,
});
const dataAreaId = s("dataAreaId", 4);

const date = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: "Edm.DateTimeOffset",
  ...extra,
});
const int64 = (name: string, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  type: "Edm.Int64",
  ...extra,
});

/**
 * Each set's names, keys and types follow the real metadata (test/fixtures/fno-metadata.json holds the
 * facts, test/emulator/metadata-facts.test.ts holds the emulator to them). A set carries only the
 * properties the emulator gives meaning to; F&O's sets have many more.
 */
export const ENTITY_SETS: readonly EntitySetDef[] = [
  {
    name: "LedgerJournalHeaders",
    entityType: "LedgerJournalHeader",
    keys: ["dataAreaId", "JournalBatchNumber"],
    companySpecific: true,
    readOnly: false,
    fields: [
      dataAreaId,
      s("JournalBatchNumber", 20, { generated: true }),
      s("JournalName", 10),
      s("Description", 60),
      e("PostingLayer", "CurrentOperationsTax", { generated: true }),
      e("IsPosted", "NoYes", { generated: true }),
      d("JournalTotalDebit", { generated: true }),
      d("JournalTotalCredit", { generated: true }),
      s("AccountingCurrency", 3, { generated: true }),
      s("IntegrationKey", 100),
    ],
  },
  {
    name: "LedgerJournalLines",
    entityType: "LedgerJournalLine",
    keys: ["dataAreaId", "JournalBatchNumber", "LineNumber"],
    companySpecific: true,
    readOnly: false,
    fields: [
      dataAreaId,
      s("JournalBatchNumber", 20),
      d("LineNumber", { generated: true }),
      s("Voucher", 20, { generated: true }),
      date("TransDate"),
      e("AccountType", "LedgerJournalACType"),
      s("AccountDisplayValue", 500),
      e("OffsetAccountType", "LedgerJournalACType"),
      s("OffsetAccountDisplayValue", 500),
      d("DebitAmount"),
      d("CreditAmount"),
      s("CurrencyCode", 3),
      d("ExchRate"),
      s("Text", 60),
      s("OffsetText", 60),
      s("DefaultDimensionDisplayValue", 500),
      s("OffsetDefaultDimensionDisplayValue", 500),
      s("Company", 4),
      s("OffsetCompany", 4),
      date("DocumentDate"),
      s("Document", 20),
      s("Invoice", 20),
      s("PaymentReference", 60),
      date("DueDate"),
      s("PostingProfile", 10),
      s("SalesTaxGroup", 10),
      s("ItemSalesTaxGroup", 10),
      e("ReverseEntry", "NoYes"),
      date("ReverseDate"),
      d("Quantity"),
    ],
  },
  {
    name: "MainAccounts",
    entityType: "MainAccount",
    keys: ["ChartOfAccounts", "MainAccountId"],
    companySpecific: false,
    readOnly: true,
    fields: [
      s("ChartOfAccounts", 60),
      s("MainAccountId", 20),
      s("Name", 60),
      e("MainAccountType", "DimensionLedgerAccountType"),
      e("IsSuspended", "NoYes"),
      e("DoNotAllowManualEntry", "NoYes"),
    ],
  },
  {
    name: "CustomersV3",
    entityType: "CustomerV3",
    keys: ["dataAreaId", "CustomerAccount"],
    companySpecific: true,
    readOnly: true,
    fields: [
      dataAreaId,
      s("CustomerAccount", 20),
      s("OrganizationName", 100),
      s("CustomerGroupId", 10),
      s("SalesCurrencyCode", 3),
      e("OnHoldStatus", "CustVendorBlocked"),
    ],
  },
  {
    name: "VendorsV2",
    entityType: "VendorV2",
    keys: ["dataAreaId", "VendorAccountNumber"],
    companySpecific: true,
    readOnly: true,
    fields: [
      dataAreaId,
      s("VendorAccountNumber", 20),
      s("VendorOrganizationName", 100),
      s("VendorGroupId", 10),
      s("CurrencyCode", 3),
      e("OnHoldStatus", "CustVendorBlocked"),
    ],
  },
  {
    name: "BankAccounts",
    entityType: "BankAccount",
    keys: ["dataAreaId", "BankAccountId"],
    companySpecific: true,
    readOnly: true,
    fields: [
      dataAreaId,
      s("BankAccountId", 10),
      s("Name", 60),
      s("CurrencyCode", 3),
      s("BankMainAccountIdDisplayValue", 500),
      e("BankAccountStatus", "BankAccountHoldStatus"),
    ],
  },
  {
    // The emulator's values are shared by every legal entity (LegalEntityId empty).
    name: "FinancialDimensionValues",
    entityType: "FinancialDimensionValue",
    keys: ["FinancialDimension", "LegalEntityId", "DimensionValue"],
    companySpecific: false,
    readOnly: true,
    fields: [
      s("FinancialDimension", 30),
      s("LegalEntityId", 4),
      s("DimensionValue", 30),
      s("Description", 60),
      e("IsSuspended", "NoYes"),
      e("IsBlockedForManualEntry", "NoYes"),
    ],
  },
  {
    name: "JournalNames",
    entityType: "JournalName",
    keys: ["dataAreaId", "Name"],
    companySpecific: true,
    readOnly: true,
    fields: [
      dataAreaId,
      s("Name", 10),
      s("Description", 60),
      e("Type", "LedgerJournalType"),
      s("VoucherSeriesCode", 10),
    ],
  },
  {
    name: "Currencies",
    entityType: "Currency",
    keys: ["CurrencyCode"],
    companySpecific: false,
    readOnly: true,
    fields: [s("CurrencyCode", 3), s("Name", 60)],
  },
  {
    name: "LegalEntities",
    entityType: "LegalEntity",
    keys: ["LegalEntityId"],
    companySpecific: false,
    readOnly: true,
    fields: [s("LegalEntityId", 4), s("Name", 100)],
  },
  {
    // A legal entity's ledger: its chart of accounts, currencies and fiscal calendar.
    name: "Ledgers",
    entityType: "Ledger",
    keys: ["LegalEntityId"],
    companySpecific: false,
    readOnly: true,
    fields: [
      s("LegalEntityId", 4),
      s("Name", 10),
      s("Description", 60),
      s("ChartOfAccounts", 60),
      s("AccountingCurrency", 3),
      s("ReportingCurrency", 3),
      s("FiscalCalendar", 10),
    ],
  },
  {
    // The posted ledger, in three sets as F&O's tables hold it: the journal a posting came from
    // (LedgerEntryJournal), one entry per voucher (GeneralJournalEntry) and its account entries.
    name: "LedgerEntryJournalBiEntities",
    entityType: "LedgerEntryJournalBiEntity",
    keys: ["SourceKey"],
    companySpecific: false,
    readOnly: true,
    fields: [int64("SourceKey"), s("JournalNumber", 20), s("LedgerJournalTableDataAreaId", 4)],
  },
  {
    name: "GeneralJournalEntryBiEntities",
    entityType: "GeneralJournalEntryBiEntity",
    keys: ["JournalNumber", "FiscalCalendarYear", "Ledger"],
    companySpecific: false,
    readOnly: true,
    fields: [
      s("JournalNumber", 20),
      int64("FiscalCalendarYear"),
      int64("Ledger"),
      int64("SourceKey"),
      int64("LedgerEntryJournal"),
      s("SubledgerVoucher", 20),
      s("SubledgerVoucherDataAreaId", 4),
      date("AccountingDate"),
      date("DocumentDate"),
      e("PostingLayer", "CurrentOperationsTax"),
      s("DocumentNumber", 20),
    ],
  },
  {
    name: "GeneralJournalAccountEntryBiEntities",
    entityType: "GeneralJournalAccountEntryBiEntity",
    keys: ["SourceKey"],
    companySpecific: false,
    readOnly: true,
    fields: [
      int64("SourceKey"),
      int64("GeneralJournalEntry"),
      s("LedgerAccount", 500),
      s("TransactionCurrencyCode", 3),
      d("TransactionCurrencyAmount"),
      d("AccountingCurrencyAmount"),
      d("ReportingCurrencyAmount"),
      e("IsCredit", "NoYes"),
      e("PostingType", "LedgerPostingType"),
      e("IsCorrection", "NoYes"),
      s("Text", 60),
      d("Quantity"),
    ],
  },
  {
    // The periods of each fiscal calendar; their status per ledger is in LedgerFiscalPeriods.
    name: "FiscalPeriods",
    entityType: "FiscalPeriod",
    keys: ["Calendar", "FiscalYear", "StartDate", "EndDate", "PeriodName"],
    companySpecific: false,
    readOnly: true,
    fields: [
      s("Calendar", 10),
      s("FiscalYear", 10),
      date("StartDate"),
      date("EndDate"),
      s("PeriodName", 60),
      e("Type", "FiscalPeriodType"),
      s("ShortName", 10),
    ],
  },
  {
    name: "LedgerFiscalPeriods",
    entityType: "LedgerFiscalPeriod",
    keys: ["LedgerName", "Calendar", "YearName", "PeriodName"],
    companySpecific: false,
    readOnly: true,
    fields: [
      s("LedgerName", 10),
      s("Calendar", 10),
      s("YearName", 10),
      s("PeriodName", 60),
      e("PeriodStatus", "FiscalPeriodStatus"),
      s("LegalEntityId", 4),
    ],
  },
  {
    name: "SysAADClients",
    entityType: "SysAADClient",
    keys: ["AADClientId"],
    companySpecific: false,
    readOnly: true,
    fields: [s("AADClientId", 36), s("Name", 60), s("UserId", 20)],
  },
  {
    // The original report's flat entity: a custom, writable entity behind a CSRF gateway. Rows file
    // into LedgerJournalHeaders/LedgerJournalLines, so posting and the ledger work the same way.
    name: "GeneralJournalAccountEntry",
    entityType: "GeneralJournalAccountEntryFlat",
    keys: ["dataAreaId", "JournalBatchNumber", "LineNumber"],
    companySpecific: true,
    readOnly: false,
    scenario: "csrf-gateway",
    fields: [
      dataAreaId,
      s("JournalBatchNumber", 20, { generated: true }),
      d("LineNumber", { generated: true }),
      s("JournalName", 10),
      e("AccountType", "LedgerJournalACType"),
      s("LedgerAccount", 500),
      s("TransactionCurrencyCode", 3),
      d("DebitAmount"),
      d("CreditAmount"),
      { name: "TransDate", type: "Edm.DateTimeOffset" },
      s("Voucher", 20, { generated: true }),
      s("Text", 60),
      // The journal's description (LedgerJournalTable.Name): custom journal entities usually map
      // one, and ledger-bridge carries its marker in it. Given on a row that starts a journal.
      s("Description", 60),
    ],
  },
];

/** A type's name as `$metadata` and OData's messages write it (`Microsoft.Dynamics.DataEntities.NoYes`). */
export function edmTypeName(type: EdmType): string {
  return typeof type === "object" ? `${NAMESPACE}.${type.enum}` : type;
}

export function entitySetsFor(scenario: string): EntitySetDef[] {
  return ENTITY_SETS.filter((set) => set.scenario === undefined || set.scenario === scenario);
}

/**
 * X++ has no null for numbers and dates, so F&O's metadata marks them, and every key, not nullable;
 * strings and enums are nullable there though F&O answers "" and the zero member for them.
 */
export function isNullable(def: EntitySetDef, field: FieldDef): boolean {
  return !def.keys.includes(field.name) && (field.type === "Edm.String" || typeof field.type === "object");
}

/** F&O's empty date (as its answers show it: 1900-01-01 at noon UTC). */
export const EMPTY_DATE = "1900-01-01T12:00:00Z";

/** What F&O answers for a field that was never given a value. */
export function emptyValue(field: FieldDef): string | number {
  const type = field.type;
  if (typeof type === "object") return ENUMS[type.enum][0]?.[0] ?? "";
  switch (type) {
    case "Edm.String":
      return "";
    case "Edm.DateTimeOffset":
      return EMPTY_DATE;
    case "Edm.Date":
      return "1900-01-01";
    default:
      return 0;
  }
}
