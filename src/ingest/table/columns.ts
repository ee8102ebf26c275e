/**
 * The header row of a table file (CSV or Excel): which model field each column feeds, under which
 * input profile. The user's column map (`input.columns`) comes first, then the profile's names
 * (case-insensitive), `Dim.<Name>` for a dimension, the profile's undelivered columns. An unknown
 * column is refused with the closest known name as a suggestion.
 */
import type { Issue, SourceLocation } from "../../core/errors/issue.js";
import { issue } from "../../core/errors/issue.js";
import { quote } from "../../core/fields.js";
import type { HeaderField, LineField } from "../../core/journal.js";
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type InputProfile,
  PROFILES,
  profileNamed,
} from "../profiles.js";
import type { TableOptions } from "./options.js";

export type ColumnTarget =
  | { readonly kind: "header"; readonly field: HeaderField }
  | { readonly kind: "line"; readonly field: LineField }
  | { readonly kind: "both"; readonly header: HeaderField; readonly line: LineField }
  | { readonly kind: "dimension"; readonly name: string }
  | { readonly kind: "dimensions" }
  | { readonly kind: "group" }
  | { readonly kind: "undelivered"; readonly quiet: RegExp };

/** Where each model column goes. */
const TARGETS: Record<CanonicalColumn, ColumnTarget> = {
  JournalKey: { kind: "header", field: "key" },
  // The company is the journal's (header) and every row's (to catch intercompany rows).
  dataAreaId: { kind: "both", header: "company", line: "company" },
  JournalName: { kind: "header", field: "journalName" },
  Description: { kind: "header", field: "description" },
  JournalBatchNumber: { kind: "header", field: "journalBatchNumber" },
  LineNumber: { kind: "line", field: "lineNumber" },
  Voucher: { kind: "line", field: "voucher" },
  TransDate: { kind: "line", field: "transDate" },
  AccountType: { kind: "line", field: "accountType" },
  AccountDisplayValue: { kind: "line", field: "account" },
  OffsetAccountType: { kind: "line", field: "offsetAccountType" },
  OffsetAccountDisplayValue: { kind: "line", field: "offsetAccount" },
  DebitAmount: { kind: "line", field: "debit" },
  CreditAmount: { kind: "line", field: "credit" },
  CurrencyCode: { kind: "line", field: "currency" },
  ExchRate: { kind: "line", field: "exchangeRate" },
  Text: { kind: "line", field: "text" },
  DefaultDimensionDisplayValue: { kind: "dimensions" },
};

export interface TableColumn {
  /** The column's position in the header row (0-based). */
  readonly index: number;
  /** The header cell as written. */
  readonly name: string;
  /** The model column it feeds (`Dim.<Name>` for a dimension, the name itself when undelivered). */
  readonly canonical: string;
  readonly target: ColumnTarget;
}

export interface ResolvedHeader {
  readonly profile: InputProfile;
  readonly columns: readonly TableColumn[];
}

interface Mapping {
  readonly columns: Array<Omit<TableColumn, "index"> | undefined>;
  readonly unknown: number[];
}

const normalized = (name: string) => name.trim().toLowerCase();

function mapHeader(cells: readonly string[], profile: InputProfile, options: TableOptions): Mapping {
  const byName = new Map<string, CanonicalColumn>();
  for (const column of CANONICAL_COLUMNS)
    for (const name of profile.names[column] ?? []) byName.set(normalized(name), column);
  const userMap = new Map(Object.entries(options.columns ?? {}).map(([from, to]) => [normalized(from), to]));
  const columns: Array<Omit<TableColumn, "index"> | undefined> = [];
  const unknown: number[] = [];
  cells.forEach((raw, index) => {
    const name = raw.trim();
    if (name === "") {
      columns.push(undefined);
      return;
    }
    const mapped = userMap.get(normalized(name));
    const column = resolveName(mapped ?? name, mapped === undefined ? byName : canonicalByName, profile);
    if (column === undefined) unknown.push(index);
    columns.push(column === undefined ? undefined : { name, ...column });
  });
  return { columns, unknown };
}

const canonicalByName = new Map(CANONICAL_COLUMNS.map((column) => [normalized(column), column]));

