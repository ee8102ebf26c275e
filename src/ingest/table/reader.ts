/**
 * Reads journals from the rows of a table — a CSV file or an Excel sheet: header → rows → journals
 * grouped by their key. The key is the JournalKey column's, or derived from the file's name and the
 * batch number or voucher (docs/input-formats.md#journal-keys). A journal's rows must be consecutive,
 * so only one journal is ever held in memory.
 */
import { basename, extname } from "node:path";
import { type Issue, issue, type SourceLocation } from "../../core/errors/issue.js";
import { type Locator, quote, type RawHeader, type RawLine } from "../../core/fields.js";
import { HEADER_FIELDS, type HeaderField, type LineField } from "../../core/journal.js";
import { JournalBuilder, type SourceEvent } from "../assemble.js";
import { type Locale, nativeDate, nativeNumber } from "../locale.js";
import { SourceProblem } from "../problem.js";
import type { InputProfile } from "../profiles.js";
import { resolveHeader, type TableColumn } from "./columns.js";
import { KeySet } from "./key-set.js";
import type { TableOptions } from "./options.js";

/** Fields every row of a journal must repeat unchanged; the company is checked per line (intercompany). */
const COMPARED_HEADER_FIELDS: readonly HeaderField[] = ["journalName", "description", "journalBatchNumber"];

/** Where a table's cell is: CSV by line and column, Excel also by sheet and cell reference. */
export type CellPlace = (index: number, line: number) => SourceLocation;

interface FieldPlace {
  readonly index: number;
  readonly name: string;
}

class RowLocator implements Locator {
  constructor(
    private readonly line: number,
    private readonly places: ReadonlyMap<string, FieldPlace>,
    private readonly place: CellPlace,
    private readonly whole: SourceLocation,
  ) {}

  at(field: string): SourceLocation {
    const found = this.places.get(field);
    if (found === undefined) return { ...this.whole, line: this.line };
    return { ...this.place(found.index, this.line), field: found.name };
  }
}

/** The trimmed cell at `index`, or undefined when the file has no such column. */
function take(cells: readonly string[], index: number): string | undefined {
  return index < 0 ? undefined : trimCell(cells[index] ?? "");
}

/** Cells other than free text lose surrounding spaces and tabs (never other whitespace, which is reported). */
export function trimCell(value: string): string {
  if (value.length === 0) return value;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first !== 32 && first !== 9 && last !== 32 && last !== 9) return value;
  return value.replace(/^[ \t]+|[ \t]+$/g, "");
}

const ZERO_AMOUNT = /^-?0*(\.0*)?$/;
const MIDNIGHT_OR_NOON = /^(\d{4}-\d{2}-\d{2})[T ](?:00|12):00(?::00(?:\.0+)?)?Z?$/;

/** The part of a journal key taken from the file's name: its stem, in the key's characters. */
function keyStem(file: string): string {
  const name = basename(file, extname(file));
  return name.replace(/[^A-Za-z0-9._/-]/g, "_").slice(0, 60) || "file";
}

export class TableJournalReader {
  private columns: readonly TableColumn[] | undefined;
  private profile: InputProfile | undefined;
  private places = new Map<string, FieldPlace>();
  /** Column index per model field (-1 when the file has no such column). */
  private readonly columnOf: Record<HeaderField | LineField, number> = {
    key: -1,
    company: -1,
    journalName: -1,
    description: -1,
    journalBatchNumber: -1,
    lineNumber: -1,
    voucher: -1,
    transDate: -1,
    accountType: -1,
    account: -1,
    offsetAccountType: -1,
    offsetAccount: -1,
    debit: -1,
    credit: -1,
    currency: -1,
    exchangeRate: -1,
    text: -1,
  };
  private dimensionColumns: Array<{ name: string; index: number }> = [];
  private displayValueColumn = -1;
  private undelivered: Array<{ name: string; index: number; quiet: RegExp }> = [];
  /** The column a journal key is derived from when the file has no key column (-1: it has one). */
  private groupColumn = -1;
  private readonly stem: string;
  private locale: Locale | undefined;
  /** Whether any value of a row needs rewriting (a locale, a profile's value rules, defaults). */
  private rewrites = false;
  private current: JournalBuilder | undefined;
  private currentKey = "";
  private currentHeader: RawHeader = {};
  /** Every finished journal's key, to refuse one whose rows come back later (compact: key-set.ts). */
  private readonly finished = new KeySet();
  rows = 0;

