/** What the targets share: F&O's line conventions, dimension display values, the posted ledger. */
import Big from "big.js";
import { JsonNumberText, type PlainJson } from "../../common/json.js";
import { BridgeError } from "../../core/errors/bridge-error.js";
import type { AccountType, Journal, JournalLine } from "../../core/journal.js";
import type { Entities, Entity } from "../entities.js";
import { D365Error } from "../errors.js";
import type { PostedVoucher } from "../posting.js";
import { and, compare, eq } from "../query.js";
import type { LinesInFno, TargetProblem } from "./target.js";

/** F&O wants a voucher on every line; lines without one are grouped per date (docs/input-formats.md). */
export function voucherOf(line: JournalLine): string {
  return line.voucher ?? `LB-${line.transDate.replaceAll("-", "")}`;
}

/** F&O's TransDate is an Edm.DateTimeOffset; a journal date is midnight UTC of that day. */
export function transDateTime(date: string): string {
  return `${date}T00:00:00Z`;
}

/**
 * The default dimension display value of a line in the configured format ("Financial dimension
 * configuration for integrating applications"), or the problems that keep it from being built.
 */
export function dimensionDisplayValue(
  line: JournalLine,
  index: number,
  format: readonly string[] | undefined,
  problems: TargetProblem[],
): string | undefined {
  if (line.dimensions === undefined) return undefined;
  if (format === undefined) {
    problems.push({
      code: "TARGET_DIMENSION_FORMAT_MISSING",
      detail:
        "The line carries financial dimensions, but no dimension format is configured (target.dimensionFormat).",
      line: index,
      field: dimensionField(line),
    });
    return undefined;
  }
  const unknown = Object.keys(line.dimensions).filter((name) => !format.includes(name));
  if (unknown.length > 0) {
    problems.push({
      code: "TARGET_DIMENSION_UNKNOWN",
      detail: `Dimension${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not in the configured dimension format (${format.join(", ")}).`,
      line: index,
      field: `dimensions.${unknown[0]}`,
    });
    return undefined;
  }
  return format.map((name) => line.dimensions?.[name] ?? "").join("-");
}

/** Where a line's dimensions sit in the source (the ingest locators' `dimensions.<Name>`). */
export function dimensionField(line: JournalLine): string {
  return `dimensions.${Object.keys(line.dimensions ?? {})[0] ?? ""}`;
}

/** Lines whose account or offset account type the target cannot carry. */
export function accountTypeProblems(
  journal: Journal,
  allowed: readonly AccountType[],
  where: string,
): TargetProblem[] {
  const problems: TargetProblem[] = [];
  for (const [index, line] of journal.lines.entries()) {
    for (const [field, type] of [
      ["accountType", line.accountType],
      ["offsetAccountType", line.offsetAccount === undefined ? undefined : line.offsetAccountType],
    ] as const) {
      if (type !== undefined && !allowed.includes(type))
        problems.push({
          code: "TARGET_ACCOUNT_TYPE_UNSUPPORTED",
          detail: `${where} carries account type${allowed.length === 1 ? "" : "s"} ${allowed.join(", ")}; this line's ${field === "accountType" ? "account" : "offset account"} is of type ${type}.`,
          line: index,
          field,
        });
    }
  }
  return problems;
}

/** The journal's number in the answer to the write that created it. */
export function batchNumberIn(created: PlainJson | undefined, field: string, what: string): string {
  const value =
    created !== null &&
    typeof created === "object" &&
    !Array.isArray(created) &&
    !(created instanceof JsonNumberText)
      ? (created as Record<string, PlainJson>)[field]
      : undefined;
  if (typeof value !== "string" || value === "") {
    throw new D365Error(
      "D365_INVALID_RESPONSE",
      `F&O's answer to ${what} carries no ${field}; the journal is looked up by its marker before anything is sent again.`,
      { method: "POST", url: what, requestId: "" },
    );
  }
  return value;
}

export function decimal(value: unknown): Big.Big {
  return new Big(
    value instanceof JsonNumberText ? value.raw : value === null || value === undefined ? "0" : String(value),
  );
}

/** Counts rows and sums two amount fields exactly. */
export function summed(rows: readonly Entity[], debit: string, credit: string): LinesInFno {
  let d = new Big(0);
  let c = new Big(0);
  for (const row of rows) {
    d = d.plus(decimal(row[debit]));
    c = c.plus(decimal(row[credit]));
  }
  return { count: rows.length, debit: d, credit: c };
}

/** One journal among candidates found by marker, or none; several are a problem a person must look at. */
export function onlyOne<T extends { batchNumber: string }>(found: readonly T[], key: string): T | undefined {
  if (found.length > 1) {
    throw new BridgeError(
      "DELIVERY_MARKER_AMBIGUOUS",
      `Journal ${key} has ${found.length} journals in F&O: ${found.map((each) => each.batchNumber).join(", ")}.`,
    );
  }
  return found[0];
}

/**
 * Whether the journal is posted, and its final vouchers from the posted ledger. Every target files
 * into F&O's journal tables, so the posted state is read from LedgerJournalHeaders; the vouchers from
 * the ledger as F&O keeps it: the journal's LedgerEntryJournal, then its general journal entries
 * (one per voucher, with the voucher and accounting date).
 */
