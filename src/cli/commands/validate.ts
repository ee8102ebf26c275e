import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { UsageError } from "../../core/errors/bridge-error.js";
import { type Issue, issueJson } from "../../core/errors/issue.js";
import { formatMoney } from "../../core/money.js";
import { createTarget } from "../../d365/targets/index.js";
import { preflight } from "../../delivery/preflight.js";
import type { JournalRead } from "../../ingest/assemble.js";
import { DEFAULT_MAX_ISSUES, type FileReport, validateFile } from "../../ingest/report.js";
import { type CliIo, EXIT, type Style, styleFor } from "../io.js";
import { readOptionsFor, targetSettingsFor } from "../runtime.js";
import { summaryOf } from "./manifest.js";

export interface ValidateFlags {
  readonly json?: boolean;
  readonly maxIssues?: string;
  readonly target?: boolean;
  readonly profile?: string;
  readonly sheet?: string;
}

export function reportJson(report: FileReport) {
  return {
    path: report.path,
    journals: report.journals,
    validJournals: report.validJournals,
    lines: report.lines,
    vouchers: report.vouchers,
    totals: Object.fromEntries(
      [...report.totals].map(([currency, total]) => [
        currency,
        { debit: formatMoney(total.debit, currency), credit: formatMoney(total.credit, currency) },
      ]),
    ),
    valid: report.errorCount === 0,
    errorCount: report.errorCount,
    warningCount: report.warningCount,
    errors: report.errors.map(issueJson),
    warnings: report.warnings.map(issueJson),
  };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function where(found: Issue): string {
  if (found.sheet !== undefined) {
    const field = found.field === undefined ? "" : ` (${found.field})`;
    return `${found.sheet}${found.cell === undefined ? "" : `!${found.cell}`}${field}`;
  }
  const parts: string[] = [];
  if (found.line !== undefined) parts.push(`line ${found.line}`);
  if (found.column !== undefined) parts.push(`column ${found.column}`);
  const place = parts.join(", ");
  const field = found.field === undefined ? "" : ` (${found.field})`;
  return place === "" ? field.trim() : `${place}${field}`;
}

export function printReport(report: FileReport, io: CliIo, style: Style): void {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const status = report.errorCount === 0 ? style.green("valid") : style.red("invalid");
  out(`${style.bold(report.path)}: ${status}`);
  out(
    `  ${count(report.journals, "journal")} (${report.validJournals} valid), ${count(report.lines, "line")}, ` +
      count(report.vouchers, "voucher"),
  );
  for (const [currency, total] of [...report.totals].sort(([a], [b]) => a.localeCompare(b))) {
    out(
      `  ${currency}  debit ${formatMoney(total.debit, currency)}  credit ${formatMoney(total.credit, currency)}`,
    );
  }
  const list = (issues: Issue[], count: number, label: string, paint: (text: string) => string) => {
    if (count === 0) return;
    out(`  ${paint(`${count} ${label}${count === 1 ? "" : "s"}`)}`);
    for (const found of issues)
      out(`    ${paint(found.code)} ${style.dim(where(found))}\n      ${found.message}`);
    if (count > issues.length)
      out(`    … and ${count - issues.length} more (raise --max-issues to see them)`);
  };
  list(report.errors, report.errorCount, "error", style.red);
  list(report.warnings, report.warningCount, "warning", style.yellow);
}

/** Validates files; returns the exit code. Throws BridgeError for unreadable files (exit 2). */
export async function runValidate(files: string[], flags: ValidateFlags, io: CliIo): Promise<number> {
  const maxIssues = flags.maxIssues === undefined ? DEFAULT_MAX_ISSUES : Number(flags.maxIssues);
  const reports: FileReport[] = [];
  // --target: the same compile as `post` runs before storing (offline: fields' lengths in F&O are
  // checked when delivery reads $metadata).
  const config = loadConfig(io.env);
  const target = flags.target ? createTarget(targetSettingsFor(config)) : undefined;
  const read = readOptionsFor(config, flags);
  const check = target === undefined ? undefined : (read: JournalRead) => preflight(read, target);
  for (const file of files)
    reports.push(await validateFile(file, { maxIssues, read, ...(check ? { check } : {}) }));
  const valid = reports.every((report) => report.errorCount === 0);
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ files: reports.map(reportJson), valid })}\n`);
  } else {
    const style = styleFor(io);
    for (const report of reports) printReport(report, io, style);
    const invalid = reports.filter((report) => report.errorCount > 0).length;
    io.stdout.write(
      `${count(reports.length, "file")}: ${reports.length - invalid} valid, ${invalid} invalid\n`,
    );
  }
  return valid ? EXIT.ok : EXIT.failed;
}

export function registerValidate(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("validate")
    .description(summaryOf("validate"))
    .argument("<files...>", "journal files")
    .option("--json", "print one JSON document")
    .option("--target", "also check that the configured delivery target can carry each journal")
    .option("--max-issues <n>", "errors and warnings listed per file", String(DEFAULT_MAX_ISSUES))
    .option("--profile <name>", "read table files with this input profile (default: chosen by the header)")
    .option("--sheet <name>", "Excel: the sheet to read (default: the first)")
    .action(async (files: string[], flags: ValidateFlags) => {
      if (flags.maxIssues !== undefined && !/^[1-9]\d{0,6}$/.test(flags.maxIssues)) {
        throw new UsageError("USAGE", "--max-issues must be a whole number from 1 to 9999999.");
      }
      done(await runValidate(files, flags, io));
    });
}