  constructor(
    private readonly file: string,
    private readonly options: TableOptions,
    private readonly place: CellPlace,
    private readonly whole: SourceLocation = { file },
  ) {
    this.stem = keyStem(file);
  }

  get hasHeader(): boolean {
    return this.columns !== undefined;
  }

  /** The header row; throws HeaderProblem when the file cannot be read with it. */
  header(cells: readonly string[], line: number): void {
    const sink: Issue[] = [];
    const resolved = resolveHeader(
      cells,
      (index) => this.place(index, line),
      { ...this.whole, line },
      this.options,
      sink,
    );
    if (resolved === undefined) {
      const [first, ...rest] = sink;
      throw new HeaderProblem(first as Issue, rest);
    }
    this.columns = resolved.columns;
    this.profile = resolved.profile;
    this.locale = this.options.locale;
    const profile = resolved.profile;
    this.rewrites =
      this.locale !== undefined ||
      profile.zeroAmountIsEmpty ||
      profile.dateTimesAsDates ||
      profile.trimEmptySegments ||
      this.options.defaults !== undefined;
    let keyColumn = -1;
    const indexOf = new Map<string, number>();
    for (const column of resolved.columns) {
      const index = column.index;
      indexOf.set(column.canonical, index);
      const place = { index, name: column.name };
      const target = column.target;
      switch (target.kind) {
        case "header":
        case "line":
          this.places.set(target.field, place);
          this.columnOf[target.field] = index;
          if (target.field === "key") keyColumn = index;
          break;
        case "both":
          this.places.set(target.header, place);
          this.columnOf[target.header] = this.columnOf[target.line] = index;
          break;
        case "dimension":
          this.places.set(`dimensions.${target.name}`, place);
          this.dimensionColumns.push({ name: target.name, index });
          break;
        case "dimensions":
          this.displayValueColumn = index;
          for (const name of this.options.dimensionFormat ?? []) this.places.set(`dimensions.${name}`, place);
          break;
        case "group":
          this.places.set("key", place);
          break;
        case "undelivered":
          this.undelivered.push({ name: column.name, index, quiet: target.quiet });
          break;
      }
    }
    if (keyColumn < 0) {
      // Derived keys: from the batch number (a journal's own value), else the voucher.
      this.groupColumn = indexOf.get("JournalBatchNumber") ?? indexOf.get("Voucher") ?? -1;
      const groupName = cells[this.groupColumn]?.trim() ?? "";
      if (!this.places.has("key")) this.places.set("key", { index: this.groupColumn, name: groupName });
    }
  }

