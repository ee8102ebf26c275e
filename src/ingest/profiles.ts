/**
 * Input profiles, as data: the files integrators already have, each with its column names for the
 * model's columns, what its batch number column means, and how its values are written. A table file
 * (CSV or Excel) is read with one profile: named by the user (`--profile`, the upload's `profile`
 * field), or chosen by its header when exactly one profile knows every column. docs/input-formats.md
 * shows each with an example.
 */

/** The model's columns, by their native names (docs/input-formats.md). */
export const CANONICAL_COLUMNS = [
  "JournalKey",
  "dataAreaId",
  "JournalName",
  "Description",
  "JournalBatchNumber",
  "LineNumber",
  "Voucher",
  "TransDate",
  "AccountType",
  "AccountDisplayValue",
  "OffsetAccountType",
  "OffsetAccountDisplayValue",
  "DebitAmount",
  "CreditAmount",
  "CurrencyCode",
  "ExchRate",
  "Text",
  "DefaultDimensionDisplayValue",
] as const;
export type CanonicalColumn = (typeof CANONICAL_COLUMNS)[number];

export interface InputProfile {
  readonly name: string;
  readonly summary: string;
  /** The file's names for each column it has (matched case-insensitively). */
  readonly names: Readonly<Partial<Record<CanonicalColumn, readonly string[]>>>;
  /**
   * What the batch number column holds: the F&O journal to add to (`target`), or a value that only
   * groups rows into journals — DMF's placeholders, a batch number exported from another journal.
   */
  readonly batchNumber: "target" | "group";
  /** A zero in one amount column means it is empty (DMF writes both DEBITAMOUNT and CREDITAMOUNT). */
  readonly zeroAmountIsEmpty: boolean;
  /** Date-times at midnight or noon read as their date (DMF writes dates as date-times). */
  readonly dateTimesAsDates: boolean;
  /** Trailing empty segments of an account display value dropped (DMF writes `401100---`). */
  readonly trimEmptySegments: boolean;
  /** Columns read but not delivered, each with the values that say nothing (others are refused). */
  readonly undelivered?: Readonly<Record<string, RegExp>>;
}

const EMPTY = /^$/;
const ZERO = /^(0+(\.0*)?)?$/;
const EMPTY_DATE = /^(1900-01-01([T ]00:00:00(\.0+)?Z?)?)?$/;

/**
 * DMF's export carries columns the model does not deliver (CASHDISCOUNT, ISPOSTED, POSTINGLAYER …).
 * Such a column is accepted while every value in it says nothing (empty, zero, the default), and
 * refused on the row where it says something: dropping a sales tax group or a reversal would post
 * something other than the file says.
 */
export const DMF_UNDELIVERED_COLUMNS: Readonly<Record<string, RegExp>> = {
  CASHDISCOUNT: EMPTY,
  CASHDISCOUNTAMOUNT: ZERO,
  CASHDISCOUNTDATE: EMPTY_DATE,
  DOCUMENT: EMPTY,
  DOCUMENTDATE: EMPTY_DATE,
  DUEDATE: EMPTY_DATE,
  EXCHANGERATESECONDARY: ZERO,
  INVOICE: EMPTY,
  ISPOSTED: /^(no|0)?$/i,
  ITEMSALESTAXGROUP: EMPTY,
  OFFSETDEFAULTDIMENSIONDISPLAYVALUE: /^-*$/,
  OFFSETTEXT: EMPTY,
  PAYMENTID: EMPTY,
  PAYMENTMETHOD: EMPTY,
  PAYMENTREFERENCE: EMPTY,
  POSTINGLAYER: /^(current)?$/i,
  POSTINGPROFILE: EMPTY,
  QUANTITY: ZERO,
  REPORTINGCURRENCYEXCHRATE: ZERO,
  REPORTINGCURRENCYEXCHRATESECONDARY: ZERO,
  REVERSEDATE: EMPTY_DATE,
  REVERSEENTRY: /^(no|0)?$/i,
  SALESTAXCODE: EMPTY,
  SALESTAXGROUP: EMPTY,
  TAXEXEMPTNUMBER: EMPTY,
};

const NATIVE_NAMES = Object.fromEntries(
  CANONICAL_COLUMNS.map((column): [string, readonly string[]] => [column, [column]]),
) as Record<CanonicalColumn, readonly string[]>;

