/**
 * Turns the raw fields of one journal (from any format) into a checked journal: header, lines and
 * the journal-level rules. A journal with any error is reported but not handed on for delivery.
 */
import type { Issue } from "../core/errors/issue.js";
import { type Locator, parseHeader, parseLine, type RawHeader, type RawLine } from "../core/fields.js";
import type { Journal, JournalLine } from "../core/journal.js";
import { checkJournalRules, type LineEntry } from "../core/rules.js";

/** Everything read about one journal of a source. */
export interface JournalRead {
  readonly key: string | undefined;
  /** Set only when the journal has no errors (warnings allowed). */
  readonly journal: Journal | undefined;
  readonly entries: readonly LineEntry[];
  readonly vouchers: number;
  readonly issues: readonly Issue[];
}

/**
 * What a reader yields: a journal, or a problem that belongs to no journal (the file, its header, a
 * row that could not be attributed). `droppedRow` marks a problem that cost a line of the file.
 */
export type SourceEvent =
  | { readonly kind: "journal"; readonly read: JournalRead }
  | { readonly kind: "issue"; readonly issue: Issue; readonly droppedRow?: boolean };

/**
 * Collects one journal. Lines are parsed as they arrive, so a reader never holds raw rows: only the
 * parsed lines of the journal in progress stay in memory.
 */
export class JournalBuilder {
  private readonly entries: LineEntry[] = [];
  private readonly found: Issue[] = [];
  private readonly company: string | undefined;

  /**
   * @param issues problems the reader already found for this journal (kept as they are)
   * @param filterFound drops issues the core raised that repeat one the reader already reported
   */
  constructor(
    private readonly rawHeader: RawHeader,
    private readonly headerAt: Locator,
    private readonly issues: Issue[] = [],
    private readonly filterFound: (found: Issue[]) => Issue[] = (found) => found,
  ) {
    this.company = rawHeader.company?.toLowerCase();
  }

  get key(): string | undefined {
    return this.rawHeader.key;
  }

  addIssue(found: Issue): void {
    this.issues.push(found);
  }

  addLine(raw: RawLine, at: Locator): void {
    this.entries.push({ line: parseLine(raw, at, this.found, this.company), at, rawVoucher: raw.voucher });
  }

  finish(): JournalRead {
    const found = this.found;
    const header = parseHeader(this.rawHeader, this.headerAt, found);
    const key = header?.key ?? this.rawHeader.key;
    const vouchers = checkJournalRules(key ?? "(no key)", this.headerAt, this.entries, found);
    const issues =
      found.length === 0
        ? this.issues
        : [...this.issues, ...this.filterFound(found)].sort(
            (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
          );
    const valid = header !== undefined && !issues.some((problem) => problem.severity === "error");
    const journal: Journal | undefined = valid
      ? { ...header, lines: this.entries.map((entry) => entry.line as JournalLine) }
      : undefined;
    return { key, journal, entries: this.entries, vouchers, issues };
  }
}
