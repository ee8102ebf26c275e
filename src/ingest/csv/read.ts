/**
 * Reads journals from a CSV stream: header → rows → journals grouped by JournalKey. Lines of a
 * journal must be consecutive, so only one journal is ever held in memory.
 */
import { type Issue, issue } from "../../core/errors/issue.js";
import { type Locator, quote, type RawHeader, type RawLine } from "../../core/fields.js";
import { HEADER_FIELDS, type HeaderField, type LineField } from "../../core/journal.js";

/** Fields every row of a journal must repeat unchanged; the company is checked per line (intercompany). */
const COMPARED_HEADER_FIELDS: readonly HeaderField[] = ["journalName", "description", "journalBatchNumber"];

import { JournalBuilder, type SourceEvent } from "../assemble.js";
import { Utf8Decoder } from "../decode.js";
import { SourceProblem } from "../problem.js";
import { type CsvColumn, resolveHeader } from "./columns.js";
import { type CsvToken, CsvTokenizer, detectDelimiter } from "./tokenizer.js";

interface FieldPlace {
  readonly index: number;
  readonly name: string;
}

class CsvRowLocator implements Locator {
  constructor(
    private readonly file: string,
    private readonly line: number,
    private readonly places: ReadonlyMap<string, FieldPlace>,
  ) {}

  at(field: string) {
    const place = this.places.get(field);
    if (place === undefined) return { file: this.file, line: this.line };
    return { file: this.file, line: this.line, column: place.index + 1, field: place.name };
  }
}

/** The trimmed cell at `index`, or undefined when the file has no such column. */
function take(cells: readonly string[], index: number): string | undefined {
  return index < 0 ? undefined : trimCell(cells[index] as string);
}

/** Cells other than free text lose surrounding spaces and tabs (never other whitespace, which is reported). */
function trimCell(value: string): string {
  if (value.length === 0) return value;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first !== 32 && first !== 9 && last !== 32 && last !== 9) return value;
  return value.replace(/^[ \t]+|[ \t]+$/g, "");
}

class CsvJournalReader {
  private columns: CsvColumn[] | undefined;
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
  private keyIndex = -1;
  private current: JournalBuilder | undefined;
  private currentKey = "";
  private currentHeader: RawHeader = {};
  private readonly finished = new Set<string>();
  rows = 0;

  constructor(private readonly file: string) {}

  /** Handles one token; returns the events it completes. Throws SourceProblem when the file cannot go on. */
  token(token: CsvToken, out: SourceEvent[]): void {
    if ("error" in token) {
      if (this.columns === undefined) this.failHeader([this.syntaxIssue(token)]);
      this.rows++;
      out.push({ kind: "issue", issue: this.syntaxIssue(token), droppedRow: true });
      return;
    }
    if (this.columns === undefined) {
      this.header(token.fields, token.line);
      return;
    }
    this.rows++;
    this.row(token.fields, token.line, out);
  }

  private syntaxIssue(token: {
    error: "CSV_UNCLOSED_QUOTE" | "CSV_BAD_QUOTE";
    line: number;
    column: number;
  }): Issue {
    const detail =
      token.error === "CSV_UNCLOSED_QUOTE"
        ? `The quoted field ${token.column} opened on line ${token.line} is never closed.`
        : `Field ${token.column} on line ${token.line} has a stray double quote.`;
    return issue(token.error, detail, { file: this.file, line: token.line, column: token.column });
  }

  private failHeader(issues: Issue[]): never {
    const [first, ...rest] = issues;
    throw new HeaderProblem(first as Issue, rest);
  }

  private header(cells: string[], line: number): void {
    const sink: Issue[] = [];
    const columns = resolveHeader(cells, this.file, line, sink);
    if (columns === undefined) this.failHeader(sink);
    this.columns = columns;
    columns.forEach((column, index) => {
      const place = { index, name: column.name };
      const target = column.target;
      if (target.kind === "header" || target.kind === "line") this.places.set(target.field, place);
      else if (target.kind === "both") this.places.set(target.header, place);
      else this.places.set(`dimensions.${target.name}`, place);
      if (target.kind === "header" && target.field === "key") this.keyIndex = index;
      if (target.kind === "header" || target.kind === "line") this.columnOf[target.field] = index;
      else if (target.kind === "both") this.columnOf[target.header] = this.columnOf[target.line] = index;
      else this.dimensionColumns.push({ name: target.name, index });
    });
  }

