/**
 * The account types a general journal line can carry, as data: where each type's accounts live, what
 * makes one unusable, and which ledger account a line to it posts to. Ledger lines name a main
 * account (and its dimensions); customer and vendor lines post to the summary account of their
 * posting profile; bank lines to the bank account's main account. Types the emulator does not model
 * (projects, fixed assets, the Russian ones) are refused the way F&O refuses an account it cannot
 * find in the relating table — a business-rule error, never a 501 to retry.
 */
import type { Row } from "../state/model.js";
import type { EmulatorState } from "../state/store.js";

export interface AccountKind {
  /** The relating table's name in F&O's message. */
  readonly label: string;
  /** The entity set holding the accounts, and how an account's key is made. */
  readonly entitySet?: string;
  key(company: string, account: string): Row;
  /** Why an account of this kind cannot take a journal line now, or undefined. */
  refusal(row: Row, account: string): string | undefined;
  /** The ledger account (display value) a line to this account posts to. */
  ledgerAccount(row: Row, account: string): string;
  /** The posting type (LedgerPostingType) of the ledger entry a line to this account makes. */
  readonly postingType: string;
}

/**
 * The summary accounts of the demo posting profile (Accounts receivable > Setup > Customer posting
 * profiles, and the vendors' alike): every customer group and vendor group posts there.
 */
export const SUMMARY_ACCOUNTS = { Cust: "130100", Vend: "200110" } as const;

/** Customers and vendors: kept per company, refused while on hold for all, posted to a summary account. */
function party(
  label: string,
  entitySet: string,
  keyField: string,
  what: string,
  summary: string,
  postingType: string,
): AccountKind {
  return {
    label,
    entitySet,
    key: (company, account) => ({ dataAreaId: company, [keyField]: account }),
    refusal: (row, account) =>
      row.OnHoldStatus === "All" ? `${what} ${account} is on hold for all transactions.` : undefined,
    ledgerAccount: () => summary,
    postingType,
  };
}

export const ACCOUNT_KINDS: Readonly<Record<string, AccountKind>> = {
  Ledger: {
    label: "Main accounts",
    entitySet: "MainAccounts",
    key: (_company, account) => ({ ChartOfAccounts: "Shared", MainAccountId: account.split("-")[0] ?? "" }),
    refusal: (row, account) =>
      row.DoNotAllowManualEntry === "Yes"
        ? `Main account ${account.split("-")[0]} does not allow manual entry.`
        : undefined,
    ledgerAccount: (_row, account) => account,
    postingType: "LedgerJournal",
  },
  Cust: party(
    "Customers",
    "CustomersV3",
    "CustomerAccount",
    "Customer",
    SUMMARY_ACCOUNTS.Cust,
    "CustBalance",
  ),
  Vend: party("Vendors", "VendorsV2", "VendorAccountNumber", "Vendor", SUMMARY_ACCOUNTS.Vend, "VendBalance"),
  Bank: {
    label: "Bank accounts",
    entitySet: "BankAccounts",
    key: (company, account) => ({ dataAreaId: company, BankAccountId: account }),
    // Inactive for new transactions, or for all: either way a new journal line may not use it.
    refusal: (row, account) =>
      row.BankAccountStatus !== "ActiveForAllTransactions"
        ? `Bank account ${account} is inactive.`
        : undefined,
    ledgerAccount: (row) => String(row.BankMainAccountIdDisplayValue ?? ""),
    postingType: "Bank",
  },
};

/** The relating tables of the types not modelled, for F&O's "not found" message. */
const UNMODELLED: Readonly<Record<string, string>> = {
  Project: "Projects",
  FixedAssets: "Fixed assets",
  FixedAssets_RU: "Fixed assets (Russia)",
  Employee_RU: "Employees (Russia)",
  RDeferrals: "Deferrals",
  RCash: "Cash accounts",
};

export type AccountCheck =
  | { readonly ok: true; readonly row: Row; readonly kind: AccountKind }
  | { readonly ok: false; readonly problem: string };

/** Looks an account up as its type says, with F&O's messages for what is wrong. */
export function findAccount(
  state: EmulatorState,
  company: string,
  field: string,
  type: string,
  account: string,
): AccountCheck {
  const kind = ACCOUNT_KINDS[type];
  if (kind === undefined) {
    const label = UNMODELLED[type];
    return {
      ok: false,
      problem:
        label === undefined
          ? `The value '${type}' in field 'Account type' is not valid.`
          : `The value '${account}' in field '${field}' is not found in the relating table '${label}'.`,
    };
  }
  const row =
    kind.entitySet === undefined ? undefined : state.table(kind.entitySet).get(kind.key(company, account));
  if (row === undefined)
    return {
      ok: false,
      problem: `The value '${account}' in field '${field}' is not found in the relating table '${kind.label}'.`,
    };
  const refusal = kind.refusal(row, account);
  return refusal === undefined ? { ok: true, row, kind } : { ok: false, problem: refusal };
}

/** The ledger account a line's account (or offset account) posts to. */
export function postingAccount(state: EmulatorState, company: string, type: string, account: string): string {
  const kind = ACCOUNT_KINDS[type] ?? ACCOUNT_KINDS.Ledger;
  const row =
    kind?.entitySet === undefined ? undefined : state.table(kind.entitySet).get(kind.key(company, account));
  return kind === undefined || row === undefined ? account : kind.ledgerAccount(row, account);
}

/** The posting type of the ledger entry a line to an account of this type makes. */
export function postingTypeOf(type: string): string {
  return (ACCOUNT_KINDS[type] ?? ACCOUNT_KINDS.Ledger)?.postingType ?? "LedgerJournal";
}
