/**
 * Reads journals from an Excel workbook (.xlsx): one sheet (the first, or `--sheet NAME`) streamed
 * row by row into the table reader, as a CSV file is. Cells become the text the field rules read:
 * text as text; numbers from the cell's stored digits — rounded to the 15 significant digits Excel
 * shows, which drops binary noise such as 0.30000000000000004 — never through a JavaScript number;
 * date cells from their serial (1900 or 1904 system) as YYYY-MM-DD; a formula by its cached value.
 * Every problem is located by sheet and cell (`Sheet1!F12`).
 */
import Big from "big.js";
import { SaxesParser } from "saxes";
import { type Issue, issue, type SourceLocation } from "../../core/errors/issue.js";
import type { SourceEvent } from "../assemble.js";
import type { TableOptions } from "../table/options.js";
import { HeaderProblem, TableJournalReader } from "../table/reader.js";
import { localName, openPart, openWorkbook, type Workbook, WorkbookError } from "./workbook.js";

/** A column's letters from its 0-based index (0 → A, 26 → AA). */
export function columnLetters(index: number): string {
  let letters = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26))
    letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** A column's 0-based index from a cell reference's letters (`F12` → 5). */
function columnIndex(reference: string): number {
  const letters = /^[A-Z]+/.exec(reference)?.[0] ?? "";
  let index = 0;
  for (const letter of letters) index = index * 26 + (letter.charCodeAt(0) - 64);
  return index - 1;
}

/** A cell's value as text, or the problem that keeps it from having one. */
type CellValue = { readonly text: string } | { readonly code: Issue["code"]; readonly detail: string };

interface RawCell {
  type: string;
  style: number;
  value: string | undefined;
  inline: string;
  formula: boolean;
}

const DAY_MS = 86_400_000;

/** The number Excel shows: the stored digits rounded to 15 significant digits, as plain decimal text. */
export function excelNumber(stored: string): string | undefined {
  let value: Big.Big;
  try {
    value = new Big(stored.trim());
  } catch {
    return undefined;
  }
  return value.eq(0) ? "0" : value.prec(15).toFixed();
}

/** A date serial as YYYY-MM-DD; undefined when the serial carries a time of day. */
export function excelDate(serial: string, date1904: boolean): string | undefined {
  const value = excelNumber(serial);
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  let days = Number(value);
  // The 1900 system counts a 29 February 1900 that never was (serial 60): days after it are one off.
  const epoch = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, 31);
  if (!date1904 && days >= 60) days -= 1;
  return new Date(epoch + days * DAY_MS).toISOString().slice(0, 10);
}

function cellValue(cell: RawCell, book: Workbook): CellValue {
  const value = cell.value;
  switch (cell.type) {
    case "s": {
      const text = value === undefined ? undefined : book.sharedStrings[Number(value)];
      return text === undefined
        ? { code: "XLSX_UNREADABLE", detail: "The cell names a shared string that does not exist." }
        : { text };
    }
    case "inlineStr":
      return { text: cell.inline };
    case "str":
      return value === undefined && cell.formula ? noCachedValue() : { text: value ?? "" };
    case "b":
      return { text: value === "1" ? "TRUE" : "FALSE" };
    case "e":
      return { code: "XLSX_ERROR_CELL", detail: `The cell holds the error ${value ?? "(unknown)"}.` };
    case "d": {
      const date = /^(\d{4}-\d{2}-\d{2})(T00:00(:00(\.0+)?)?Z?)?$/.exec(value ?? "");
      return date
        ? { text: date[1] as string }
        : { code: "XLSX_DATE_WITH_TIME", detail: `The cell holds ${value}.` };
    }
    default: {
      if (value === undefined) return cell.formula ? noCachedValue() : { text: "" };
      if (book.dateStyles.has(cell.style)) {
        const date = excelDate(value, book.date1904);
        return date === undefined
          ? { code: "XLSX_DATE_WITH_TIME", detail: `The date cell's serial ${value} carries a time of day.` }
          : { text: date };
      }
      const text = excelNumber(value);
      return text === undefined
        ? { code: "XLSX_UNREADABLE", detail: `The number cell holds ${JSON.stringify(value)}.` }
        : { text };
    }
  }
}

const noCachedValue = (): CellValue => ({
  code: "XLSX_FORMULA_NO_VALUE",
  detail: "The formula has no calculated value saved with it.",
});

/** One sheet's rows, as cells in column order and the problems of cells that have no value. */
interface SheetRow {
  readonly line: number;
  readonly cells: string[];
  readonly problems: Array<{ readonly index: number; readonly code: Issue["code"]; readonly detail: string }>;
}

