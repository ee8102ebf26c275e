/**
 * Journal-level accounting rules: line numbers, vouchers (one date, balanced, one currency), size
 * advice. Field-level rules live in fields.ts; these run once all lines of a journal are read.
 */
import { type Issue, issue } from "./errors/issue.js";
import type { Locator } from "./fields.js";
import type { JournalLine } from "./journal.js";
import { type Amount, formatMoney, ZERO } from "./money.js";

/** One line as read from the source: parsed, or broken (its field issues already reported). */
export interface LineEntry {
  readonly line: JournalLine | undefined;
  readonly at: Locator;
  /** The raw voucher of a broken line, so its voucher is known to be incomplete. */
  readonly rawVoucher?: string | undefined;
}

export const VOUCHER_LINE_ADVICE = 10;
export const JOURNAL_LINE_ADVICE = 10_000;

interface VoucherGroup {
  readonly label: string;
  readonly first: LineEntry;
  lines: number;
  broken: boolean;
  dates: Set<string>;
  firstOtherDate?: LineEntry;
  currencies: Set<string>;
  allHaveRates: boolean;
  debit: Amount;
  credit: Amount;
  balancedLines: number;
}

/**
 * Lines without a voucher and without an offset account are grouped per transaction date into one
 * implicit voucher, which must balance on its own (see docs/input-formats.md).
 */
function voucherLabel(entry: LineEntry): string | undefined {
  const line = entry.line;
  if (line === undefined) return entry.rawVoucher;
  if (line.voucher !== undefined) return line.voucher;
  return `(no voucher) ${line.transDate}`;
}

/** Checks one journal's lines; pushes issues into `sink` and returns the number of vouchers. */
export function checkJournalRules(
  journalKey: string,
  headerAt: Locator,
  entries: readonly LineEntry[],
  sink: Issue[],
): number {
  if (entries.length === 0) {
    sink.push(
      issue("JOURNAL_NO_LINES", `Journal ${journalKey} has no lines.`, { ...headerAt.at("key"), journalKey }),
    );
    return 0;
  }
  if (entries.length > JOURNAL_LINE_ADVICE) {
    sink.push(
      issue("JOURNAL_OVER_10000_LINES", `Journal ${journalKey} has ${entries.length} lines.`, {
        ...headerAt.at("key"),
        journalKey,
      }),
    );
  }

  const lineNumbers = new Set<number>();
  const vouchers = new Map<string, VoucherGroup>();
  for (const entry of entries) {
    const line = entry.line;
    if (line?.lineNumber !== undefined) {
      if (lineNumbers.has(line.lineNumber)) {
        sink.push(
          issue(
            "LINE_NUMBER_DUPLICATE",
            `Line number ${line.lineNumber} appears twice in journal ${journalKey}.`,
            {
              ...entry.at.at("lineNumber"),
              journalKey,
            },
          ),
        );
      }
      lineNumbers.add(line.lineNumber);
    }
    const label = voucherLabel(entry);
    if (label === undefined) continue;
    let group = vouchers.get(label);
    if (group === undefined) {
      group = {
        label,
        first: entry,
        lines: 0,
        broken: false,
        dates: new Set(),
        currencies: new Set(),
        allHaveRates: true,
        debit: ZERO,
        credit: ZERO,
        balancedLines: 0,
      };
      vouchers.set(label, group);
    }
    group.lines++;
    if (line === undefined) {
      group.broken = true;
      continue;
    }
    if (group.dates.size > 0 && !group.dates.has(line.transDate) && group.firstOtherDate === undefined) {
      group.firstOtherDate = entry;
    }
    group.dates.add(line.transDate);
    // A line with an offset account balances itself; only lines without one must net to zero.
    if (line.offsetAccount !== undefined) continue;
    group.balancedLines++;
    group.currencies.add(line.currency);
    if (line.exchangeRate === undefined) group.allHaveRates = false;
    if (line.debit) group.debit = group.debit.plus(line.debit);
    if (line.credit) group.credit = group.credit.plus(line.credit);
  }

  for (const group of vouchers.values()) checkVoucher(journalKey, group, sink);
  return vouchers.size;
}

function checkVoucher(journalKey: string, group: VoucherGroup, sink: Issue[]): void {
  // Built only when there is something to report: this runs for every voucher of every file.
  const where = () => ({ ...group.first.at.at("voucher"), journalKey });
  if (group.lines > VOUCHER_LINE_ADVICE) {
    sink.push(issue("VOUCHER_OVER_10_LINES", `Voucher ${group.label} has ${group.lines} lines.`, where()));
  }
  if (group.firstOtherDate !== undefined) {
    sink.push(
      issue(
        "VOUCHER_MULTIPLE_DATES",
        `Voucher ${group.label} has lines dated ${[...group.dates].join(", ")}.`,
        {
          ...group.firstOtherDate.at.at("transDate"),
          journalKey,
        },
      ),
    );
  }
  // A voucher with a line that failed to parse cannot be balanced meaningfully; its line's own
  // issue is the one to fix first.
  if (group.broken || group.balancedLines === 0) return;
  if (group.currencies.size > 1) {
    // With a rate on every line F&O checks the balance in the accounting currency at posting,
    // which this file alone cannot know.
    if (!group.allHaveRates) {
      sink.push(
        issue(
          "VOUCHER_MIXED_CURRENCIES",
          `Voucher ${group.label} mixes ${[...group.currencies].join(", ")} without exchange rates.`,
          where(),
        ),
      );
    }
    return;
  }
  if (!group.debit.eq(group.credit)) {
    const [currency = ""] = group.currencies;
    const difference = group.debit.minus(group.credit).abs();
    sink.push(
      issue(
        "VOUCHER_UNBALANCED",
        `Voucher ${group.label} has debits ${formatMoney(group.debit, currency)} and credits ` +
          `${formatMoney(group.credit, currency)} ${currency} (difference ${formatMoney(difference, currency)}).`,
        where(),
      ),
    );
  }
}