  /**
   * One data row (its cells in header order); yields what it completes into `out`. `problems` are
   * the row's cells that have no value (an Excel error, a formula never calculated): they count
   * against the row's journal, which is then not delivered.
   */
  row(cells: readonly string[], line: number, out: SourceEvent[], problems?: readonly Issue[]): void {
    this.rows++;
    const at = new RowLocator(line, this.places, this.place, this.whole);
    const key = this.keyOf(cells);
    if (key === "") {
      const derived = this.groupColumn >= 0;
      out.push({
        kind: "issue",
        issue: issue(
          "FIELD_REQUIRED",
          derived
            ? `The journal key is derived from ${quote(this.places.get("key")?.name ?? "")}, which is empty on this row.`
            : "The journal key is missing.",
          at.at("key"),
        ),
        droppedRow: true,
      });
      return;
    }
    if (this.current === undefined || this.currentKey !== key) {
      if (this.finished.has(key)) {
        out.push({
          kind: "issue",
          issue: issue("JOURNAL_KEY_SPLIT", `Journal ${quote(key)} has lines earlier in the file too.`, {
            ...at.at("key"),
            journalKey: key,
          }),
          droppedRow: true,
        });
        return;
      }
      this.flush(out);
    }
    // Journal-level cells are read from the journal's first row; later rows are only compared.
    if (this.current === undefined) {
      const rawHeader: RawHeader = { key };
      for (const field of HEADER_FIELDS) {
        if (field === "key") continue;
        const value = this.cell(cells, field);
        if (value !== undefined) rawHeader[field] = value;
      }
      const defaults = this.options.defaults;
      if (rawHeader.company === undefined && defaults?.company !== undefined)
        rawHeader.company = defaults.company;
      if (rawHeader.journalName === undefined && defaults?.journalName !== undefined)
        rawHeader.journalName = defaults.journalName;
      this.current = new JournalBuilder(rawHeader, at);
      this.currentKey = key;
      this.currentHeader = rawHeader;
    } else {
      for (const field of COMPARED_HEADER_FIELDS) {
        if (this.columnOf[field] >= 0) this.compareHeader(field, this.cell(cells, field) ?? "", at);
      }
    }
    if (problems !== undefined)
      for (const problem of problems) this.current.addIssue({ ...problem, journalKey: key });
    for (const column of this.undelivered) {
      const value = trimCell(cells[column.index] ?? "");
      if (!column.quiet.test(value))
        this.current.addIssue(
          issue(
            "INPUT_VALUE_NOT_DELIVERED",
            `Column ${quote(column.name)} has ${quote(value)}; ledger-bridge does not deliver it.`,
            { ...this.place(column.index, line), field: column.name, journalKey: key },
          ),
        );
    }
    this.current.addLine(this.rawLine(cells, line, at), at);
  }

  private keyOf(cells: readonly string[]): string {
    if (this.groupColumn < 0) return trimCell(cells[this.columnOf.key] ?? "");
    const value = trimCell(cells[this.groupColumn] ?? "");
    return value === "" ? "" : `${this.stem}:${value.replace(/[^A-Za-z0-9._/-]/g, "_")}`;
  }

  private rawLine(cells: readonly string[], line: number, at: Locator): RawLine {
    const c = this.columnOf;
    // One object literal with every field: a fixed shape the parser reads fast, a million times over.
    const raw: RawLine = {
      lineNumber: take(cells, c.lineNumber),
      voucher: take(cells, c.voucher),
      transDate: take(cells, c.transDate),
      accountType: take(cells, c.accountType),
      account: take(cells, c.account),
      offsetAccountType: take(cells, c.offsetAccountType),
      offsetAccount: take(cells, c.offsetAccount),
      debit: take(cells, c.debit),
      credit: take(cells, c.credit),
      currency: take(cells, c.currency),
      exchangeRate: take(cells, c.exchangeRate),
      text: c.text < 0 ? undefined : (cells[c.text] ?? ""),
      company: take(cells, c.company),
      dimensions:
        this.dimensionColumns.length === 0 && this.displayValueColumn < 0
          ? undefined
          : this.dimensions(cells, line, at),
    };
    // Native files in the native format skip every rewrite.
    if (this.rewrites) this.rewrite(raw);
    return raw;
  }