  private row(cells: string[], line: number, out: SourceEvent[]): void {
    const columns = this.columns as CsvColumn[];
    const where = { file: this.file, line };
    if (cells.length !== columns.length) {
      out.push({
        kind: "issue",
        issue: issue(
          "CSV_RAGGED_ROW",
          `Line ${line} has ${cells.length} fields; the header has ${columns.length}.`,
          where,
        ),
        droppedRow: true,
      });
      return;
    }
    const key = trimCell(cells[this.keyIndex] as string);
    const at = new CsvRowLocator(this.file, line, this.places);
    if (key === "") {
      out.push({
        kind: "issue",
        issue: issue("FIELD_REQUIRED", "The journal key is missing.", at.at("key")),
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
      const rawHeader: RawHeader = {};
      for (const field of HEADER_FIELDS) {
        const value = this.cell(cells, field);
        if (value !== undefined) rawHeader[field] = value;
      }
      this.current = new JournalBuilder(rawHeader, at);
      this.currentKey = key;
      this.currentHeader = rawHeader;
    } else {
      for (const field of COMPARED_HEADER_FIELDS)
        this.compareHeader(field, this.cell(cells, field) ?? "", at);
    }
    // One object literal with every field: a fixed shape the parser reads fast, a million times over.
    const c = this.columnOf;
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
      text: c.text < 0 ? undefined : cells[c.text],
      company: take(cells, c.company),
      dimensions: this.dimensionColumns.length === 0 ? undefined : this.dimensions(cells),
    };
    this.current.addLine(raw, at);
  }

  /** A journal-level cell; the description keeps its spaces, other cells lose surrounding blanks. */
  private cell(cells: readonly string[], field: HeaderField): string | undefined {
    const at = this.columnOf[field];
    if (at < 0) return undefined;
    return field === "description" ? cells[at] : trimCell(cells[at] as string);
  }

  private dimensions(cells: readonly string[]): Record<string, string> {
    const dimensions: Record<string, string> = {};
    for (const { name, index } of this.dimensionColumns) dimensions[name] = trimCell(cells[index] as string);
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

  get hasHeader(): boolean {
    return this.columns !== undefined;
  }
}

/** A header that cannot be read ends the file: its rows cannot be interpreted. */
class HeaderProblem extends SourceProblem {
  constructor(
    first: Issue,
    readonly others: Issue[],
  ) {
    super(first);
  }
}

export async function* readCsv(file: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceEvent> {
  const decoder = new Utf8Decoder(file);
  const reader = new CsvJournalReader(file);
  let tokenizer: CsvTokenizer | undefined;
  let pending = "";
  let sawBytes = false;
  const out: SourceEvent[] = [];
  try {
    const feed = (text: string, final: boolean) => {
      if (tokenizer === undefined) {
        pending += text;
        const lineEnd = pending.search(/[\r\n]/);
        if (lineEnd < 0 && !final) return;
        tokenizer = new CsvTokenizer(detectDelimiter(lineEnd < 0 ? pending : pending.slice(0, lineEnd)));
        text = pending;
        pending = "";
      }
      for (const token of tokenizer.push(text)) reader.token(token, out);
      if (final) for (const token of tokenizer.end()) reader.token(token, out);
    };
    for await (const chunk of chunks) {
      if (chunk.length > 0) sawBytes = true;
      feed(decoder.push(chunk), false);
      yield* out.splice(0);
    }
    feed(decoder.end(), true);
    reader.flush(out);
    yield* out.splice(0);
  } catch (error) {
    if (!(error instanceof SourceProblem)) throw error;
    reader.flush(out);
    yield* out.splice(0);
    yield { kind: "issue", issue: error.issue };
    if (error instanceof HeaderProblem)
      for (const other of error.others) yield { kind: "issue", issue: other };
    return;
  }
  if (!sawBytes) {
    yield { kind: "issue", issue: issue("FILE_EMPTY", "The file has no content.", { file }) };
  } else if (!reader.hasHeader) {
    yield { kind: "issue", issue: issue("FILE_EMPTY", "The file has only blank lines.", { file }) };
  } else if (reader.rows === 0) {
    yield {
      kind: "issue",
      issue: issue("FILE_NO_DATA", "The file has a header row but no lines.", { file, line: 2 }),
    };
  }
}
