/**
 * Named scenarios: the state an emulator starts in (and returns to on reset).
 * - `default`: a healthy environment with demo company usmf (and usrt), a chart of accounts, journal
 *   names GenJrn and Payroll, four currencies, a fiscal calendar with one closed period, a registered
 *   application and a service user with the Accountant role.
 * - `csrf-gateway`: the original report's setup: the same environment behind a gateway that wants an
 *   X-CSRF-Token on writes, plus the report's writable flat entity `GeneralJournalAccountEntry`.
 */
import { fiscalCalendarOf } from "../fno/ledger.js";
import type { EmulatorData, FiscalPeriod, Row, SecurityRole } from "../state/model.js";

export const SCENARIOS = ["default", "csrf-gateway"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** Fixed demo identities, printed by `ledger-bridge emulator` so clients can connect. */
export const DEMO = {
  tenantId: "5f0b6a3e-8c1d-4f7a-9e2b-1c3d5e7f9a0b",
  tenantDomain: "contoso.onmicrosoft.com",
  clientId: "7d1c3f4a-2b5e-4c6d-8e9f-0a1b2c3d4e5f",
  clientSecret: "emulator-demo-secret-not-for-production",
  publicClientId: "3e9a1b7c-5d2f-4a6e-8b0c-9d1e2f3a4b5c",
  serviceUserId: "svc-ledger-bridge",
  accountantObjectId: "0c1d2e3f-4a5b-4c6d-9e8f-7a6b5c4d3e2f",
  accountantUpn: "accountant@contoso.onmicrosoft.com",
  /** The "Financial dimension configuration for integrating applications" of the demo company. */
  dimensionFormat: ["BusinessUnit", "Department", "CostCenter"],
} as const;

const ACCOUNTS: ReadonlyArray<readonly [string, string, ("blocked" | "no-manual")?]> = [
  ["110110", "Bank - operating account"],
  ["110150", "Bank - EUR account"],
  ["110180", "Petty cash"],
  ["120100", "Short-term investments"],
  ["130100", "Accounts receivable - domestic"],
  ["130700", "Accounts receivable - control", "no-manual"],
  ["140200", "Inventory - finished goods"],
  ["140300", "Inventory - raw materials"],
  ["150100", "Prepaid expenses"],
  ["160100", "Land"],
  ["160200", "Buildings"],
  ["170100", "Accumulated depreciation - buildings"],
  ["199999", "Suspense - closed account", "blocked"],
  ["200110", "Accounts payable - domestic"],
  ["200400", "Accrued liabilities"],
  ["200510", "Income tax withheld"],
  ["200520", "Social security payable"],
  ["200530", "Health insurance payable"],
  ["210100", "Sales tax payable"],
  ["220100", "Short-term loans"],
  ["250100", "Long-term debt"],
  ["300100", "Common stock"],
  ["310100", "Retained earnings"],
  ["401100", "Sales revenue - licences"],
  ["401200", "Sales revenue - services"],
  ["402100", "Sales discounts"],
  ["403100", "Interest income"],
  ["501100", "Cost of goods sold"],
  ["501200", "Freight in"],
  ["601100", "Salaries"],
  ["601200", "Payroll taxes"],
  ["601300", "Employee benefits"],
  ["601500", "Professional fees"],
  ["602100", "Rent"],
  ["602200", "Utilities"],
  ["603100", "Office supplies"],
  ["604100", "Travel"],
  ["605100", "Depreciation"],
  ["618500", "Bank charges"],
  ["620100", "Exchange rate losses"],
  ["620200", "Exchange rate gains"],
  ["700100", "Income tax expense"],
];

/** A main account's type by its number, as the demo chart of accounts groups them. */
function mainAccountType(id: string): string {
  return { "1": "Asset", "2": "Liability", "3": "Equity", "4": "Revenue" }[id.slice(0, 1)] ?? "Expense";
}

/** A legal entity's ledger: the shared chart of accounts, US dollars, and its own fiscal calendar. */
const ledger = (company: string, name: string, recId: number): Row => ({
  LegalEntityId: company,
  Name: company.toUpperCase(),
  Description: name,
  ChartOfAccounts: "Shared",
  AccountingCurrency: "USD",
  ReportingCurrency: "USD",
  FiscalCalendar: fiscalCalendarOf(company),
  $recId: recId,
});

function monthlyPeriods(fromYear: number, toYear: number, closed: readonly string[]): FiscalPeriod[] {
  const periods: FiscalPeriod[] = [];
  for (let year = fromYear; year <= toYear; year++) {
    for (let month = 1; month <= 12; month++) {
      const start = `${year}-${String(month).padStart(2, "0")}-01`;
      const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
      const end = `${year}-${String(month).padStart(2, "0")}-${String(last).padStart(2, "0")}`;
      periods.push({ start, end, status: closed.includes(start.slice(0, 7)) ? "Closed" : "Open" });
    }
  }
  return periods;
}

const ACCOUNTANT: SecurityRole = {
  name: "Accountant",
  entities: {
    LedgerJournalHeaders: "write",
    LedgerJournalLines: "write",
    GeneralJournalAccountEntry: "write",
    MainAccounts: "read",
    CustomersV3: "read",
    FinancialDimensionValues: "read",
    VendorsV2: "read",
    BankAccounts: "read",
    JournalNames: "read",
    Currencies: "read",
    LegalEntities: "read",
    Ledgers: "read",
    LedgerEntryJournalBiEntities: "read",
    GeneralJournalEntryBiEntities: "read",
    GeneralJournalAccountEntryBiEntities: "read",
    FiscalPeriods: "read",
    LedgerFiscalPeriods: "read",
  },
  journalNames: ["*"],
  services: ["JournalPostingService"],
};

const dimensionValue = (dimension: string, value: string, suspended = "No"): Row => ({
  FinancialDimension: dimension,
  LegalEntityId: "",
  DimensionValue: value,
  Description: `${dimension} ${value}`,
  IsSuspended: suspended,
  IsBlockedForManualEntry: "No",
});
const customer = (account: string, name: string, hold: string): Row => ({
  dataAreaId: "usmf",
  CustomerAccount: account,
  OrganizationName: name,
  CustomerGroupId: "10",
  SalesCurrencyCode: "USD",
  OnHoldStatus: hold,
});
const vendor = (account: string, name: string, hold: string): Row => ({
  dataAreaId: "usmf",
  VendorAccountNumber: account,
  VendorOrganizationName: name,
  VendorGroupId: "10",
  CurrencyCode: "USD",
  OnHoldStatus: hold,
});
const bank = (id: string, name: string, currency: string, mainAccount: string, status: string): Row => ({
  dataAreaId: "usmf",
  BankAccountId: id,
  Name: name,
  CurrencyCode: currency,
  BankMainAccountIdDisplayValue: mainAccount,
  BankAccountStatus: status,
});

export function scenarioData(name: ScenarioName, environmentUrl: string): EmulatorData {
  const mainAccounts: Row[] = [];
  const journalNames: Row[] = [];
  const currencies: Row[] = [];
  for (const [id, accountName, flag] of ACCOUNTS) {
    mainAccounts.push({
      ChartOfAccounts: "Shared",
      MainAccountId: id,
      Name: accountName,
      MainAccountType: mainAccountType(id),
      IsSuspended: flag === "blocked" ? "Yes" : "No",
      DoNotAllowManualEntry: flag === "no-manual" ? "Yes" : "No",
    });
  }
  for (const [company, journalName, description] of [
    ["usmf", "GenJrn", "General journal"],
    ["usmf", "Payroll", "Payroll journal"],
    ["usrt", "GenJrn", "General journal"],
  ] as const) {
    journalNames.push({
      dataAreaId: company,
      Name: journalName,
      Description: description,
      Type: "Daily",
    });
  }
  for (const [code, currencyName] of [
    ["USD", "US dollar"],
    ["EUR", "Euro"],
    ["GBP", "Pound sterling"],
    ["JPY", "Japanese yen"],
  ] as const) {
    currencies.push({ CurrencyCode: code, Name: currencyName });
  }
  const tables: Record<string, Row[]> = {
    LedgerJournalHeaders: [],
    LedgerJournalLines: [],
    LedgerEntryJournalBiEntities: [],
    GeneralJournalEntryBiEntities: [],
    GeneralJournalAccountEntryBiEntities: [],
    MainAccounts: mainAccounts,
    // A few customers, vendors and bank accounts of USMF, each kind with one that may not be used.
    CustomersV3: [
      customer("US-001", "Contoso Retail San Diego", "No"),
      customer("US-002", "Contoso Retail Los Angeles", "No"),
      customer("US-009", "Forest Wholesales (on hold)", "All"),
    ],
    VendorsV2: [
      vendor("US-101", "Fabrikam Electronics", "No"),
      vendor("US-104", "Fabrikam Supplier", "No"),
      vendor("US-109", "Litware (on hold)", "All"),
    ],
    BankAccounts: [
      bank("USMF OPER", "Operating account", "USD", "110110", "ActiveForAllTransactions"),
      bank("USMF EUR", "Euro account", "EUR", "110150", "ActiveForAllTransactions"),
      bank("USMF OLD", "Closed account", "USD", "110110", "InactiveForAllTransactions"),
    ],
    FinancialDimensionValues: [
      ...["001", "002", "003", "004"].map((value) => dimensionValue("BusinessUnit", value)),
      ...["015", "021", "022", "023"].map((value) => dimensionValue("Department", value)),
      dimensionValue("Department", "024", "Yes"),
      ...["007", "008", "009", "010"].map((value) => dimensionValue("CostCenter", value)),
    ],
    JournalNames: journalNames,
    Currencies: currencies,
    LegalEntities: [
      { LegalEntityId: "usmf", Name: "Contoso USA" },
      { LegalEntityId: "usrt", Name: "Contoso Retail USA" },
    ],
    Ledgers: [ledger("usmf", "Contoso USA", 5637144576), ledger("usrt", "Contoso Retail USA", 5637144577)],
  };

  const periods = monthlyPeriods(2020, 2030, ["2025-12"]);
  return {
    config: {
      tenantId: DEMO.tenantId,
      tenantDomains: [DEMO.tenantDomain],
      environmentUrl,
      tokenLifetimeSeconds: 3599,
      maxConcurrentRequests: null,
      retryAfterSeconds: 5,
      latency: { perRequestMs: 0, perOperationMs: 0 },
      pageSize: 10_000,
      csrfGateway: name === "csrf-gateway",
      csrfTokenLifetimeSeconds: 1800,
      deviceCodeIntervalSeconds: 1,
      faults: [],
      randomSeed: 42,
    },
    entraApps: {
      [DEMO.clientId]: {
        clientId: DEMO.clientId,
        displayName: "ledger-bridge (demo)",
        secrets: [{ value: DEMO.clientSecret }],
        certificates: [],
        hasServicePrincipal: true,
        consented: true,
        appRoles: [],
        publicClient: false,
        redirectUris: ["http://localhost"],
      },
      [DEMO.publicClientId]: {
        clientId: DEMO.publicClientId,
        displayName: "ledger-bridge sign-in (demo)",
        secrets: [],
        certificates: [],
        hasServicePrincipal: true,
        consented: true,
        appRoles: [],
        publicClient: true,
        redirectUris: ["http://localhost"],
      },
    },
    entraUsers: {
      [DEMO.accountantObjectId]: {
        objectId: DEMO.accountantObjectId,
        userPrincipalName: DEMO.accountantUpn,
        displayName: "Demo Accountant",
      },
    },
    fnoApps: {
      [DEMO.clientId]: { clientId: DEMO.clientId, name: "ledger-bridge", userId: DEMO.serviceUserId },
    },
    fnoUsers: {
      [DEMO.serviceUserId]: {
        userId: DEMO.serviceUserId,
        enabled: true,
        defaultCompany: "usmf",
        // Data management for the package path (target dmf-package or auto).
        roles: ["Accountant", "DataManagementOperationsUser"],
      },
      accountant: {
        userId: "accountant",
        enabled: true,
        defaultCompany: "usmf",
        roles: ["Accountant"],
        entraObjectId: DEMO.accountantObjectId,
      },
    },
    roles: {
      Accountant: ACCOUNTANT,
      DataManagementOperationsUser: {
        name: "DataManagementOperationsUser",
        entities: { DataManagementDefinitionGroups: "write" },
        journalNames: [],
        services: [],
      },
      SystemAdministrator: {
        name: "SystemAdministrator",
        entities: { "*": "write" },
        journalNames: ["*"],
        services: ["*"],
      },
    },
    tables,
    journalNumbers: {
      usmf: { prefix: "USMF-", width: 6, next: 1 },
      usrt: { prefix: "USRT-", width: 6, next: 1 },
    },
    voucherNumbers: {
      usmf: { prefix: "USMF-V", width: 8, next: 1 },
      usrt: { prefix: "USRT-V", width: 8, next: 1 },
    },
    nextRecId: 5_637_144_576,
    fiscalPeriods: { usmf: periods, usrt: monthlyPeriods(2020, 2030, ["2025-12"]) },
  };
}