const native: InputProfile = {
  name: "native",
  summary: "ledger-bridge's own columns: F&O's LedgerJournalLines field names, Dim.<Name> for dimensions",
  names: {
    ...NATIVE_NAMES,
    // Names the first files used; kept so those files read as they always did.
    AccountDisplayValue: ["AccountDisplayValue", "LedgerAccount"],
    DebitAmount: ["DebitAmount", "Debit"],
    CreditAmount: ["CreditAmount", "Credit"],
    CurrencyCode: ["CurrencyCode", "TransactionCurrencyCode"],
    ExchRate: ["ExchRate", "ExchangeRate"],
  },
  batchNumber: "target",
  zeroAmountIsEmpty: false,
  dateTimesAsDates: false,
  trimEmptySegments: false,
};

export const PROFILES: readonly InputProfile[] = [
  native,
  {
    name: "original-report",
    summary:
      "the payload of the original report's flat entity: JournalBatchNumber, JournalName, AccountType, LedgerAccount, TransactionCurrencyCode, Debit/Credit",
    names: {
      JournalKey: ["JournalKey"],
      dataAreaId: ["dataAreaId"],
      JournalBatchNumber: ["JournalBatchNumber"],
      JournalName: ["JournalName"],
      Description: ["Description"],
      Voucher: ["Voucher"],
      TransDate: ["TransDate"],
      AccountType: ["AccountType"],
      AccountDisplayValue: ["LedgerAccount"],
      DebitAmount: ["DebitAmount", "Debit"],
      CreditAmount: ["CreditAmount", "Credit"],
      CurrencyCode: ["TransactionCurrencyCode"],
      Text: ["Text"],
    },
    batchNumber: "group",
    zeroAmountIsEmpty: false,
    dateTimesAsDates: true,
    trimEmptySegments: false,
  },
  {
    name: "fno-excel-addin",
    summary:
      "F&O's General journal lines as the Excel add-in exports them: the English field labels (Journal batch number, Date, Account, Offset account, Debit, Credit, Currency …)",
    names: {
      dataAreaId: ["Company"],
      JournalName: ["Journal name", "Name"],
      Description: ["Journal description"],
      JournalBatchNumber: ["Journal batch number"],
      LineNumber: ["Line number"],
      Voucher: ["Voucher"],
      TransDate: ["Date"],
      AccountType: ["Account type"],
      AccountDisplayValue: ["Account"],
      OffsetAccountType: ["Offset account type"],
      OffsetAccountDisplayValue: ["Offset account"],
      DebitAmount: ["Debit"],
      CreditAmount: ["Credit"],
      CurrencyCode: ["Currency"],
      ExchRate: ["Exchange rate"],
      // The lines grid labels a line's text "Description".
      Text: ["Description", "Text"],
      DefaultDimensionDisplayValue: ["Financial dimensions", "Default dimensions"],
    },
    batchNumber: "group",
    zeroAmountIsEmpty: true,
    dateTimesAsDates: true,
    trimEmptySegments: true,
  },
  {
    name: "dmf-general-journal",
    summary:
      "a Data management export or template of the General journal entity: upper-case staging names, both amount columns filled (a zero means empty), DEFAULTDIMENSIONDISPLAYVALUE",
    names: {
      dataAreaId: ["DATAAREAID"],
      JournalName: ["JOURNALNAME"],
      Description: ["DESCRIPTION"],
      JournalBatchNumber: ["JOURNALBATCHNUMBER"],
      LineNumber: ["LINENUMBER"],
      Voucher: ["VOUCHER"],
      TransDate: ["TRANSDATE"],
      AccountType: ["ACCOUNTTYPE"],
      AccountDisplayValue: ["ACCOUNTDISPLAYVALUE"],
      OffsetAccountType: ["OFFSETACCOUNTTYPE"],
      OffsetAccountDisplayValue: ["OFFSETACCOUNTDISPLAYVALUE"],
      DebitAmount: ["DEBITAMOUNT"],
      CreditAmount: ["CREDITAMOUNT"],
      CurrencyCode: ["CURRENCYCODE"],
      ExchRate: ["EXCHANGERATE"],
      Text: ["TEXT"],
      // Microsoft's entity page says ACCOUNTDEFAULTDIMENSIONDISPLAYVALUE; exports and CDM say this.
      DefaultDimensionDisplayValue: ["DEFAULTDIMENSIONDISPLAYVALUE", "ACCOUNTDEFAULTDIMENSIONDISPLAYVALUE"],
    },
    batchNumber: "group",
    zeroAmountIsEmpty: true,
    dateTimesAsDates: true,
    trimEmptySegments: true,
    undelivered: DMF_UNDELIVERED_COLUMNS,
  },
];

export const PROFILE_NAMES = PROFILES.map((profile) => profile.name);

export function profileNamed(name: string): InputProfile | undefined {
  return PROFILES.find((profile) => profile.name === name);
}
