/** Validates whole files and sums them up: what `ledger-bridge validate` prints. */
import type { Issue } from "../core/errors/issue.js";
import { type Amount, ZERO } from "../core/money.js";
import type { JournalRead, SourceEvent } from "./assemble.js";
import { openJournalFile, type ReadOptions } from "./source.js";

export interface CurrencyTotal {
  debit: Amount;
  credit: Amount;
}

export interface FileReport {
  readonly path: string;
  journals: number;
  validJournals: number;
  lines: number;
  vouchers: number;
  /** Sums of the lines that parsed, per currency. */
  readonly totals: Map<string, CurrencyTotal>;
  readonly errors: Issue[];
  readonly warnings: Issue[];
  errorCount: number;
  warningCount: number;
}

export interface ValidateOptions {
  /** Keep at most this many errors and this many warnings per file (all are counted). */
  readonly maxIssues?: number;
  /** How table files are read (profile, column map, defaults, locale, sheet). */
  readonly read?: ReadOptions;
  /** Checks each journal further once it is read (the target's compile: `validate --target`). */
  readonly check?: (read: JournalRead) => JournalRead;
}

export function emptyReport(path: string): FileReport {
  return {
    path,
    journals: 0,
    validJournals: 0,
    lines: 0,
    vouchers: 0,
    totals: new Map(),
    errors: [],
    warnings: [],
    errorCount: 0,
    warningCount: 0,
  };
}

export function addIssue(report: FileReport, found: Issue, maxIssues: number): void {
  if (found.severity === "error") {
    report.errorCount++;
    if (report.errors.length < maxIssues) report.errors.push(found);
  } else {
    report.warningCount++;
    if (report.warnings.length < maxIssues) report.warnings.push(found);
  }
}

/** Folds one source event into the report. */
export function tally(report: FileReport, event: SourceEvent, maxIssues: number): void {
  if (event.kind === "issue") {
    if (event.droppedRow) report.lines++;
    addIssue(report, event.issue, maxIssues);
    return;
  }
  const read = event.read;
  report.journals++;
  if (read.journal !== undefined) report.validJournals++;
  report.lines += read.entries.length;
  report.vouchers += read.vouchers;
  for (const found of read.issues) addIssue(report, found, maxIssues);
  for (const { line } of read.entries) {
    if (line === undefined) continue;
    let total = report.totals.get(line.currency);
    if (total === undefined) {
      total = { debit: ZERO, credit: ZERO };
      report.totals.set(line.currency, total);
    }
    if (line.debit) total.debit = total.debit.plus(line.debit);
    if (line.credit) total.credit = total.credit.plus(line.credit);
  }
}

export const DEFAULT_MAX_ISSUES = 1000;

/** Reads and validates one file. Throws InputError when it cannot be opened at all. */
export async function validateFile(path: string, options: ValidateOptions = {}): Promise<FileReport> {
  const maxIssues = options.maxIssues ?? DEFAULT_MAX_ISSUES;
  const report = emptyReport(path);
  const check = options.check;
  for await (const event of await openJournalFile(path, options.read))
    tally(
      report,
      check && event.kind === "journal" ? { kind: "journal", read: check(event.read) } : event,
      maxIssues,
    );
  return report;
}