function resolveName(
  name: string,
  names: ReadonlyMap<string, CanonicalColumn>,
  profile: InputProfile,
): Omit<TableColumn, "name" | "index"> | undefined {
  const dimension = /^dim\.(.+)$/i.exec(name.trim());
  if (dimension) {
    const dimensionName = (dimension[1] as string).trim();
    return { canonical: `Dim.${dimensionName}`, target: { kind: "dimension", name: dimensionName } };
  }
  const canonical = names.get(normalized(name));
  if (canonical !== undefined) {
    const target =
      canonical === "JournalBatchNumber" && profile.batchNumber === "group"
        ? { kind: "group" as const }
        : TARGETS[canonical];
    return { canonical, target };
  }
  for (const [undelivered, quiet] of Object.entries(profile.undelivered ?? {}))
    if (normalized(undelivered) === normalized(name))
      return { canonical: undelivered, target: { kind: "undelivered", quiet } };
  return undefined;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

const squeeze = (name: string) => name.toLowerCase().replace(/[\s_.-]+/g, "");

/** The known column name closest to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, profile: InputProfile): string | undefined {
  const wanted = squeeze(name);
  let best: { name: string; score: number } | undefined;
  const candidates = new Set<string>();
  for (const column of CANONICAL_COLUMNS)
    for (const known of profile.names[column] ?? []) candidates.add(known);
  for (const known of Object.keys(profile.undelivered ?? {})) candidates.add(known);
  for (const known of candidates) {
    const score = distance(wanted, squeeze(known));
    if (best === undefined || score < best.score) best = { name: known, score };
  }
  if (best === undefined) return undefined;
  return best.score <= Math.max(2, Math.floor(wanted.length / 4)) ? best.name : undefined;
}

/**
 * Resolves the header row with the named profile, or the one profile that knows every column (the
 * native one when it does). Returns undefined, with issues, when the file cannot be read with it.
 */
export function resolveHeader(
  cells: readonly string[],
  where: (index: number) => SourceLocation,
  whole: SourceLocation,
  options: TableOptions,
  sink: Issue[],
): ResolvedHeader | undefined {
  const before = sink.length;
  let profile: InputProfile;
  let mapping: Mapping;
  if (options.profile !== undefined) {
    const named = profileNamed(options.profile);
    if (named === undefined) {
      sink.push(
        issue("INPUT_PROFILE_UNKNOWN", `There is no input profile ${quote(options.profile)}.`, whole),
      );
      return undefined;
    }
    profile = named;
    mapping = mapHeader(cells, profile, options);
  } else {
    const tried = PROFILES.map((candidate) => ({
      profile: candidate,
      mapping: mapHeader(cells, candidate, options),
    }));
    const fitting = tried.filter((each) => each.mapping.unknown.length === 0);
    const chosen =
      fitting.find((each) => each.profile.name === "native") ??
      (fitting.length === 1 ? fitting[0] : undefined) ??
      (fitting.length === 0
        ? [...tried].sort((a, b) => a.mapping.unknown.length - b.mapping.unknown.length)[0]
        : undefined);
    if (chosen === undefined) {
      sink.push(
        issue(
          "INPUT_PROFILE_AMBIGUOUS",
          `The header fits the input profiles ${fitting.map((each) => each.profile.name).join(" and ")}.`,
          whole,
        ),
      );
      return undefined;
    }
    profile = chosen.profile;
    mapping = chosen.mapping;
  }
  const columns: TableColumn[] = [];
  const seen = new Map<string, string>();
  cells.forEach((raw, index) => {
    const name = raw.trim();
    const at = { ...where(index), field: name };
    if (name === "") {
      sink.push(issue("CSV_HEADER_EMPTY", `Header cell ${index + 1} is empty.`, at));
      return;
    }
    const column = mapping.columns[index];
    if (column === undefined) {
      const suggestion = closestName(name, profile);
      sink.push(
        issue(
          "CSV_HEADER_UNKNOWN_COLUMN",
          `Column ${quote(name)} is not a known field${profile.name === "native" ? "" : ` of the ${profile.name} profile`}.`,
          at,
          suggestion === undefined ? undefined : `Did you mean ${quote(suggestion)}?`,
        ),
      );
      return;
    }
    const earlier = seen.get(column.canonical.toLowerCase());
    if (earlier !== undefined) {
      sink.push(
        issue(
          "CSV_HEADER_DUPLICATE",
          `Columns ${quote(earlier)} and ${quote(name)} both name ${column.canonical}.`,
          at,
        ),
      );
      return;
    }
    seen.set(column.canonical.toLowerCase(), name);
    columns.push({ ...column, index });
  });
  const has = (column: CanonicalColumn) => seen.has(column.toLowerCase());
  const label = (column: CanonicalColumn) => {
    const names = profile.names[column] ?? [column];
    return names.length === 0 ? column : (names[0] as string);
  };
  const missing: string[] = [];
  if (!has("JournalKey") && !has("JournalBatchNumber") && !has("Voucher"))
    missing.push(
      `${label("JournalKey")} (or a ${label("JournalBatchNumber")} or ${label("Voucher")} column to derive it from)`,
    );
  if (!has("dataAreaId") && options.defaults?.company === undefined) missing.push(label("dataAreaId"));
  if (!has("JournalName") && options.defaults?.journalName === undefined) missing.push(label("JournalName"));
  for (const column of ["TransDate", "AccountDisplayValue", "CurrencyCode"] as const)
    if (!has(column)) missing.push(label(column));
  if (!has("DebitAmount") && !has("CreditAmount"))
    missing.push(`${label("DebitAmount")} or ${label("CreditAmount")}`);
  for (const name of missing)
    sink.push(issue("CSV_HEADER_MISSING_COLUMN", `The header has no ${name} column.`, whole));
  if (has("DefaultDimensionDisplayValue") && (options.dimensionFormat ?? []).length === 0)
    sink.push(
      issue(
        "INPUT_DIMENSION_FORMAT_MISSING",
        `Column ${quote(seen.get("defaultdimensiondisplayvalue") ?? "")} holds dimension display values, and no dimension format is configured.`,
        whole,
      ),
    );
  return sink.length > before ? undefined : { profile, columns };
}
