/**
 * Strict, lossless JSON for money: a parser that keeps every number as its source text (so no amount
 * passes through a float), records where each value starts, and refuses duplicate property names,
 * prototype-polluting names and deep nesting; and a writer that puts exact decimals on the wire as
 * JSON numbers. Shared infrastructure: the journal readers and the F&O client speak JSON through this
 * file. The emulator has its own (src/emulator/json.ts), so the two cannot share a bug.
 */

export interface Position {
  readonly line: number;
  readonly column: number;
}

export type JsonValue =
  | ({ readonly kind: "string"; readonly value: string } & Position)
  | ({ readonly kind: "number"; readonly raw: string } & Position)
  | ({ readonly kind: "boolean"; readonly value: boolean } & Position)
  | ({ readonly kind: "null" } & Position)
  | ({ readonly kind: "array"; readonly items: JsonValue[] } & Position)
  | ({ readonly kind: "object"; readonly entries: Map<string, JsonValue> } & Position);

export type JsonErrorCode = "JSON_SYNTAX" | "JSON_DUPLICATE_KEY" | "JSON_FORBIDDEN_KEY" | "JSON_TOO_DEEP";

export class JsonParseError extends Error {
  constructor(
    readonly code: JsonErrorCode,
    readonly detail: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${detail} (line ${line}, column ${column})`);
  }
}

export const MAX_DEPTH = 16;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Parses one JSON value that starts at `start` (line and column of its first character in the
 * file), so positions in errors and values are positions in the file.
 */
export function parseJson(text: string, start: Position = { line: 1, column: 1 }): JsonValue {
  return new Parser(text, start).document();
}

class Parser {
  private pos = 0;
  private line: number;
  /** Index in `text` of the current line's first character (negative on the first line to add the offset). */
  private lineStart: number;

  constructor(
    private readonly text: string,
    start: Position,
  ) {
    this.line = start.line;
    this.lineStart = 1 - start.column;
  }

  document(): JsonValue {
    this.space();
    const value = this.value(0);
    this.space();
    if (this.pos < this.text.length) this.fail("JSON_SYNTAX", "Unexpected text after the JSON value.");
    return value;
  }

  private here(): Position {
    return { line: this.line, column: this.pos - this.lineStart + 1 };
  }

  private fail(code: JsonErrorCode, detail: string, at: Position = this.here()): never {
    throw new JsonParseError(code, detail, at.line, at.column);
  }

  private space(): void {
    const text = this.text;
    for (;;) {
      const c = text.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 13) this.pos++;
      else if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else return;
    }
  }

  private value(depth: number): JsonValue {
    const at = this.here();
    const c = this.text[this.pos];
    switch (c) {
      case "{":
        return this.object(depth, at);
      case "[":
        return this.array(depth, at);
      case '"':
        return { kind: "string", value: this.string(), ...at };
      case "t":
        return this.literal("true", { kind: "boolean", value: true, ...at });
      case "f":
        return this.literal("false", { kind: "boolean", value: false, ...at });
      case "n":
        return this.literal("null", { kind: "null", ...at });
      case undefined:
        return this.fail("JSON_SYNTAX", "The JSON ends where a value was expected.");
      default: {
        NUMBER.lastIndex = this.pos;
        const match = NUMBER.exec(this.text);
        if (match === null) return this.fail("JSON_SYNTAX", `Unexpected character ${JSON.stringify(c)}.`);
        this.pos += match[0].length;
        return { kind: "number", raw: match[0], ...at };
      }
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos))
      this.fail("JSON_SYNTAX", "Unexpected word; expected a JSON value.");
    this.pos += word.length;
    return value;
  }

  private object(depth: number, at: Position): JsonValue {
    if (depth >= MAX_DEPTH) this.fail("JSON_TOO_DEEP", `The JSON nests deeper than ${MAX_DEPTH} levels.`);
    this.pos++;
    const entries = new Map<string, JsonValue>();
    this.space();
    if (this.text[this.pos] === "}") {
      this.pos++;
      return { kind: "object", entries, ...at };
    }
    for (;;) {
      this.space();
      const keyAt = this.here();
      if (this.text[this.pos] !== '"') this.fail("JSON_SYNTAX", "Expected a property name in double quotes.");
      const key = this.string();
      if (FORBIDDEN_KEYS.has(key))
        this.fail("JSON_FORBIDDEN_KEY", `The property name ${JSON.stringify(key)} is refused.`, keyAt);
      if (entries.has(key))
        this.fail("JSON_DUPLICATE_KEY", `The property ${JSON.stringify(key)} appears twice.`, keyAt);
      this.space();
      if (this.text[this.pos] !== ":") this.fail("JSON_SYNTAX", "Expected ':' after the property name.");
      this.pos++;
      this.space();
      entries.set(key, this.value(depth + 1));
      this.space();
      const next = this.text[this.pos];
      this.pos++;
      if (next === "}") return { kind: "object", entries, ...at };
      if (next !== ",") {
        this.pos--;
        this.fail("JSON_SYNTAX", "Expected ',' or '}' after a property.");
      }
    }
  }

  private array(depth: number, at: Position): JsonValue {
    if (depth >= MAX_DEPTH) this.fail("JSON_TOO_DEEP", `The JSON nests deeper than ${MAX_DEPTH} levels.`);
    this.pos++;
    const items: JsonValue[] = [];
    this.space();
    if (this.text[this.pos] === "]") {
      this.pos++;
      return { kind: "array", items, ...at };
    }
    for (;;) {
      this.space();
      items.push(this.value(depth + 1));
      this.space();
      const next = this.text[this.pos];
      this.pos++;
      if (next === "]") return { kind: "array", items, ...at };
      if (next !== ",") {
        this.pos--;
        this.fail("JSON_SYNTAX", "Expected ',' or ']' after an array item.");
      }
    }
  }

  private string(): string {
    const text = this.text;
    let pos = this.pos + 1;
    let out = "";
    let segment = pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (Number.isNaN(c)) {
        this.pos = pos;
        this.fail("JSON_SYNTAX", "A string is not closed.");
      }
      if (c === 34) {
        out += text.slice(segment, pos);
        this.pos = pos + 1;
        return out;
      }
      if (c < 0x20) {
        this.pos = pos;
        this.fail("JSON_SYNTAX", "A string contains a raw control character; escape it (e.g. \\n).");
      }
      if (c === 92) {
        out += text.slice(segment, pos);
        const e = text[pos + 1];
        const simple = e === undefined ? undefined : ESCAPES[e];
        if (simple !== undefined) {
          out += simple;
          pos += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(pos + 2, pos + 6), 16));
          pos += 6;
        } else {
          this.pos = pos;
          this.fail("JSON_SYNTAX", "A string contains an invalid escape.");
        }
        segment = pos;
        continue;
      }
      pos++;
    }
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** The value of a parsed document as plain data: objects without prototype, numbers as their text. */
export type PlainJson = string | boolean | null | JsonNumberText | PlainJson[] | { [key: string]: PlainJson };

/** A JSON number kept exactly as written. */
export class JsonNumberText {
  constructor(readonly raw: string) {}
  toString(): string {
    return this.raw;
  }
}

export function toPlain(value: JsonValue): PlainJson {
  switch (value.kind) {
    case "string":
    case "boolean":
      return value.value;
    case "null":
      return null;
    case "number":
      return new JsonNumberText(value.raw);
    case "array":
      return value.items.map(toPlain);
    case "object": {
      const out: { [key: string]: PlainJson } = Object.create(null);
      for (const [key, item] of value.entries) out[key] = toPlain(item);
      return out;
    }
  }
}

/** Something that writes itself as an exact decimal (big.js values do: `toFixed()`). */
export interface ExactDecimal {
  toFixed(): string;
}

const DECIMAL_MARK = "\u0000dec:";

/**
 * JSON.stringify, except that exact decimals (big.js values, JsonNumberText) are written as JSON
 * numbers with every digit, or as strings when `decimalsAsStrings` is set (OData's IEEE754Compatible).
 */
export function stringifyJson(
  value: unknown,
  options: { decimalsAsStrings?: boolean; isDecimal?: (v: unknown) => v is ExactDecimal } = {},
): string {
  const isDecimal = options.isDecimal;
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, item: unknown) {
    const original = key === "" ? item : this[key];
    if (original instanceof JsonNumberText)
      return options.decimalsAsStrings ? original.raw : `${DECIMAL_MARK}${original.raw}`;
    if (isDecimal?.(original)) {
      const digits = original.toFixed();
      return options.decimalsAsStrings ? digits : `${DECIMAL_MARK}${digits}`;
    }
    return item;
  });
  return options.decimalsAsStrings ? text : text.replace(/"\\u0000dec:(-?[0-9.]+)"/g, "$1");
}
