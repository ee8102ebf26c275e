/**
 * The CSV header: F&O's own LedgerJournalLines field names (matched case-insensitively), the
 * original report's names as aliases, `Dim.<Name>` for dimensions.
 */
import type { Issue } from "../../core/errors/issue.js";
import { issue } from "../../core/errors/issue.js";
import { quote } from "../../core/fields.js";
import type { HeaderField, LineField } from "../../core/journal.js";

export type ColumnTarget =
  | { readonly kind: "header"; readonly field: HeaderField }
  | { readonly kind: "line"; readonly field: LineField }
  | { readonly kind: "both"; readonly header: HeaderField; readonly line: LineField }
  | { readonly kind: "dimension"; readonly name: string };

/** The canonical column name for each target, as written in docs/input-formats.md. */
const COLUMNS: ReadonlyArray<readonly [string, ColumnTarget, ...string[]]> = [
  ["JournalKey", { kind: "header", field: "key" }],
  // The company is the journal's (header) and every row's (to catch intercompany rows).
  ["dataAreaId", { kind: "both", header: "company", line: "company" }],
  ["JournalName", { kind: "header", field: "journalName" }],
  ["Description", { kind: "header", field: "description" }],
  ["JournalBatchNumber", { kind: "header", field: "journalBatchNumber" }],
  ["LineNumber", { kind: "line", field: "lineNumber" }],
  ["Voucher", { kind: "line", field: "voucher" }],
  ["TransDate", { kind: "line", field: "transDate" }],
  ["AccountType", { kind: "line", field: "accountType" }],
  ["AccountDisplayValue", { kind: "line", field: "account" }, "LedgerAccount"],
  ["OffsetAccountType", { kind: "line", field: "offsetAccountType" }],
  ["OffsetAccountDisplayValue", { kind: "line", field: "offsetAccount" }],
  ["DebitAmount", { kind: "line", field: "debit" }, "Debit"],
  ["CreditAmount", { kind: "line", field: "credit" }, "Credit"],
  ["CurrencyCode", { kind: "line", field: "currency" }, "TransactionCurrencyCode"],
  ["ExchRate", { kind: "line", field: "exchangeRate" }, "ExchangeRate"],
  ["Text", { kind: "line", field: "text" }],
];

const BY_NAME = new Map<string, { canonical: string; target: ColumnTarget }>();
for (const [canonical, target, ...aliases] of COLUMNS) {
  for (const name of [canonical, ...aliases]) BY_NAME.set(name.toLowerCase(), { canonical, target });
}

const REQUIRED = [
  "JournalKey",
  "dataAreaId",
  "JournalName",
  "TransDate",
  "AccountDisplayValue",
  "CurrencyCode",
];

export interface CsvColumn {
  /** The header cell as written. */
  readonly name: string;
  readonly target: ColumnTarget;
}

/** Resolves the header row; returns undefined (and issues) when the file cannot be read with it. */
export function resolveHeader(
  cells: readonly string[],
  file: string,
  line: number,
  sink: Issue[],
): CsvColumn[] | undefined {
  const before = sink.length;
  const columns: CsvColumn[] = [];
  const seen = new Map<string, string>();
  cells.forEach((raw, index) => {
    const name = raw.trim();
    const where = { file, line, column: index + 1, field: name };
    if (name === "") {
      sink.push(issue("CSV_HEADER_EMPTY", `Header cell ${index + 1} is empty.`, where));
      return;
    }
    let canonical: string;
    let target: ColumnTarget;
    const dimension = /^dim\.(.+)$/i.exec(name);
    const known = BY_NAME.get(name.toLowerCase());
    if (dimension) {
      canonical = `Dim.${dimension[1]}`;
      target = { kind: "dimension", name: dimension[1] as string };
    } else if (known) {
      canonical = known.canonical;
      target = known.target;
    } else {
      sink.push(issue("CSV_HEADER_UNKNOWN_COLUMN", `Column ${quote(name)} is not a known field.`, where));
      return;
    }
    const earlier = seen.get(canonical.toLowerCase());
    if (earlier !== undefined) {
      sink.push(
        issue(
          "CSV_HEADER_DUPLICATE",
          `Columns ${quote(earlier)} and ${quote(name)} both name ${canonical}.`,
          where,
        ),
      );
      return;
    }
    seen.set(canonical.toLowerCase(), name);
    columns.push({ name, target });
  });
  const missing = REQUIRED.filter((name) => !seen.has(name.toLowerCase()));
  if (!seen.has("debitamount") && !seen.has("creditamount")) missing.push("DebitAmount or CreditAmount");
  for (const name of missing) {
    sink.push(issue("CSV_HEADER_MISSING_COLUMN", `The header has no ${name} column.`, { file, line }));
  }
  return sink.length > before ? undefined : columns;
}
