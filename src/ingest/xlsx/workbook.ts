/**
 * The parts of an Excel workbook (.xlsx: a zip of XML parts) that reading a sheet needs: the sheet
 * names and where each sheet's part is, the shared strings, which cell styles are dates, and the
 * 1900/1904 date system. The sheet itself is streamed by sheet.ts; everything here is small.
 */
import type { Readable } from "node:stream";
import { SaxesParser, type SaxesTagPlain } from "saxes";
import type { Entry, ZipFile } from "yauzl";
import yauzl from "yauzl";

export class WorkbookError extends Error {}

export interface Workbook {
  readonly zip: ZipFile;
  readonly entries: ReadonlyMap<string, Entry>;
  /** Sheets in workbook order: name and zip path of the sheet part. */
  readonly sheets: ReadonlyArray<{ readonly name: string; readonly path: string }>;
  readonly sharedStrings: readonly string[];
  /** Per cell style index: whether the number format shows a date. */
  readonly dateStyles: ReadonlySet<number>;
  readonly date1904: boolean;
}

export async function openWorkbook(source: { path: string } | { bytes: Buffer }): Promise<Workbook> {
  let zip: ZipFile;
  try {
    zip =
      "path" in source
        ? await yauzl.openPromise(source.path, { lazyEntries: true, autoClose: false })
        : await yauzl.fromBufferPromise(source.bytes, { lazyEntries: true });
  } catch (error) {
    throw new WorkbookError(`it is not a zip archive (${(error as Error).message})`);
  }
  const entries = new Map<string, Entry>();
  for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
  const workbookPath = "xl/workbook.xml";
  if (!entries.has(workbookPath)) throw new WorkbookError("it has no xl/workbook.xml part");
  const relations = new Map<string, string>();
  await parsePart(zip, entries, "xl/_rels/workbook.xml.rels", (tag) => {
    if (tag.name === "Relationship") relations.set(String(tag.attributes.Id), String(tag.attributes.Target));
  });
  const sheets: Array<{ name: string; path: string }> = [];
  let date1904 = false;
  await parsePart(zip, entries, workbookPath, (tag) => {
    if (tag.name === "workbookPr") date1904 = /^(1|true)$/i.test(String(tag.attributes.date1904 ?? ""));
    if (tag.name === "sheet") {
      const target = relations.get(String(tag.attributes["r:id"] ?? ""));
      if (target === undefined) return;
      const path = target.startsWith("/") ? target.slice(1) : `xl/${target}`;
      sheets.push({ name: String(tag.attributes.name), path });
    }
  });
  return {
    zip,
    entries,
    sheets,
    sharedStrings: await readSharedStrings(zip, entries),
    dateStyles: await readDateStyles(zip, entries),
    date1904,
  };
}

export async function openPart(zip: ZipFile, entry: Entry): Promise<Readable> {
  return zip.openReadStreamPromise(entry);
}

/** Streams one XML part through a SAX parser; a part the workbook lacks is skipped. */
async function parsePart(
  zip: ZipFile,
  entries: ReadonlyMap<string, Entry>,
  path: string,
  onOpen: (tag: SaxesTagPlain) => void,
  onText?: (text: string) => void,
  onClose?: (tag: SaxesTagPlain) => void,
): Promise<void> {
  const entry = entries.get(path);
  if (entry === undefined) return;
  const parser = new SaxesParser();
  parser.on("opentag", (tag) => onOpen(localName(tag)));
  if (onText) parser.on("text", onText);
  if (onClose) parser.on("closetag", (tag) => onClose(localName(tag)));
  const decoder = new TextDecoder("utf-8");
  try {
    for await (const chunk of await openPart(zip, entry))
      parser.write(decoder.decode(chunk as Buffer, { stream: true }));
    parser.write(decoder.decode()).close();
  } catch (error) {
    throw new WorkbookError(`its part ${path} cannot be read (${(error as Error).message})`);
  }
}

/** Tag names without a namespace prefix (`x:row` in some writers). */
export function localName(tag: SaxesTagPlain): SaxesTagPlain {
  const colon = tag.name.indexOf(":");
  return colon < 0 ? tag : ({ ...tag, name: tag.name.slice(colon + 1) } as SaxesTagPlain);
}

async function readSharedStrings(zip: ZipFile, entries: ReadonlyMap<string, Entry>): Promise<string[]> {
  const strings: string[] = [];
  let current: string | undefined;
  let inText = false;
  // Phonetic runs (<rPh>) are reading aids, not the cell's text.
  let inPhonetic = false;
  await parsePart(
    zip,
    entries,
    "xl/sharedStrings.xml",
    (tag) => {
      if (tag.name === "si") current = "";
      else if (tag.name === "rPh") inPhonetic = true;
      else if (tag.name === "t" && !inPhonetic) inText = true;
    },
    (text) => {
      if (inText && current !== undefined) current += text;
    },
    (tag) => {
      if (tag.name === "t") inText = false;
      else if (tag.name === "rPh") inPhonetic = false;
      else if (tag.name === "si") {
        strings.push(current ?? "");
        current = undefined;
      }
    },
  );
  return strings;
}

/** Excel's built-in number formats that show dates (ECMA-376 part 1, 18.8.30). */
const BUILTIN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54,
  55, 56, 57, 58,
]);

/** Whether a custom format code shows a date or a time: d, m, y, h or s outside quotes and brackets. */
export function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(/\\./g, "")
    .replace(/_.|\*./g, "");
  return /[dmyhs]/i.test(bare) && !/^[#0.,%\s]*$/.test(bare);
}

async function readDateStyles(zip: ZipFile, entries: ReadonlyMap<string, Entry>): Promise<Set<number>> {
  const customDates = new Set<number>();
  const dateStyles = new Set<number>();
  let inCellXfs = false;
  let index = 0;
  await parsePart(
    zip,
    entries,
    "xl/styles.xml",
    (tag) => {
      if (tag.name === "numFmt" && isDateFormat(String(tag.attributes.formatCode ?? "")))
        customDates.add(Number(tag.attributes.numFmtId));
      else if (tag.name === "cellXfs") inCellXfs = true;
      else if (tag.name === "xf" && inCellXfs) {
        const format = Number(tag.attributes.numFmtId ?? 0);
        if (BUILTIN_DATE_FORMATS.has(format) || customDates.has(format)) dateStyles.add(index);
        index++;
      }
    },
    undefined,
    (tag) => {
      if (tag.name === "cellXfs") inCellXfs = false;
    },
  );
  return dateStyles;
}
