/**
 * Field-level parsing: raw strings from any source (CSV cell, JSON string) become typed journal
 * fields, or issues with the field's location. Sources hand over strings only, so every rule about
 * what a value may look like lives here, once.
 */
import { minorUnits } from "./currencies.js";
import type { ErrorCode } from "./errors/codes.js";
import { type Issue, issue, type SourceLocation } from "./errors/issue.js";
import {
  ACCOUNT_TYPES,
  type AccountType,
  type HeaderField,
  type Journal,
  type JournalLine,
  type LineField,
} from "./journal.js";
import { type Amount, decimal, integerDigits, PLAIN_DECIMAL, significantDecimals, ZERO } from "./money.js";

/** Tells where a model field sits in the source (`dimensions.<Name>` for a dimension). */
export interface Locator {
  at(field: string): SourceLocation;
}

export type RawHeader = Partial<Record<HeaderField, string>>;
export type RawLine = Partial<Record<LineField, string>> & { dimensions?: Record<string, string> };
export type JournalHeader = Omit<Journal, "lines">;

/** Maximum lengths of the F&O fields behind each model field (see docs/input-formats.md). */
export const MAX_LENGTH = {
  key: 100,
  company: 4,
  journalName: 10,
  description: 60,
  journalBatchNumber: 20,
  voucher: 20,
  account: 500,
  offsetAccount: 500,
  text: 60,
  dimensionName: 30,
  dimensionValue: 30,
} as const;

const MAX_AMOUNT_INTEGER_DIGITS = 15;
const FIRST_DATE = "1900-01-01";
const LAST_DATE = "2154-12-31";

