/**
 * Splits a JSON file into its journals while streaming: the items of a top-level array, or a
 * sequence of top-level values (NDJSON). Each item is handed to the strict parser with its position,
 * so a million-line file never sits in memory whole.
 */
import { JsonParseError, type Position } from "../../common/json.js";

export interface JsonItem extends Position {
  readonly text: string;
}

type Mode = "start" | "array" | "sequence" | "done";

export class JsonSplitter {
  private buffer = "";
  private scan = 0;
  private line = 1;
  private column = 1;
  private mode: Mode = "start";
  /** Index in buffer where the current item starts, or -1 between items. */
  private itemStart = -1;
  private itemAt: Position = { line: 1, column: 1 };
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Array mode: an item was just read, so ',' or ']' must come next. */
  private needSeparator = false;
  /** Array mode: a ',' was read, so an item must come next. */
  private needItem = false;

  push(text: string): JsonItem[] {
    this.buffer += text;
    const items: JsonItem[] = [];
    this.run(items);
    this.compact();
    return items;
  }

  end(): JsonItem[] {
    const items: JsonItem[] = [];
    if (this.itemStart >= 0) {
      // A scalar at the very end, or an unterminated value: the parser names what is wrong.
      items.push({ text: this.buffer.slice(this.itemStart), ...this.itemAt });
      this.itemStart = -1;
    } else if (this.mode === "array") {
      this.fail("The top-level array is not closed with ']'.");
    }
    return items;
  }

  private fail(detail: string): never {
    throw new JsonParseError("JSON_SYNTAX", detail, this.line, this.column);
  }

  private run(items: JsonItem[]): void {
    const s = this.buffer;
    while (this.scan < s.length) {
      const ch = s[this.scan] as string;
      if (this.itemStart >= 0) {
        if (this.inItem(ch, items)) continue;
      } else if (!isSpace(ch)) {
        this.between(ch);
      }
      this.advance(ch);
    }
  }

  /** Returns true when `ch` ended a scalar item and must be looked at again as a separator. */
  private inItem(ch: string, items: JsonItem[]): boolean {
    if (this.inString) {
      if (this.escape) this.escape = false;
      else if (ch === "\\") this.escape = true;
      else if (ch === '"') this.inString = false;
      return false;
    }
    if (ch === '"') {
      this.inString = true;
    } else if (ch === "{" || ch === "[") {
      this.depth++;
    } else if (ch === "}" || ch === "]") {
      if (this.depth === 0) return this.endScalar(items);
      this.depth--;
      if (this.depth === 0) this.emit(items, this.scan + 1);
    } else if (this.depth === 0 && (ch === "," || isSpace(ch))) {
      return this.endScalar(items);
    }
    return false;
  }

  private endScalar(items: JsonItem[]): boolean {
    this.emit(items, this.scan);
    return true;
  }

  private emit(items: JsonItem[], end: number): void {
    items.push({ text: this.buffer.slice(this.itemStart, end), ...this.itemAt });
    this.itemStart = -1;
    if (this.mode === "array") this.needSeparator = true;
  }

  private between(ch: string): void {
    if (this.mode === "start") {
      if (ch === "[") {
        this.mode = "array";
        return;
      }
      this.mode = "sequence";
    }
    if (this.mode === "done") this.fail("Unexpected text after the end of the top-level array.");
    if (this.mode === "array") {
      if (ch === "]") {
        if (this.needItem) this.fail("A ',' before ']' leaves an empty array item.");
        this.mode = "done";
        return;
      }
      if (ch === ",") {
        if (!this.needSeparator) this.fail("Unexpected ','; an array item is missing.");
        this.needSeparator = false;
        this.needItem = true;
        return;
      }
      if (this.needSeparator) this.fail("Expected ',' or ']' between array items.");
      this.needItem = false;
    }
    this.startItem(ch);
  }

  private startItem(ch: string): void {
    this.itemStart = this.scan;
    this.itemAt = { line: this.line, column: this.column };
    this.depth = 0;
    if (ch === '"') this.inString = true;
    else if (ch === "{" || ch === "[") this.depth = 1;
  }

  private advance(ch: string): void {
    this.scan++;
    if (ch === "\n") {
      this.line++;
      this.column = 1;
    } else {
      this.column++;
    }
  }

  /** Drops text already handed out, keeping the item in progress. */
  private compact(): void {
    const keepFrom = this.itemStart >= 0 ? this.itemStart : this.scan;
    if (keepFrom === 0) return;
    this.buffer = this.buffer.slice(keepFrom);
    this.scan -= keepFrom;
    if (this.itemStart >= 0) this.itemStart = 0;
  }
}

function isSpace(ch: string): boolean {
  return ch === " " || ch === "\n" || ch === "\r" || ch === "\t";
}

/**
 * NDJSON: one journal per line, whatever the line holds, so a broken line costs that line only and
 * never swallows the lines after it.
 */
export class JsonLineSplitter {
  private buffer = "";
  private line = 1;

  push(text: string): JsonItem[] {
    this.buffer += text;
    const items: JsonItem[] = [];
    let start = 0;
    for (let lf = this.buffer.indexOf("\n"); lf >= 0; lf = this.buffer.indexOf("\n", start)) {
      this.item(this.buffer.slice(start, lf), items);
      start = lf + 1;
    }
    this.buffer = this.buffer.slice(start);
    return items;
  }

  end(): JsonItem[] {
    const items: JsonItem[] = [];
    this.item(this.buffer, items);
    this.buffer = "";
    return items;
  }

  private item(text: string, items: JsonItem[]): void {
    const line = this.line++;
    if (text.trim() !== "") items.push({ text, line, column: 1 });
  }
}
