/**
 * Reads journals from a CSV stream: the tokenizer's rows into the table reader (src/ingest/table),
 * which resolves the header under an input profile and groups rows into journals.
 */

import { type CsvToken, CsvTokenizer, detectDelimiter } from "../../common/csv-tokenizer.js";
import { type Issue, issue } from "../../core/errors/issue.js";
import type { SourceEvent } from "../assemble.js";
import { Utf8Decoder } from "../decode.js";
import { SourceProblem } from "../problem.js";
import type { TableOptions } from "../table/options.js";
import { HeaderProblem, TableJournalReader } from "../table/reader.js";

/** CSV rows into the table reader: syntax errors and ragged rows are the CSV's own problems. */
class CsvRows {
  private columnCount = -1;
  readonly table: TableJournalReader;

  constructor(
    private readonly file: string,
    options: TableOptions,
  ) {
    this.table = new TableJournalReader(file, options, (index, line) => ({ file, line, column: index + 1 }));
  }

  token(token: CsvToken, out: SourceEvent[]): void {
    if ("error" in token) {
      if (this.columnCount < 0) throw new HeaderProblem(this.syntaxIssue(token), []);
      this.table.rows++;
      out.push({ kind: "issue", issue: this.syntaxIssue(token), droppedRow: true });
      return;
    }
    if (this.columnCount < 0) {
      this.table.header(token.fields, token.line);
      this.columnCount = token.fields.length;
      return;
    }
    if (token.fields.length !== this.columnCount) {
      this.table.rows++;
      out.push({
        kind: "issue",
        issue: issue(
          "CSV_RAGGED_ROW",
          `Line ${token.line} has ${token.fields.length} fields; the header has ${this.columnCount}.`,
          { file: this.file, line: token.line },
        ),
        droppedRow: true,
      });
      return;
    }
    this.table.row(token.fields, token.line, out);
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
}

export async function* readCsv(
  file: string,
  chunks: AsyncIterable<Buffer>,
  options: TableOptions = {},
): AsyncGenerator<SourceEvent> {
  const decoder = new Utf8Decoder(file);
  const rows = new CsvRows(file, options);
  const reader = rows.table;
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
      for (const token of tokenizer.push(text)) rows.token(token, out);
      if (final) for (const token of tokenizer.end()) rows.token(token, out);
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
