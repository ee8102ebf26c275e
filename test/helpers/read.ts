import type { Issue } from "../../src/core/errors/issue.js";
import type { Journal } from "../../src/core/journal.js";
import type { JournalRead } from "../../src/ingest/assemble.js";
import { readJournalText } from "../../src/ingest/source.js";

export interface ReadResult {
  journals: Journal[];
  reads: JournalRead[];
  issues: Issue[];
  errors: Issue[];
  warnings: Issue[];
}

/** Reads a source held in memory; `name` picks the format by its extension. */
export async function readText(name: string, text: string | Buffer): Promise<ReadResult> {
  const result: ReadResult = { journals: [], reads: [], issues: [], errors: [], warnings: [] };
  for await (const event of readJournalText(name, text)) {
    const found = event.kind === "issue" ? [event.issue] : event.read.issues;
    if (event.kind === "journal") {
      result.reads.push(event.read);
      if (event.read.journal) result.journals.push(event.read.journal);
    }
    for (const item of found) {
      result.issues.push(item);
      (item.severity === "error" ? result.errors : result.warnings).push(item);
    }
  }
  return result;
}

export const CSV_HEADER =
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode";

/** A CSV with the standard header and the given rows. */
export function csv(...rows: string[]): string {
  return `${[CSV_HEADER, ...rows].join("\n")}\n`;
}
