/**
 * The entity sets the emulator serves, with F&O's field names, types and keys. Field lists follow
 * Microsoft's entity documentation and the CDM entity definitions (../docs/emulator.md lists the
 * choices made where Microsoft documents nothing).
 */

export type EnumName = "NoYes" | "LedgerJournalACType" | "CustVendorBlocked" | "BankAccountHoldStatus";
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
  // Customers' and vendors' OnHoldStatus (members: an assumption, docs/emulator.md).
  CustVendorBlocked: [
    ["No", 0],
    ["Invoice", 1],
    ["All", 2],
    ["Payment", 3],
    ["Requisition", 4],
    ["Never", 5],
  ],
  // BankAccounts.BankAccountStatus (members: an assumption).
  BankAccountHoldStatus: [
    ["Active", 0],
    ["Inactive", 1],
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
      s("PostingLayer", 20, { generated: true }),
      e("IsPosted", "NoYes", { generated: true }),
      d("JournalTotalDebit", { generated: true }),
      d("JournalTotalCredit", { generated: true }),
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
      { name: "TransDate", type: "Edm.DateTimeOffset" },
      e("AccountType", "LedgerJournalACType"),
      s("AccountDisplayValue", 500),
      e("OffsetAccountType", "LedgerJournalACType"),
      s("OffsetAccountDisplayValue", 500),
      d("DebitAmount"),
      d("CreditAmount"),
      s("CurrencyCode", 3),
      d("ExchRate"),
      s("Text", 60),
      s("DefaultDimensionDisplayValue", 500),
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
      e("IsSuspended", "NoYes"),
      e("DoNotAllowManualEntry", "NoYes"),
    ],
  },
  {
    // Keys and property names from the real metadata (docs/emulator.md); only the fields a general
    // journal's customer lines need.
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
    // Keys and properties from the real metadata (ntrtd/d365-agent asset/client/src/FinancialDimensionValues.ts);
    // the emulator's values are shared by every legal entity (LegalEntityId empty).
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
    fields: [dataAreaId, s("Name", 10), s("Description", 60), s("JournalType", 20)],
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
    fields: [s("LegalEntityId", 4), s("Name", 100), s("AccountingCurrency", 3), s("ChartOfAccounts", 60)],
  },
  {
    name: "GeneralJournalAccountEntries",
    entityType: "GeneralJournalAccountEntry",
    keys: ["GeneralJournalAccountEntryRecId"],
    companySpecific: true,
    readOnly: true,
    fields: [
      { name: "GeneralJournalAccountEntryRecId", type: "Edm.Int64" },
      dataAreaId,
      s("JournalNumber", 20),
      s("Voucher", 20),
      { name: "AccountingDate", type: "Edm.Date" },
      s("LedgerAccount", 500),
      s("MainAccount", 20),
      s("TransactionCurrencyCode", 3),
      d("TransactionCurrencyAmount"),
      d("TransactionCurrencyDebitAmount"),
      d("TransactionCurrencyCreditAmount"),
      e("IsCredit", "NoYes"),
      s("Description", 60),
      s("PostingLayer", 20),
    ],
  },
  {
    // The ledger's fiscal periods with their status per company (name and shape: an assumption, see
    // docs/emulator.md); served from the emulator's fiscal calendar.
    name: "LedgerFiscalPeriods",
    entityType: "LedgerFiscalPeriod",
    keys: ["dataAreaId", "StartDate"],
    companySpecific: true,
    readOnly: true,
    fields: [
      dataAreaId,
      { name: "StartDate", type: "Edm.Date" },
      { name: "EndDate", type: "Edm.Date" },
      s("PeriodStatus", 10),
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

export function entitySetsFor(scenario: string): EntitySetDef[] {
  return ENTITY_SETS.filter((set) => set.scenario === undefined || set.scenario === scenario);
}