  /** The profile's and the config's value rules, applied to one row's raw fields in place. */
  private rewrite(raw: { -readonly [K in keyof RawLine]: RawLine[K] }): void {
    const profile = this.profile as InputProfile;
    const locale = this.locale;
    if (locale !== undefined) {
      for (const field of ["debit", "credit", "exchangeRate"] as const) {
        const value = raw[field];
        if (value !== undefined && value !== "") raw[field] = nativeNumber(value, locale);
      }
      if (raw.transDate !== undefined && raw.transDate !== "")
        raw.transDate = nativeDate(raw.transDate, locale);
    }
    if (profile.zeroAmountIsEmpty && raw.debit !== undefined && raw.credit !== undefined) {
      // Both columns filled and one of them zero: the zero one is the empty side.
      const debitZero = raw.debit === "" || ZERO_AMOUNT.test(raw.debit);
      const creditZero = raw.credit === "" || ZERO_AMOUNT.test(raw.credit);
      if (debitZero && !creditZero) raw.debit = "";
      else if (creditZero && !debitZero) raw.credit = "";
    }
    if (profile.dateTimesAsDates && raw.transDate !== undefined)
      raw.transDate = MIDNIGHT_OR_NOON.exec(raw.transDate)?.[1] ?? raw.transDate;
    if (profile.trimEmptySegments) {
      if (raw.account !== undefined) raw.account = raw.account.replace(/-+$/, "");
      if (raw.offsetAccount !== undefined) raw.offsetAccount = raw.offsetAccount.replace(/-+$/, "");
    }
    const defaults = this.options.defaults;
    if ((raw.accountType === undefined || raw.accountType === "") && defaults?.accountType !== undefined)
      raw.accountType = defaults.accountType;
    if (raw.company === undefined && defaults?.company !== undefined) raw.company = defaults.company;
  }

  /** A journal-level cell; the description keeps its spaces, other cells lose surrounding blanks. */
  private cell(cells: readonly string[], field: HeaderField): string | undefined {
    const at = this.columnOf[field];
    if (at < 0) return undefined;
    return field === "description" ? (cells[at] ?? "") : trimCell(cells[at] ?? "");
  }

  private dimensions(
    cells: readonly string[],
    line: number,
    at: Locator,
  ): Record<string, string> | undefined {
    if (this.dimensionColumns.length === 0 && this.displayValueColumn < 0) return undefined;
    const dimensions: Record<string, string> = {};
    if (this.displayValueColumn >= 0) {
      const text = trimCell(cells[this.displayValueColumn] ?? "");
      const names = this.options.dimensionFormat ?? [];
      const segments = text === "" ? [] : text.split("-");
      if (segments.length > names.length) {
        this.current?.addIssue(
          issue(
            "INPUT_DIMENSION_SEGMENTS",
            `${quote(text)} has ${segments.length} segments; the dimension format names ${names.length} (${names.join(", ")}).`,
            {
              ...this.place(this.displayValueColumn, line),
              field: at.at(`dimensions.${names[0]}`).field,
              journalKey: this.currentKey,
            },
          ),
        );
      }
      segments.forEach((segment, index) => {
        const name = names[index];
        if (name !== undefined && segment !== "") dimensions[name] = segment;
      });
    }
    for (const { name, index } of this.dimensionColumns) dimensions[name] = trimCell(cells[index] ?? "");
    return dimensions;
  }

  /** Rows of one journal must agree on its fields; the company is checked per line (intercompany). */
  private compareHeader(field: HeaderField, here: string, at: Locator): void {
    const first = this.currentHeader[field] ?? "";
    if (first === here) return;
    this.current?.addIssue(
      issue(
        "FIELD_HEADER_MISMATCH",
        `This row gives ${quote(here)} where the journal's first row gives ${quote(first)}.`,
        { ...at.at(field), journalKey: this.currentKey },
      ),
    );
  }

  flush(out: SourceEvent[]): void {
    const current = this.current;
    if (current === undefined) return;
    this.current = undefined;
    this.finished.add(this.currentKey);
    out.push({ kind: "journal", read: current.finish() });
  }
}

/** A header that cannot be read ends the file: its rows cannot be interpreted. */
export class HeaderProblem extends SourceProblem {
  constructor(
    first: Issue,
    readonly others: Issue[],
  ) {
    super(first);
  }
}