// Characters that are invisible or change how text reads. Free text may keep tabs and line breaks
// (a quoted CSV cell can hold them); identifiers, amounts and dates may not, nor a no-break space.
const INVISIBLE_IN_TEXT =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;
const INVISIBLE_IN_VALUE =
  /[\u0000-\u001F\u007F-\u00A0\u00AD\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;
const NON_ASCII = /[^\u0020-\u007E]/;
/** The common case, tested first so the diagnosing patterns run only on values that fail it. */
const PRINTABLE_ASCII = /^[\u0020-\u007E]*$/;

const CHARACTER_NAMES: Record<number, string> = {
  0: "NUL",
  9: "TAB",
  10: "LINE FEED",
  13: "CARRIAGE RETURN",
  160: "NO-BREAK SPACE",
  173: "SOFT HYPHEN",
  8203: "ZERO WIDTH SPACE",
  8204: "ZERO WIDTH NON-JOINER",
  8205: "ZERO WIDTH JOINER",
  8206: "LEFT-TO-RIGHT MARK",
  8207: "RIGHT-TO-LEFT MARK",
  8234: "LEFT-TO-RIGHT EMBEDDING",
  8235: "RIGHT-TO-LEFT EMBEDDING",
  8237: "LEFT-TO-RIGHT OVERRIDE",
  8238: "RIGHT-TO-LEFT OVERRIDE",
  8288: "WORD JOINER",
  8294: "LEFT-TO-RIGHT ISOLATE",
  8295: "RIGHT-TO-LEFT ISOLATE",
  8296: "FIRST STRONG ISOLATE",
  8297: "POP DIRECTIONAL ISOLATE",
  65279: "BYTE ORDER MARK",
};

function describeCharacter(text: string, index: number): string {
  const codePoint = text.codePointAt(index) ?? 0;
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = CHARACTER_NAMES[codePoint];
  const shown = name ?? `'${String.fromCodePoint(codePoint)}'`;
  return `${hex} ${shown} at position ${index + 1}`;
}

/** The report of a rejected value quotes it; long values are cut so messages stay readable. */
export function quote(value: string): string {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(shown);
}

class FieldReader {
  constructor(
    private at: Locator,
    private sink: Issue[],
  ) {}

  /** Points the reader at another line: one reader serves every line, a million times over. */
  reset(at: Locator, sink: Issue[]): this {
    this.at = at;
    this.sink = sink;
    return this;
  }

  fail(field: string, code: ErrorCode, detail: string): undefined {
    this.sink.push(issue(code, detail, this.at.at(field)));
    return undefined;
  }

  /** Empty strings count as absent: a CSV cell cannot tell "" from missing. */
  present(value: string | undefined): value is string {
    return value !== undefined && value !== "";
  }

  required(field: string, label: string, value: string | undefined): value is string {
    if (this.present(value)) return true;
    this.fail(field, "FIELD_REQUIRED", `${label} is missing.`);
    return false;
  }

  /** Identifiers: printable ASCII, no invisible characters, bounded length. */
  identifier(field: string, label: string, value: string, maxLength: number): string | undefined {
    if (this.printableAscii(field, label, value) === undefined) return undefined;
    return this.length(field, label, value, maxLength);
  }

  printableAscii(field: string, label: string, value: string): string | undefined {
    if (PRINTABLE_ASCII.test(value)) return value;
    const invisible = INVISIBLE_IN_VALUE.exec(value);
    if (invisible) {
      return this.fail(
        field,
        "FIELD_INVISIBLE_CHARACTER",
        `${label} contains ${describeCharacter(value, invisible.index)}.`,
      );
    }
    const foreign = NON_ASCII.exec(value);
    if (foreign) {
      return this.fail(
        field,
        "FIELD_NON_ASCII",
        `${label} contains ${describeCharacter(value, foreign.index)}.`,
      );
    }
    return value;
  }

  /** Free text: any printable Unicode, bounded length. */
  text(field: string, label: string, value: string, maxLength: number): string | undefined {
    if (PRINTABLE_ASCII.test(value)) return this.length(field, label, value, maxLength);
    const invisible = INVISIBLE_IN_TEXT.exec(value);
    if (invisible) {
      return this.fail(
        field,
        "FIELD_INVISIBLE_CHARACTER",
        `${label} contains ${describeCharacter(value, invisible.index)}.`,
      );
    }
    return this.length(field, label, value, maxLength);
  }

  length(field: string, label: string, value: string, maxLength: number): string | undefined {
    // UTF-16 units never undercount characters, so the exact count is needed only above the limit.
    if (value.length <= maxLength) return value;
    const length = [...value].length;
    if (length <= maxLength) return value;
    return this.fail(
      field,
      "FIELD_TOO_LONG",
      `${label} has ${length} characters; the maximum is ${maxLength}.`,
    );
  }

  accountType(field: string, label: string, value: string): AccountType | undefined {
    if (value === "Ledger") return value;
    const found = ACCOUNT_TYPE_NAMES.get(value.toLowerCase());
    if (found) return found;
    return this.fail(
      field,
      "FIELD_INVALID_VALUE",
      `${label} ${quote(value)} is not an account type; allowed: ${ACCOUNT_TYPES.join(", ")}.`,
    );
  }

  date(field: string, label: string, value: string): string | undefined {
    // Files repeat one date over many lines; a date once checked needs no second look.
    if (value === lastGoodDate) return value;
    if (this.printableAscii(field, label, value) === undefined) return undefined;
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (!match) {
      const hint = /^\d{4}-\d{2}-\d{2}[T ]/.test(value)
        ? " It carries a time; give the date only."
        : /^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/.test(value)
          ? " Day and month cannot be told apart."
          : "";
      return this.fail(field, "DATE_INVALID_FORMAT", `${label} ${quote(value)} is not YYYY-MM-DD.${hint}`);
    }
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
      return this.fail(field, "DATE_NOT_A_DAY", `${label} ${quote(value)} is not a day of the calendar.`);
    }
    if (value < FIRST_DATE || value > LAST_DATE) {
      return this.fail(
        field,
        "DATE_OUT_OF_RANGE",
        `${label} ${value} is outside ${FIRST_DATE}..${LAST_DATE}.`,
      );
    }
    lastGoodDate = value;
    return value;
  }

  amount(field: string, label: string, value: string, currency: string | undefined): Amount | undefined {
    const problem = diagnoseAmount(value);
    if (problem) return this.fail(field, problem.code, `${label} ${quote(value)} ${problem.detail}`);
    if (integerDigits(value) > MAX_AMOUNT_INTEGER_DIGITS) {
      return this.fail(
        field,
        "AMOUNT_TOO_LARGE",
        `${label} ${quote(value)} has more than 15 integer digits.`,
      );
    }
    const amount = decimal(value);
    if (amount.eq(ZERO)) return this.fail(field, "AMOUNT_NOT_POSITIVE", `${label} ${quote(value)} is zero.`);
    const allowed = currency === undefined ? undefined : minorUnits(currency);
    if (allowed !== undefined && significantDecimals(value) > allowed) {
      return this.fail(
        field,
        "AMOUNT_TOO_MANY_DECIMALS",
        `${label} ${quote(value)} has ${significantDecimals(value)} decimals; ${currency} allows ${allowed}.`,
      );
    }
    return amount;
  }
}

