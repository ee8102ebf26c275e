/** Reads journals from a JSON array or NDJSON stream, one journal in memory at a time. */

import { JsonParseError, parseJson } from "../../common/json.js";
import { type Issue, issue } from "../../core/errors/issue.js";
import { JournalBuilder, type SourceEvent } from "../assemble.js";
import { Utf8Decoder } from "../decode.js";
import { SourceProblem } from "../problem.js";
import { journalFromJson } from "./journal-object.js";
import { type JsonItem, JsonLineSplitter, JsonSplitter } from "./split.js";

function parseIssue(file: string, error: JsonParseError): Issue {
  return issue(error.code, `${error.detail}`, { file, line: error.line, column: error.column });
}

/** `lines`: NDJSON, one journal per line; `document`: a JSON array of journals (or a sequence of them). */
export type JsonLayout = "lines" | "document";

export async function* readJson(
  file: string,
  chunks: AsyncIterable<Buffer>,
  layout: JsonLayout,
): AsyncGenerator<SourceEvent> {
  const decoder = new Utf8Decoder(file);
  const splitter = layout === "lines" ? new JsonLineSplitter() : new JsonSplitter();
  const keys = new Map<string, number>();
  let sawBytes = false;
  let items = 0;

  function* journal(item: JsonItem): Generator<SourceEvent> {
    items++;
    let value: ReturnType<typeof parseJson>;
    try {
      value = parseJson(item.text, item);
    } catch (error) {
      if (!(error instanceof JsonParseError)) throw error;
      yield { kind: "issue", issue: parseIssue(file, error) };
      return;
    }
    const mapped = journalFromJson(value, file);
    if (!("rows" in mapped)) {
      yield { kind: "issue", issue: mapped };
      return;
    }
    const builder = new JournalBuilder(mapped.rawHeader, mapped.headerAt, mapped.issues, mapped.dropEchoes);
    for (const row of mapped.rows) builder.addLine(row.raw, row.at);
    const read = builder.finish();
    if (read.key !== undefined) {
      const firstLine = keys.get(read.key);
      if (firstLine !== undefined) {
        (read.issues as Issue[]).push(
          issue("JOURNAL_KEY_DUPLICATE", `Journal ${read.key} already appears on line ${firstLine}.`, {
            ...mapped.headerAt.at("key"),
            journalKey: read.key,
          }),
        );
        yield { kind: "journal", read: { ...read, journal: undefined } };
        return;
      }
      keys.set(read.key, item.line);
    }
    yield { kind: "journal", read };
  }

  try {
    for await (const chunk of chunks) {
      if (chunk.length > 0) sawBytes = true;
      for (const item of splitter.push(decoder.push(chunk))) yield* journal(item);
    }
    for (const item of splitter.push(decoder.end())) yield* journal(item);
    for (const item of splitter.end()) yield* journal(item);
  } catch (error) {
    if (error instanceof SourceProblem) {
      yield { kind: "issue", issue: error.issue };
      return;
    }
    if (error instanceof JsonParseError) {
      yield { kind: "issue", issue: parseIssue(file, error) };
      return;
    }
    throw error;
  }
  if (!sawBytes) yield { kind: "issue", issue: issue("FILE_EMPTY", "The file has no content.", { file }) };
  else if (items === 0)
    yield { kind: "issue", issue: issue("FILE_NO_DATA", "The file holds no journal.", { file }) };
}
