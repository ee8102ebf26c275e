/** Opens a journal file and picks its reader from the file name. */
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { InputError } from "../core/errors/bridge-error.js";
import type { SourceEvent } from "./assemble.js";
import { readCsv } from "./csv/read.js";
import { readJson } from "./json/read.js";
import type { TableOptions } from "./table/options.js";
import { readXlsx } from "./xlsx/read.js";

export type SourceFormat = "csv" | "xlsx" | "json" | "ndjson";

/** How a file is read: the table options (CSV and Excel; JSON has its own names). */
export type ReadOptions = TableOptions;

const FORMATS: Record<string, SourceFormat> = {
  ".csv": "csv",
  ".tsv": "csv",
  ".txt": "csv",
  ".xlsx": "xlsx",
  ".json": "json",
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
};

function reader(
  format: Exclude<SourceFormat, "xlsx">,
  name: string,
  chunks: AsyncIterable<Buffer>,
  options: ReadOptions,
): AsyncGenerator<SourceEvent> {
  if (format === "csv") return readCsv(name, chunks, options);
  return readJson(name, chunks, format === "ndjson" ? "lines" : "document");
}

export function formatOf(path: string): SourceFormat {
  const format = FORMATS[extname(path).toLowerCase()];
  if (format === undefined) {
    throw new InputError("FILE_UNKNOWN_FORMAT", `Cannot tell the format of ${path} from its name.`);
  }
  return format;
}

/** Reads bigger chunks than the default 64 KiB: fewer string joins in the tokenizers. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Streams the journals and problems of one file. Throws InputError before yielding anything when
 * the file cannot be opened; content problems are yielded as issues.
 */
export async function openJournalFile(
  path: string,
  options: ReadOptions = {},
): Promise<AsyncGenerator<SourceEvent>> {
  const format = formatOf(path);
  try {
    const handle = await open(path, "r");
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      throw new InputError("FILE_UNREADABLE", `${path} is a directory, not a file.`);
    }
    // A workbook is a zip, read by random access from the file; the others stream.
    if (format === "xlsx") {
      await handle.close();
      return readXlsx(path, { path }, options);
    }
    const stream = handle.createReadStream({ highWaterMark: CHUNK_BYTES });
    return reader(format, path, stream, options);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new InputError("FILE_UNREADABLE", `Cannot read ${path} (${reason}).`, { cause: error });
  }
}

/** The journals of a source given as text (HTTP uploads, tests). */
export function readJournalText(
  name: string,
  text: string | Buffer,
  options: ReadOptions = {},
): AsyncGenerator<SourceEvent> {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const format = formatOf(name);
  if (format === "xlsx") return readXlsx(name, { bytes }, options);
  const chunks = (async function* () {
    if (bytes.length > 0) yield bytes;
  })();
  return reader(format, name, chunks, options);
}