async function* sheetRows(book: Workbook, path: string): AsyncGenerator<SheetRow> {
  const entry = book.entries.get(path);
  if (entry === undefined) throw new WorkbookError(`its sheet part ${path} is missing`);
  const parser = new SaxesParser();
  const ready: SheetRow[] = [];
  let row: SheetRow | undefined;
  let nextLine = 1;
  let cell: RawCell | undefined;
  let cellIndex = 0;
  let nextIndex = 0;
  let inValue = false;
  let inInline = false;
  let inPhonetic = false;
  parser.on("opentag", (raw) => {
    const tag = localName(raw);
    switch (tag.name) {
      case "row": {
        const number = Number(tag.attributes.r ?? nextLine);
        row = { line: number, cells: [], problems: [] };
        nextLine = number + 1;
        nextIndex = 0;
        break;
      }
      case "c": {
        const reference = String(tag.attributes.r ?? "");
        cellIndex = reference === "" ? nextIndex : columnIndex(reference);
        nextIndex = cellIndex + 1;
        cell = {
          type: String(tag.attributes.t ?? "n"),
          style: Number(tag.attributes.s ?? 0),
          value: undefined,
          inline: "",
          formula: false,
        };
        break;
      }
      case "v":
        inValue = true;
        if (cell) cell.value = "";
        break;
      case "f":
        if (cell) cell.formula = true;
        break;
      case "is":
        inInline = true;
        break;
      case "rPh":
        inPhonetic = true;
        break;
    }
  });
  parser.on("text", (text) => {
    if (cell === undefined) return;
    if (inValue) cell.value = (cell.value ?? "") + text;
    else if (inInline && !inPhonetic) cell.inline += text;
  });
  parser.on("closetag", (raw) => {
    const tag = localName(raw);
    switch (tag.name) {
      case "v":
        inValue = false;
        break;
      case "is":
        inInline = false;
        break;
      case "rPh":
        inPhonetic = false;
        break;
      case "c":
        if (cell !== undefined && row !== undefined) {
          const value = cellValue(cell, book);
          while (row.cells.length < cellIndex) row.cells.push("");
          if ("text" in value) row.cells[cellIndex] = value.text;
          else {
            row.cells[cellIndex] = "";
            row.problems.push({ index: cellIndex, code: value.code, detail: value.detail });
          }
        }
        cell = undefined;
        break;
      case "row":
        if (row !== undefined) ready.push(row);
        row = undefined;
        break;
    }
  });
  const decoder = new TextDecoder("utf-8");
  try {
    for await (const chunk of await openPart(book.zip, entry)) {
      parser.write(decoder.decode(chunk as Buffer, { stream: true }));
      yield* ready.splice(0);
    }
    parser.write(decoder.decode()).close();
  } catch (error) {
    throw new WorkbookError(`its sheet part ${path} cannot be read (${(error as Error).message})`);
  }
  yield* ready.splice(0);
}

const isBlank = (row: SheetRow) => row.problems.length === 0 && row.cells.every((text) => text.trim() === "");

export async function* readXlsx(
  file: string,
  source: { path: string } | { bytes: Buffer },
  options: TableOptions = {},
): AsyncGenerator<SourceEvent> {
  let book: Workbook;
  try {
    book = await openWorkbook(source);
  } catch (error) {
    if (!(error instanceof WorkbookError)) throw error;
    yield {
      kind: "issue",
      issue: issue("XLSX_UNREADABLE", `${file} cannot be read: ${error.message}.`, { file }),
    };
    return;
  }
  try {
    const sheet =
      options.sheet === undefined ? book.sheets[0] : book.sheets.find((each) => each.name === options.sheet);
    if (sheet === undefined) {
      const names = book.sheets.map((each) => JSON.stringify(each.name)).join(", ");
      yield {
        kind: "issue",
        issue: issue(
          options.sheet === undefined ? "XLSX_UNREADABLE" : "XLSX_SHEET_MISSING",
          options.sheet === undefined
            ? `${file} has no sheets.`
            : `${file} has no sheet ${JSON.stringify(options.sheet)}; its sheets: ${names}.`,
          { file },
        ),
      };
      return;
    }
    const place = (index: number, line: number): SourceLocation => ({
      file,
      sheet: sheet.name,
      cell: `${columnLetters(index)}${line}`,
      line,
      column: index + 1,
    });
    const reader = new TableJournalReader(file, options, place, { file, sheet: sheet.name });
    const out: SourceEvent[] = [];
    let width = -1;
    try {
      for await (const row of sheetRows(book, sheet.path)) {
        if (isBlank(row)) continue;
        if (width < 0) {
          const problem = row.problems[0];
          if (problem !== undefined)
            throw new HeaderProblem(issue(problem.code, problem.detail, place(problem.index, row.line)), []);
          reader.header(row.cells, row.line);
          width = row.cells.length;
          continue;
        }
        const problems = row.problems.map((problem) =>
          issue(problem.code, problem.detail, place(problem.index, row.line)),
        );
        row.cells.forEach((text, index) => {
          if (index >= width && text.trim() !== "")
            problems.push(
              issue(
                "XLSX_CELL_OUTSIDE_HEADER",
                `The cell holds ${JSON.stringify(text)} beyond the header's last column.`,
                place(index, row.line),
              ),
            );
        });
        reader.row(row.cells.slice(0, width), row.line, out, problems);
        yield* out.splice(0);
      }
    } catch (error) {
      if (error instanceof HeaderProblem) {
        yield* out.splice(0);
        yield { kind: "issue", issue: error.issue };
        for (const other of error.others) yield { kind: "issue", issue: other };
        return;
      }
      if (error instanceof WorkbookError) {
        reader.flush(out);
        yield* out.splice(0);
        yield {
          kind: "issue",
          issue: issue("XLSX_UNREADABLE", `${file} cannot be read: ${error.message}.`, {
            file,
            sheet: sheet.name,
          }),
        };
        return;
      }
      throw error;
    }
    reader.flush(out);
    yield* out.splice(0);
    if (width < 0)
      yield {
        kind: "issue",
        issue: issue("FILE_EMPTY", `Sheet ${JSON.stringify(sheet.name)} has no rows.`, {
          file,
          sheet: sheet.name,
        }),
      };
    else if (reader.rows === 0)
      yield {
        kind: "issue",
        issue: issue("FILE_NO_DATA", "The sheet has a header row but no lines.", { file, sheet: sheet.name }),
      };
  } finally {
    book.zip.close();
  }
}
