/**
 * The one registry of stable error codes. Every code here has a section in docs/errors.md
 * (test/core/errors-doc.test.ts fails when the two drift apart).
 *
 * `fix` is appended to every message carrying the code, so each message says what to do next.
 */
export type Retryable = "yes" | "no" | "unknown";
export type Severity = "error" | "warning";

export interface ErrorCodeSpec {
  /** One line: what went wrong. */
  readonly title: string;
  /** One sentence: what to do about it. */
  readonly fix: string;
  readonly severity: Severity;
  readonly retryable: Retryable;
}

const input = (title: string, fix: string): ErrorCodeSpec => ({
  title,
  fix,
  severity: "error",
  retryable: "no",
});
const advice = (title: string, fix: string): ErrorCodeSpec => ({
  title,
  fix,
  severity: "warning",
  retryable: "no",
});

/** A failure of an outside system that retrying will not fix. */
const fail = input;

export const ERROR_CODES = {
  // --- files ---------------------------------------------------------------------------------------
  FILE_UNREADABLE: input("The file cannot be opened or read.", "Check the path and the file's permissions."),
  FILE_UNKNOWN_FORMAT: input(
    "The file's format cannot be told from its name.",
    "Name the file *.csv, *.tsv, *.xlsx, *.json, *.ndjson or *.jsonl.",
  ),
  FILE_EMPTY: input("The file is empty.", "Export the journals again; the file has no bytes."),
  FILE_NO_DATA: input("The file has a header but no journal lines.", "Add at least one journal line."),
  FILE_ENCODING_UTF16: input(
    "The file is UTF-16, not UTF-8.",
    "Save the file as UTF-8 (with or without BOM).",
  ),
  FILE_INVALID_UTF8: input(
    "The file contains bytes that are not valid UTF-8.",
    "Save the file as UTF-8; it looks like Latin-1 or Windows-1252 was used.",
  ),
  FILE_NUL_BYTE: input(
    "The file contains a NUL byte.",
    "Remove the NUL bytes; the file may be binary, truncated or UTF-16.",
  ),

  // --- CSV structure --------------------------------------------------------------------------------
  CSV_HEADER_MISSING_COLUMN: input(
    "A required column is missing from the header row.",
    "Add the column to the header row; see docs/input-formats.md for the column names.",
  ),
  CSV_HEADER_DUPLICATE: input(
    "Two header cells name the same field.",
    "Keep one of the two columns (aliases such as Debit and DebitAmount name the same field).",
  ),
  CSV_HEADER_UNKNOWN_COLUMN: input(
    "A header cell names no known field.",
    "Rename the column to a known field name or remove it; dimensions are written Dim.<Name>.",
  ),
  INPUT_PROFILE_UNKNOWN: input(
    "No input profile has that name.",
    "Name one of native, original-report, fno-excel-addin, dmf-general-journal (docs/input-formats.md#input-profiles).",
  ),
  INPUT_PROFILE_AMBIGUOUS: input(
    "The header row fits more than one input profile.",
    "Name the profile: --profile NAME on the command line, the profile field on an upload.",
  ),
  INPUT_VALUE_NOT_DELIVERED: input(
    "A column ledger-bridge reads but does not deliver has a value on this row.",
    "Clear the value or the column, or deliver the journal another way: ledger-bridge would post it without this value.",
  ),
  INPUT_DIMENSION_FORMAT_MISSING: input(
    "A column holds dimension display values, and no dimension format says what their segments are.",
    'Set target.dimensionFormat in the config file, e.g. ["BusinessUnit", "Department", "CostCenter"].',
  ),
  INPUT_DIMENSION_SEGMENTS: input(
    "A dimension display value has more segments than the dimension format names.",
    "Give one segment per dimension of target.dimensionFormat, separated by '-'.",
  ),
  XLSX_UNREADABLE: input(
    "The file is not a readable Excel workbook (.xlsx).",
    "Save it from Excel as an Excel Workbook (.xlsx); .xls and .xlsb are not read.",
  ),
  XLSX_SHEET_MISSING: input(
    "The workbook has no sheet of that name.",
    "Name one of the workbook's sheets with --sheet, or leave it out to read the first.",
  ),
  XLSX_FORMULA_NO_VALUE: input(
    "A formula cell carries no calculated value.",
    "Open the workbook in Excel, let it calculate, and save it again (or paste the values).",
  ),
  XLSX_ERROR_CELL: input(
    "A cell holds an Excel error such as #N/A or #REF!.",
    "Fix the cell in the workbook.",
  ),
  XLSX_DATE_WITH_TIME: input(
    "A date cell carries a time of day.",
    "Give the date only: format the cells as dates without time, or remove the time.",
  ),
  XLSX_CELL_OUTSIDE_HEADER: input(
    "A row has a value in a column the header row does not name.",
    "Give the column a header or clear the cell.",
  ),
  CSV_HEADER_EMPTY: input("A header cell is empty.", "Give every column a name or remove the empty column."),
  CSV_RAGGED_ROW: input(
    "A row has a different number of fields than the header.",
    "Make every row have as many fields as the header; quote fields that contain the delimiter.",
  ),
  CSV_UNCLOSED_QUOTE: input(
    "A quoted field is never closed.",
    "Close the quoted field with a double quote; write a quote inside a quoted field as two quotes.",
  ),
  CSV_BAD_QUOTE: input(
    "A double quote appears where it cannot be.",
    'Quote the whole field and double every quote inside it, e.g. "a ""b"" c".',
  ),

  // --- JSON structure -------------------------------------------------------------------------------
  JSON_SYNTAX: input("The JSON is not well-formed.", "Fix the JSON syntax at the position given."),
  JSON_DUPLICATE_KEY: input(
    "An object names the same property twice.",
    "Remove one of the two properties; ledger-bridge does not guess which one you meant.",
  ),
  JSON_FORBIDDEN_KEY: input(
    "An object uses a property name reserved by JavaScript.",
    "Remove the property (__proto__, constructor and prototype are refused).",
  ),
  JSON_NUMBER_AMOUNT: input(
    "An amount is a JSON number.",
    'Write amounts as JSON strings, e.g. "debit": "1234.56", so no digit is lost to floating point.',
  ),
  JSON_WRONG_TYPE: input("A value has the wrong JSON type.", "Use the type given in docs/input-formats.md."),
  JSON_TOO_DEEP: input(
    "The JSON nests too deeply.",
    "Journals nest at most a few levels; flatten the document.",
  ),
  JSON_NOT_A_JOURNAL: input(
    "A top-level JSON value is not a journal object.",
    "Give an array of journal objects, or one journal object per line (NDJSON).",
  ),

  // --- fields ----------------------------------------------------------------------------------------
  FIELD_REQUIRED: input("A required field is empty or missing.", "Fill in the field."),
  FIELD_UNKNOWN: input("A property names no known field.", "Remove the property or correct its spelling."),
  FIELD_TOO_LONG: input(
    "A value is longer than F&O accepts.",
    "Shorten the value to the maximum length given.",
  ),
  FIELD_INVALID_VALUE: input(
    "A value is not one of the allowed values.",
    "Use one of the allowed values listed.",
  ),
  FIELD_INVISIBLE_CHARACTER: input(
    "A value contains an invisible, control or direction-changing character.",
    "Remove the character (often pasted from a web page or a spreadsheet).",
  ),
  FIELD_NON_ASCII: input(
    "An identifier contains a character outside printable ASCII.",
    "Retype the identifier; a look-alike letter (such as Cyrillic А for Latin A) names a different account.",
  ),
  FIELD_HEADER_MISMATCH: input(
    "Rows of one journal disagree on a journal-level field.",
    "Give every row of a journal the same dataAreaId, JournalName, Description and JournalBatchNumber.",
  ),
  JOURNAL_KEY_INVALID: input(
    "The journal key has characters or a length that is not allowed.",
    "Use 1-100 characters from A-Z a-z 0-9 . _ : / -.",
  ),
  JOURNAL_KEY_WILDCARD: input(
    "The journal key contains '*'.",
    "Remove the '*': F&O treats '*' in a filter as a wildcard, so the key could not be looked up exactly.",
  ),
  JOURNAL_KEY_SPLIT: input(
    "The lines of one journal are not together in the file.",
    "Sort the file by JournalKey so each journal's lines are consecutive.",
  ),
  JOURNAL_KEY_DUPLICATE: input(
    "Two journals in one file have the same key.",
    "Give each journal its own key, or merge the two into one journal.",
  ),
  JOURNAL_NO_LINES: input("A journal has no lines.", "Add at least one line to the journal."),
  COMPANY_INVALID: input(
    "The company (dataAreaId) is not valid.",
    "Use the 1-4 character company id, e.g. usmf.",
  ),
  CURRENCY_UNKNOWN: input(
    "The currency code is not an ISO 4217 code.",
    "Use the three-letter ISO 4217 code, e.g. USD, EUR or JPY.",
  ),
  LINE_NUMBER_INVALID: input(
    "The line number is not a positive whole number.",
    "Use a whole number from 1 to 999999999, or leave it empty to let F&O number the lines.",
  ),
  LINE_NUMBER_DUPLICATE: input(
    "Two lines of one journal have the same line number.",
    "Give every line its own number, or leave the numbers empty to let F&O assign them.",
  ),
  OFFSET_ACCOUNT_INCOMPLETE: input(
    "An offset account type is given without an offset account.",
    "Give both OffsetAccountType and OffsetAccountDisplayValue, or neither.",
  ),
  EXCHANGE_RATE_INVALID: input(
    "The exchange rate is not a positive decimal.",
    "Write the rate as a plain positive decimal with a dot, e.g. 108.25.",
  ),

  // --- amounts ---------------------------------------------------------------------------------------
  AMOUNT_MISSING: input(
    "A line has neither a debit nor a credit.",
    "Fill in exactly one of the two amounts.",
  ),
  AMOUNT_BOTH_SIDES: input(
    "A line has both a debit and a credit.",
    "Split it into two lines, or keep one side; one line carries exactly one amount.",
  ),
  AMOUNT_NOT_POSITIVE: input(
    "An amount is zero or negative.",
    "Write a positive amount; put a negative debit in the credit column instead, and drop zero lines.",
  ),
  AMOUNT_SYNTAX: input(
    "An amount is not a plain decimal number.",
    "Write the amount as digits with an optional dot and decimals, e.g. 1234.56.",
  ),
  AMOUNT_EXPONENT: input(
    "An amount uses scientific notation.",
    "Write every digit, e.g. 1000 instead of 1E3 (spreadsheets do this to long numbers; format the column as text).",
  ),
  AMOUNT_DECIMAL_COMMA: input(
    "An amount uses a comma as decimal separator.",
    "Use a dot as decimal separator, e.g. 1234.56 instead of 1234,56.",
  ),
  AMOUNT_THOUSANDS_SEPARATOR: input(
    "An amount contains thousands separators.",
    "Remove the separators, e.g. 1234567.89 instead of 1,234,567.89.",
  ),
  AMOUNT_NOT_A_NUMBER: input("An amount is NaN or Infinity.", "Write a real amount."),
  AMOUNT_TOO_MANY_DECIMALS: input(
    "An amount has more decimals than its currency allows.",
    "Round the amount to the currency's minor units before export (e.g. 2 for USD, 0 for JPY, 3 for KWD).",
  ),
  AMOUNT_TOO_LARGE: input(
    "An amount has more than 15 integer digits.",
    "F&O amounts have at most 15 integer digits.",
  ),

  // --- dates -----------------------------------------------------------------------------------------
  DATE_INVALID_FORMAT: input(
    "A date is not written as YYYY-MM-DD.",
    "Write dates as YYYY-MM-DD, e.g. 2026-11-30; 01/02/2026 could mean two different days.",
  ),
  DATE_NOT_A_DAY: input("A date does not exist in the calendar.", "Use a real calendar date."),
  DATE_OUT_OF_RANGE: input(
    "A date is outside the range F&O stores.",
    "Use a date between 1900-01-01 and 2154-12-31.",
  ),

  // --- accounting rules --------------------------------------------------------------------------------
  VOUCHER_UNBALANCED: input(
    "A voucher's debits and credits differ.",
    "Make the voucher's debits equal its credits in the transaction currency, or give its lines offset accounts.",
  ),
  VOUCHER_MULTIPLE_DATES: input(
    "The lines of one voucher have different dates.",
    "Give every line of a voucher the same TransDate, or split the lines into separate vouchers.",
  ),
  VOUCHER_MIXED_CURRENCIES: input(
    "One voucher mixes currencies without exchange rates.",
    "Use one currency per voucher, or give every line of the voucher an exchange rate.",
  ),
  INTERCOMPANY_LINE: input(
    "A line belongs to another company than its journal.",
    "Put lines of each company in their own journal; the OData journal entities do not support intercompany.",
  ),
  VOUCHER_OVER_10_LINES: advice(
    "A voucher has more than 10 lines.",
    "Microsoft recommends vouchers of 10 lines or fewer; consider splitting it.",
  ),
  JOURNAL_OVER_10000_LINES: advice(
    "A journal has more than 10,000 lines.",
    "Microsoft recommends at most 10,000 lines per journal; consider splitting it.",
  ),

  // --- the delivery target (checked when a journal is stored and again when it is claimed) ---------
  TARGET_DIMENSION_FORMAT_MISSING: input(
    "A line carries financial dimensions, but no dimension format is configured for the target.",
    "Set target.dimensionFormat in the config file to the dimension names in the order of F&O's Financial dimension configuration for integrating applications (General ledger > Chart of accounts > Dimensions).",
  ),
  TARGET_DIMENSION_UNKNOWN: input(
    "A line names a financial dimension that the configured dimension format lacks.",
    "Add the dimension to target.dimensionFormat (in F&O's order), or correct the dimension's name in the file.",
  ),
  TARGET_FIELD_UNSUPPORTED: input(
    "The flat entity has no field for something the line carries (offset account, exchange rate, dimensions).",
    "Map the entity's field in target.fields (offsetAccount and offsetAccountType, exchangeRate, dimensions), or deliver through the ledger-journal target.",
  ),
  TARGET_BATCH_NUMBER_UNSUPPORTED: input(
    "The journal names its own batch number, which a data package import would add to an existing journal.",
    "Leave JournalBatchNumber empty (F&O numbers the journal), or deliver through the ledger-journal target.",
  ),
  TARGET_ACCOUNT_TYPE_UNSUPPORTED: input(
    "A line's account type is one the configured target cannot carry.",
    "List the type in target.accountTypes if the entity takes it, or deliver such lines through the ledger-journal target.",
  ),
  TARGET_MARKER_TOO_LONG: input(
    "The journal's marker does not fit the entity field that carries it.",
    "Give the journal a shorter key, or carry the marker in a longer text field (target.fields.marker, at least 40 characters).",
  ),

  // --- command line and configuration ---------------------------------------------------------------
  USAGE: input("The command line is not valid.", "Run ledger-bridge --help for the commands and options."),
  CONFIG_INVALID: input(
    "A setting has a value ledger-bridge cannot use.",
    "Correct the setting named in the message (environment variable or config file); see docs/configuration.md.",
  ),
  CONFIG_MISSING: input(
    "A setting the chosen configuration needs is not set.",
    "Set the named environment variable or config entry; see docs/configuration.md.",
  ),

  // --- Entra ID (token acquisition) -----------------------------------------------------------------
  AUTH_INVALID_SECRET: fail(
    "Entra ID refused the client secret (AADSTS7000215).",
    "Copy the secret's Value (not its Secret ID) from Entra admin center > App registrations > your app > Certificates & secrets into AZURE_CLIENT_SECRET.",
  ),
  AUTH_SECRET_EXPIRED: fail(
    "The client secret has expired (AADSTS7000222).",
    "Create a new secret in Entra admin center > App registrations > your app > Certificates & secrets and update AZURE_CLIENT_SECRET.",
  ),
  AUTH_CERTIFICATE_NOT_REGISTERED: fail(
    "Entra ID does not know the certificate the assertion was signed with (AADSTS700027).",
    "Upload the certificate's public part in Entra admin center > App registrations > your app > Certificates & secrets > Certificates.",
  ),
  AUTH_APP_NOT_FOUND: fail(
    "Entra ID has no application with this client id in the tenant (AADSTS700016).",
    "Check AZURE_CLIENT_ID against Entra admin center > App registrations > Application (client) ID, and AZURE_TENANT_ID against the tenant the app lives in.",
  ),
  AUTH_TENANT_NOT_FOUND: fail(
    "Entra ID has no such tenant (AADSTS90002).",
    "Set AZURE_TENANT_ID to the Directory (tenant) ID shown in Entra admin center > Overview.",
  ),
  AUTH_RESOURCE_NOT_FOUND: fail(
    "The tenant has no resource for the environment URL (AADSTS500011).",
    "Check D365_URL: copy the environment URL from LCS or the Power Platform admin center; a misspelt host names a resource that does not exist.",
  ),
  AUTH_INVALID_SCOPE: fail(
    "Entra ID refused the requested scope (AADSTS70011).",
    "Use the environment URL followed by /.default as scope; ledger-bridge builds it from D365_URL.",
  ),
  AUTH_CONSENT_REQUIRED: fail(
    "Nobody has consented to the application's access to Dynamics ERP (AADSTS65001).",
    "Grant admin consent in Entra admin center > App registrations > your app > API permissions (Dynamics ERP).",
  ),
  AUTH_LOGIN_REQUIRED: fail(
    "The stored sign-in can no longer be renewed.",
    "Run `ledger-bridge login` again.",
  ),
  AUTH_UNTRUSTED_CERTIFICATE: fail(
    "The TLS certificate of the authority or environment is not trusted.",
    "Trust its CA: set NODE_EXTRA_CA_CERTS, or LEDGER_BRIDGE_CA_CERT to the CA file (for the emulator: the caCertPath it prints).",
  ),
  AUTH_AUTHORITY_UNREACHABLE: fail(
    "The Entra ID authority cannot be reached.",
    "Check AZURE_AUTHORITY_HOST and the network path to it (proxy, DNS, firewall).",
  ),
  AUTH_FAILED: fail(
    "Getting a token from Entra ID failed.",
    "Read the AADSTS code in the message and run `ledger-bridge doctor`.",
  ),

  // --- F&O OData client -----------------------------------------------------------------------------
  D365_UNAUTHORIZED: fail(
    "F&O refused the token (401) although a fresh one was tried.",
    "Register the client id in F&O under System administration > Setup > Microsoft Entra applications with an enabled user, and check that D365_URL is exactly the environment URL; `ledger-bridge doctor` tells which.",
  ),
  D365_FORBIDDEN: fail(
    "F&O refused the request for lack of a privilege (403).",
    "Give the user mapped to the application a role with this privilege in System administration > Users.",
  ),
  D365_NOT_FOUND: fail(
    "F&O has no such entity set or record (404).",
    "Check the entity set name (case-sensitive) and the key.",
  ),
  D365_BAD_REQUEST: fail(
    "F&O refused the request as malformed (400).",
    "Read F&O's message; it names the property or query option.",
  ),
  D365_BUSINESS_RULE: fail(
    "F&O refused the write with a business-rule error (the Infolog is in the message).",
    "Fix the data the Infolog names (account, journal name, period, ...) and redrive the journal.",
  ),
  D365_THROTTLED: {
    title: "F&O kept throttling the request (429) beyond the retries allowed.",
    fix: "Lower the concurrency, or wait: F&O's Retry-After says how long.",
    severity: "error",
    retryable: "yes",
  },
  D365_SERVER_ERROR: {
    title: "F&O answered with a server error.",
    fix: "Retry later; if it persists, look the activity id up in LCS environment monitoring.",
    severity: "error",
    retryable: "yes",
  },
  D365_IN_DOUBT: {
    title: "A write was sent but no answer came back: it may or may not have been carried out.",
    fix: "Do not send it again blindly: reconcile first (the delivery engine does this by the journal's marker).",
    severity: "error",
    retryable: "unknown",
  },
  D365_UNREACHABLE: {
    title: "F&O could not be reached; nothing was sent.",
    fix: "Check D365_URL, DNS and the network path to the environment.",
    severity: "error",
    retryable: "yes",
  },
  D365_TIMEOUT: {
    title: "F&O did not answer in time.",
    fix: "Retry; raise the timeout for slow environments (cold AOS, large batches).",
    severity: "error",
    retryable: "yes",
  },
  D365_CSRF_REJECTED: fail(
    "The server in front of F&O refused the write token (X-CSRF-Token) even after a fresh fetch.",
    "Check the gateway's session settings; with csrf: never, allow ledger-bridge to fetch a token (csrf: auto).",
  ),
  D365_METHOD_NOT_ALLOWED: fail(
    "The entity does not take this kind of request (405): it is read-only or the method is not allowed.",
    "Write through an entity that can be written (LedgerJournalHeaders and LedgerJournalLines, or a writable custom entity); posted ledger entries are read-only.",
  ),
  D365_NOT_SUPPORTED: fail(
    "The server does not support this request (501).",
    "Use a feature the environment supports.",
  ),
  D365_INVALID_RESPONSE: fail(
    "F&O's answer could not be read.",
    "Retry; report the activity id if it persists.",
  ),
  D365_QUERY_WILDCARD: fail(
    "An exact-match value contains '*', which F&O reads as a wildcard.",
    "Look such values up another way; keys and markers never contain '*'.",
  ),
  D365_BATCH_TOO_LARGE: fail(
    "A $batch would hold more than 5,000 operations.",
    "Split the batch; F&O accepts at most 5,000 operations.",
  ),
  OUTBOX_CONFLICT: fail(
    "A journal with this key is already stored with different content.",
    "Give the changed journal a new key (keys are idempotency keys), or redrive the stored one if that is what you meant.",
  ),
  OUTBOX_UNAVAILABLE: {
    title: "The outbox store cannot be opened or reached.",
    fix: "Check LEDGER_BRIDGE_STORE (a SQLite file path or a postgres:// URL) and that the database is up.",
    severity: "error",
    retryable: "yes",
  },
  STORE_FULL: {
    title: "The outbox store has no room left (disk full, or the database's size limit).",
    fix: "Free disk space or raise the database's limit, then send again: nothing acknowledged before was lost, and nothing of the refused request was stored.",
    severity: "error",
    retryable: "yes",
  },
  OUTBOX_CORRUPT: fail(
    "The SQLite outbox file is damaged: some of its pages are not what SQLite wrote.",
    "Stop every ledger-bridge using it, keep the damaged file aside, restore the latest backup of the store, then run `ledger-bridge reconcile` to compare it with F&O (journals delivered after the backup are found by their markers); see docs/reliability.md.",
  ),
  OUTBOX_NOT_DURABLE: fail(
    "The SQLite store is not in WAL mode with synchronous=FULL.",
    "Use a local disk (not a network share) for the SQLite file; ledger-bridge sets both at start-up.",
  ),
  DELIVERY_MARKER_AMBIGUOUS: fail(
    "More than one journal in F&O carries this journal's marker.",
    "Look at the journals named in the message in F&O; delete the extra one if it is unposted, reverse it if posted, then redrive.",
  ),
  PACKAGE_IMPORT_FAILED: fail(
    "F&O's data package import finished without creating the journal.",
    "Read F&O's errors in the message (or the execution in Data management › Job history), fix the journal or the setup, then redrive.",
  ),
  PACKAGE_EXECUTION_RUNNING: {
    title: "The data package import was still running when the worker stopped waiting for it.",
    fix: "Nothing to do if it passes: the journal is asked about again (the execution's status, then its marker) before anything is sent; if it recurs, look at the execution in Data management › Job history and at F&O's batch jobs.",
    severity: "warning",
    retryable: "yes",
  },
  DELIVERY_LINES_MISMATCH: fail(
    "The journal in F&O has other lines than the stored journal.",
    "Compare the journal in F&O with the source; fix by hand, then redrive.",
  ),
  DELIVERY_INTERRUPTED: {
    title: "A delivery step failed for a reason outside F&O (the outbox store, the process).",
    fix: "Nothing to do if it passes: the journal is reconciled with F&O before anything is sent again; if it recurs, check the store (ledger-bridge doctor) and the log line with the same time.",
    severity: "warning",
    retryable: "yes",
  },
  DELIVERY_LEASE_EXPIRED: {
    title: "A write was not sent because the worker could no longer confirm its lease on the journal.",
    fix: "Nothing to do: nothing was sent and the journal is retried (this never makes it dead, whatever its attempt count); if it recurs, the store is slow or the worker's event loop is blocked (see docs/reliability.md).",
    severity: "warning",
    retryable: "yes",
  },
  D365_CANCELLED: fail(
    "The request was cancelled before it was sent.",
    "Nothing to do: nothing reached F&O.",
  ),
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function codeSpec(code: ErrorCode): ErrorCodeSpec {
  return ERROR_CODES[code];
}

/** The client's errors whose cause the doctor names: their messages point at the section. */
const TROUBLESHOOTING: Partial<Record<ErrorCode, string>> = {
  AUTH_INVALID_SECRET: "secret_invalid",
  AUTH_SECRET_EXPIRED: "secret_expired",
  AUTH_CERTIFICATE_NOT_REGISTERED: "certificate_not_uploaded",
  AUTH_APP_NOT_FOUND: "app_not_found",
  AUTH_TENANT_NOT_FOUND: "tenant_not_found",
  AUTH_RESOURCE_NOT_FOUND: "resource_not_found",
  AUTH_INVALID_SCOPE: "token_failed",
  AUTH_CONSENT_REQUIRED: "consent_missing",
  AUTH_UNTRUSTED_CERTIFICATE: "tls_untrusted",
  AUTH_AUTHORITY_UNREACHABLE: "environment_unreachable",
  AUTH_FAILED: "token_failed",
  D365_UNAUTHORIZED: "app_not_registered_or_user_disabled",
  D365_FORBIDDEN: "no_write_privilege",
  D365_CSRF_REJECTED: "csrf_refused",
  D365_THROTTLED: "throttled",
  D365_UNREACHABLE: "environment_unreachable",
};

export function troubleshootingSection(code: ErrorCode): string | undefined {
  const anchor = TROUBLESHOOTING[code];
  return anchor === undefined ? undefined : `docs/troubleshooting.md#${anchor}`;
}