export async function postedVouchers(
  entities: Entities,
  company: string,
  batchNumber: string,
): Promise<PostedVoucher[] | undefined> {
  const header = await entities.get("LedgerJournalHeaders", {
    dataAreaId: company,
    JournalBatchNumber: batchNumber,
  });
  if (header?.IsPosted !== "Yes") return undefined;
  const journals = await entities.queryAll("LedgerEntryJournalBiEntities", {
    filter: and(eq("JournalNumber", batchNumber), eq("LedgerJournalTableDataAreaId", company)),
    select: ["SourceKey"],
  });
  const seen = new Map<string, string>();
  for (const journal of journals) {
    const key = recordId(journal.SourceKey);
    if (key === undefined) continue;
    const entries = await entities.queryAll("GeneralJournalEntryBiEntities", {
      filter: eq("LedgerEntryJournal", key),
      select: ["SubledgerVoucher", "AccountingDate"],
    });
    for (const entry of entries)
      seen.set(String(entry.SubledgerVoucher), String(entry.AccountingDate).slice(0, 10));
  }
  // The ledger knows final vouchers only; which line voucher each came from was in the lost answer.
  return [...seen].map(([postedVoucher, transDate]) => ({
    voucher: "(reconciled)",
    postedVoucher,
    transDate,
  }));
}

/** A record id (Edm.Int64) from an answer, kept as its digits. */
function recordId(value: PlainJson | undefined): Big.Big | undefined {
  const text = value instanceof JsonNumberText ? value.raw : typeof value === "string" ? value : undefined;
  return text !== undefined && /^\d+$/.test(text) ? new Big(text) : undefined;
}

/** The smallest and the largest of a set of batch numbers (by F&O's ordinal string order). */
function rangeOf(batchNumbers: readonly string[]): [string, string] {
  const sorted = [...batchNumbers].sort();
  return [sorted[0] as string, sorted.at(-1) as string];
}

/**
 * The lines of many journals in one query over their batch numbers' range (paged by F&O), summed per
 * journal; lines of journals outside the set (another system's, in the same range) are skipped.
 */
export async function linesInRange(
  entities: Entities,
  entitySet: string,
  fields: {
    readonly company: string;
    readonly batch: string;
    readonly debit: string;
    readonly credit: string;
  },
  company: string,
  batchNumbers: readonly string[],
): Promise<Map<string, LinesInFno>> {
  // Every journal asked for has an entry, so one without lines in F&O reads as 0 lines.
  const sums = new Map(
    batchNumbers.map((batch) => [batch, { count: 0, debit: new Big(0), credit: new Big(0) }]),
  );
  if (sums.size === 0) return sums;
  const [first, last] = rangeOf(batchNumbers);
  for await (const row of entities.query(entitySet, {
    filter: and(
      eq(fields.company, company),
      compare(fields.batch, "ge", first),
      compare(fields.batch, "le", last),
    ),
    select: [fields.batch, fields.debit, fields.credit],
    crossCompany: true,
  })) {
    const sum = sums.get(String(row[fields.batch]));
    if (sum === undefined) continue;
    sum.count++;
    sum.debit = sum.debit.plus(decimal(row[fields.debit]));
    sum.credit = sum.credit.plus(decimal(row[fields.credit]));
  }
  return sums;
}

/**
 * The posted vouchers of many journals: their LedgerEntryJournal rows in one query over the batch
 * numbers' range, then their general journal entries in one query over those rows' keys. A journal
 * F&O has posted has a LedgerEntryJournal; one without is not in the map.
 */
export async function postedVouchersInRange(
  entities: Entities,
  company: string,
  batchNumbers: readonly string[],
): Promise<Map<string, PostedVoucher[]>> {
  const posted = new Map<string, PostedVoucher[]>();
  if (batchNumbers.length === 0) return posted;
  const wanted = new Set(batchNumbers);
  const [first, last] = rangeOf(batchNumbers);
  const batchOf = new Map<string, string>();
  const keys: Big.Big[] = [];
  for await (const journal of entities.query("LedgerEntryJournalBiEntities", {
    filter: and(
      eq("LedgerJournalTableDataAreaId", company),
      compare("JournalNumber", "ge", first),
      compare("JournalNumber", "le", last),
    ),
    select: ["SourceKey", "JournalNumber"],
  })) {
    const batch = String(journal.JournalNumber);
    const key = recordId(journal.SourceKey);
    if (!wanted.has(batch) || key === undefined) continue;
    batchOf.set(key.toFixed(), batch);
    keys.push(key);
    posted.set(batch, []);
  }
  if (keys.length === 0) return posted;
  keys.sort((a, b) => a.cmp(b));
  const seen = new Set<string>();
  for await (const entry of entities.query("GeneralJournalEntryBiEntities", {
    filter: and(
      compare("LedgerEntryJournal", "ge", keys[0] as Big.Big),
      compare("LedgerEntryJournal", "le", keys.at(-1) as Big.Big),
    ),
    select: ["LedgerEntryJournal", "SubledgerVoucher", "AccountingDate"],
  })) {
    const key = recordId(entry.LedgerEntryJournal)?.toFixed();
    const batch = key === undefined ? undefined : batchOf.get(key);
    if (batch === undefined || seen.has(`${batch}|${String(entry.SubledgerVoucher)}`)) continue;
    seen.add(`${batch}|${String(entry.SubledgerVoucher)}`);
    posted.get(batch)?.push({
      voucher: "(reconciled)",
      postedVoucher: String(entry.SubledgerVoucher),
      transDate: String(entry.AccountingDate).slice(0, 10),
    });
  }
  return posted;
}