let lastGoodDate = "";

const ACCOUNT_TYPE_NAMES = new Map<string, AccountType>([
  ...ACCOUNT_TYPES.map((name) => [name.toLowerCase(), name] as const),
  ["customer", "Cust"],
  ["vendor", "Vend"],
]);

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Names the most likely reason a string is not a plain decimal, so the fix can be specific. */
function diagnoseAmount(value: string): { code: ErrorCode; detail: string } | undefined {
  if (PLAIN_DECIMAL.test(value)) return undefined;
  const invisible = INVISIBLE_IN_VALUE.exec(value);
  if (invisible) {
    return {
      code: "FIELD_INVISIBLE_CHARACTER",
      detail: `contains ${describeCharacter(value, invisible.index)}.`,
    };
  }
  if (/^[+-]?(nan|inf|infinity)$/i.test(value))
    return { code: "AMOUNT_NOT_A_NUMBER", detail: "is not a number." };
  if (/^[+-]?(\d+\.?\d*|\.\d+)e[+-]?\d+$/i.test(value)) {
    return { code: "AMOUNT_EXPONENT", detail: "is in scientific notation." };
  }
  if (value.startsWith("-")) {
    return { code: "AMOUNT_NOT_POSITIVE", detail: "is negative (a minus sign is not allowed)." };
  }
  if (value.startsWith("+")) return { code: "AMOUNT_SYNTAX", detail: "starts with a plus sign." };
  if (/^\d{1,3}(\.\d{3})+,\d+$/.test(value) || /^\d+,\d+$/.test(value)) {
    return { code: "AMOUNT_DECIMAL_COMMA", detail: "uses a decimal comma." };
  }
  if (/^\d{1,3}([, '’]\d{3})+(\.\d+)?$/.test(value)) {
    return { code: "AMOUNT_THOUSANDS_SEPARATOR", detail: "contains thousands separators." };
  }
  return { code: "AMOUNT_SYNTAX", detail: "is not a plain decimal number." };
}

const KEY_PATTERN = /^[A-Za-z0-9._:/-]{1,100}$/;
const COMPANY_PATTERN = /^[A-Za-z0-9]{1,4}$/;
const LINE_NUMBER_PATTERN = /^[1-9]\d{0,8}$/;

/** Parses the journal-level fields; returns undefined (with issues in `sink`) when any is invalid. */
export function parseHeader(raw: RawHeader, at: Locator, sink: Issue[]): JournalHeader | undefined {
  const read = new FieldReader(at, sink);
  const before = sink.length;
  let key: string | undefined;
  if (read.required("key", "The journal key", raw.key)) {
    if (raw.key.includes("*")) {
      read.fail("key", "JOURNAL_KEY_WILDCARD", `The journal key ${quote(raw.key)} contains '*'.`);
    } else if (!KEY_PATTERN.test(raw.key)) {
      read.fail("key", "JOURNAL_KEY_INVALID", `The journal key ${quote(raw.key)} is not a valid key.`);
    } else {
      key = raw.key;
    }
  }
  const company = parseCompany(read, raw.company);
  let journalName: string | undefined;
  if (read.required("journalName", "The journal name", raw.journalName)) {
    journalName = read.identifier("journalName", "The journal name", raw.journalName, MAX_LENGTH.journalName);
  }
  const description = read.present(raw.description)
    ? read.text("description", "The description", raw.description, MAX_LENGTH.description)
    : undefined;
  const journalBatchNumber = read.present(raw.journalBatchNumber)
    ? read.identifier(
        "journalBatchNumber",
        "The journal batch number",
        raw.journalBatchNumber,
        MAX_LENGTH.journalBatchNumber,
      )
    : undefined;
  if (sink.length > before || key === undefined || company === undefined || journalName === undefined) {
    return undefined;
  }
  return {
    key,
    company,
    journalName,
    ...(description === undefined ? {} : { description }),
    ...(journalBatchNumber === undefined ? {} : { journalBatchNumber }),
  };
}

function parseCompany(read: FieldReader, value: string | undefined): string | undefined {
  if (!read.required("company", "The company (dataAreaId)", value)) return undefined;
  if (value === lastGoodCompany[0]) return lastGoodCompany[1];
  if (!COMPANY_PATTERN.test(value)) {
    return read.fail("company", "COMPANY_INVALID", `The company ${quote(value)} is not a 1-4 character id.`);
  }
  lastGoodCompany = [value, value.toLowerCase()];
  return lastGoodCompany[1];
}

let lastGoodCompany: [string, string] = ["", ""];

const lineReader = new FieldReader({ at: () => ({}) }, []);

/**
 * Parses one line. `journalCompany` is the journal's company, to catch intercompany lines.
 * Returns undefined (with issues in `sink`) when any field is invalid.
 */
export function parseLine(
  raw: RawLine,
  at: Locator,
  sink: Issue[],
  journalCompany: string | undefined,
): JournalLine | undefined {
  const read = lineReader.reset(at, sink);
  const before = sink.length;

  let lineNumber: number | undefined;
  if (read.present(raw.lineNumber)) {
    if (LINE_NUMBER_PATTERN.test(raw.lineNumber)) lineNumber = Number(raw.lineNumber);
    else
      read.fail(
        "lineNumber",
        "LINE_NUMBER_INVALID",
        `The line number ${quote(raw.lineNumber)} is not valid.`,
      );
  }
  const voucher = read.present(raw.voucher)
    ? read.identifier("voucher", "The voucher", raw.voucher, MAX_LENGTH.voucher)
    : undefined;
  const transDate = read.required("transDate", "The transaction date", raw.transDate)
    ? read.date("transDate", "The transaction date", raw.transDate)
    : undefined;
  const accountType = read.present(raw.accountType)
    ? read.accountType("accountType", "The account type", raw.accountType)
    : "Ledger";
  const account = read.required("account", "The account", raw.account)
    ? read.identifier("account", "The account", raw.account, MAX_LENGTH.account)
    : undefined;

  let offsetAccountType: AccountType | undefined;
  let offsetAccount: string | undefined;
  if (read.present(raw.offsetAccount)) {
    offsetAccount = read.identifier(
      "offsetAccount",
      "The offset account",
      raw.offsetAccount,
      MAX_LENGTH.offsetAccount,
    );
    offsetAccountType = read.present(raw.offsetAccountType)
      ? read.accountType("offsetAccountType", "The offset account type", raw.offsetAccountType)
      : "Ledger";
  } else if (read.present(raw.offsetAccountType)) {
    read.fail(
      "offsetAccountType",
      "OFFSET_ACCOUNT_INCOMPLETE",
      "The line has an offset account type but no account.",
    );
  }

  let currency: string | undefined;
  if (read.required("currency", "The currency", raw.currency)) {
    const upper = raw.currency.toUpperCase();
    if (/^[A-Z]{3}$/.test(upper) && minorUnits(upper) !== undefined) currency = upper;
    else
      read.fail(
        "currency",
        "CURRENCY_UNKNOWN",
        `The currency ${quote(raw.currency)} is not an ISO 4217 code.`,
      );
  }

  let debit: Amount | undefined;
  let credit: Amount | undefined;
  const hasDebit = read.present(raw.debit);
  const hasCredit = read.present(raw.credit);
  if (hasDebit && hasCredit) {
    read.fail("credit", "AMOUNT_BOTH_SIDES", "The line has both a debit and a credit amount.");
  } else if (!hasDebit && !hasCredit) {
    read.fail("debit", "AMOUNT_MISSING", "The line has no debit and no credit amount.");
  } else if (hasDebit) {
    debit = read.amount("debit", "The debit amount", raw.debit as string, currency);
  } else {
    credit = read.amount("credit", "The credit amount", raw.credit as string, currency);
  }

  let exchangeRate: Amount | undefined;
  if (read.present(raw.exchangeRate)) {
    if (/^\d{1,10}(\.\d{1,16})?$/.test(raw.exchangeRate) && !decimal(raw.exchangeRate).eq(ZERO)) {
      exchangeRate = decimal(raw.exchangeRate);
    } else {
      read.fail(
        "exchangeRate",
        "EXCHANGE_RATE_INVALID",
        `The exchange rate ${quote(raw.exchangeRate)} is not valid.`,
      );
    }
  }
  const text = read.present(raw.text) ? read.text("text", "The text", raw.text, MAX_LENGTH.text) : undefined;

  if (read.present(raw.company)) {
    const lineCompany = parseCompany(read, raw.company);
    if (lineCompany !== undefined && journalCompany !== undefined && lineCompany !== journalCompany) {
      read.fail(
        "company",
        "INTERCOMPANY_LINE",
        `The line is for company ${lineCompany}, its journal for ${journalCompany}.`,
      );
    }
  }

  const dimensions = parseDimensions(read, raw.dimensions);

  if (sink.length > before || transDate === undefined || account === undefined || currency === undefined) {
    return undefined;
  }
  // Built by assignment rather than spreads: this runs once per line, a million times per big file.
  const line: Mutable<JournalLine> = {
    transDate,
    accountType: accountType as AccountType,
    account,
    currency,
  };
  if (lineNumber !== undefined) line.lineNumber = lineNumber;
  if (voucher !== undefined) line.voucher = voucher;
  if (offsetAccount !== undefined) {
    line.offsetAccountType = offsetAccountType as AccountType;
    line.offsetAccount = offsetAccount;
  }
  if (debit !== undefined) line.debit = debit;
  if (credit !== undefined) line.credit = credit;
  if (exchangeRate !== undefined) line.exchangeRate = exchangeRate;
  if (text !== undefined) line.text = text;
  if (dimensions !== undefined) line.dimensions = dimensions;
  return line;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const DIMENSION_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** The few dimension names a source uses, once checked (every line repeats them). */
const goodDimensionNames = new Set<string>();

function validDimensionName(name: string): boolean {
  if (goodDimensionNames.has(name)) return true;
  if (!DIMENSION_NAME.test(name) || name.length > MAX_LENGTH.dimensionName) return false;
  if (goodDimensionNames.size < 1000) goodDimensionNames.add(name);
  return true;
}

function parseDimensions(
  read: FieldReader,
  raw: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  const result: Record<string, string> = {};
  let any = false;
  for (const name in raw) {
    const value = raw[name];
    if (!validDimensionName(name)) {
      read.fail(
        `dimensions.${name}`,
        "FIELD_INVALID_VALUE",
        `The dimension name ${quote(name)} is not a valid name.`,
      );
      continue;
    }
    if (!read.present(value)) continue;
    const checked = read.identifier(
      `dimensions.${name}`,
      `Dimension ${name}`,
      value,
      MAX_LENGTH.dimensionValue,
    );
    if (checked !== undefined) {
      result[name] = checked;
      any = true;
    }
  }
  return any ? result : undefined;
}
