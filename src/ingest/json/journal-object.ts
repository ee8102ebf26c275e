/**
 * Turns one parsed JSON value into the raw journal fields the core parses, checking JSON types on
 * the way: amounts must be strings, unknown properties are refused (no mass assignment).
 */

import type { JsonValue, Position } from "../../common/json.js";
import type { ErrorCode } from "../../core/errors/codes.js";
import { type Issue, issue, type SourceLocation } from "../../core/errors/issue.js";
import type { Locator, RawHeader, RawLine } from "../../core/fields.js";
import { HEADER_FIELDS, type HeaderField, LINE_FIELDS, type LineField } from "../../core/journal.js";

const HEADER_PROPERTIES: ReadonlySet<string> = new Set([...HEADER_FIELDS, "lines"]);
const LINE_PROPERTIES: ReadonlySet<string> = new Set([...LINE_FIELDS, "dimensions"]);
const AMOUNT_PROPERTIES = new Set(["debit", "credit", "exchangeRate"]);

/** Locates model fields by the JSON path and position they were read from. */
class JsonLocator implements Locator {
  readonly positions = new Map<string, Position>();
  /** Fields whose JSON type was already reported, so the core does not also call them missing. */
  readonly reported = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly prefix: string,
    private readonly fallback: Position,
  ) {}

  at(field: string): SourceLocation {
    const position = this.positions.get(field) ?? this.fallback;
    return { file: this.file, line: position.line, column: position.column, field: `${this.prefix}${field}` };
  }
}

export interface JsonJournal {
  readonly rawHeader: RawHeader;
  readonly headerAt: Locator;
  readonly rows: Array<{ raw: RawLine; at: Locator }>;
  /** Type problems, found before the core sees the fields. */
  readonly issues: Issue[];
  /** Removes issues the core raised about a field whose JSON type was already reported. */
  readonly dropEchoes: (issues: Issue[]) => Issue[];
}

export function journalFromJson(value: JsonValue, file: string): JsonJournal | Issue {
  if (value.kind !== "object") {
    return issue("JSON_NOT_A_JOURNAL", `Found a JSON ${value.kind} where a journal object was expected.`, {
      file,
      line: value.line,
      column: value.column,
    });
  }
  const issues: Issue[] = [];
  const headerAt = new JsonLocator(file, "", value);
  const locators: JsonLocator[] = [headerAt];
  const fail = (at: JsonLocator, field: string, code: ErrorCode, detail: string) => {
    at.reported.add(`${field}`);
    issues.push(issue(code, detail, at.at(field)));
  };

  const rawHeader: RawHeader = {};
  const rows: Array<{ raw: RawLine; at: Locator }> = [];
  for (const [name, child] of value.entries) {
    headerAt.positions.set(name, child);
    if (!HEADER_PROPERTIES.has(name)) {
      fail(
        headerAt,
        name,
        "FIELD_UNKNOWN",
        `The journal property ${JSON.stringify(name)} is not a known field.`,
      );
      continue;
    }
    if (name === "lines") {
      if (child.kind !== "array") {
        fail(
          headerAt,
          name,
          "JSON_WRONG_TYPE",
          `"lines" is a JSON ${child.kind}; it must be an array of lines.`,
        );
        continue;
      }
      child.items.forEach((item, index) => {
        const at = new JsonLocator(file, `lines[${index}].`, item);
        locators.push(at);
        rows.push({ raw: lineFromJson(item, at, fail), at });
      });
      continue;
    }
    const text = stringValue(child);
    if (text === WRONG_TYPE) {
      fail(headerAt, name, "JSON_WRONG_TYPE", `"${name}" is a JSON ${child.kind}; it must be a string.`);
    } else if (text !== undefined) {
      rawHeader[name as HeaderField] = text;
    }
  }
  const dropEchoes = (found: Issue[]) =>
    found.filter(
      (problem) => !locators.some((at) => problem.field !== undefined && isEcho(at, problem.field)),
    );
  return { rawHeader, headerAt, rows, issues, dropEchoes };
}

function isEcho(at: JsonLocator, path: string): boolean {
  for (const field of at.reported) if (at.at(field).field === path) return true;
  return false;
}

const WRONG_TYPE = Symbol("wrong type");

function stringValue(value: JsonValue): string | undefined | typeof WRONG_TYPE {
  if (value.kind === "string") return value.value;
  if (value.kind === "null") return undefined;
  return WRONG_TYPE;
}

function lineFromJson(
  value: JsonValue,
  at: JsonLocator,
  fail: (at: JsonLocator, field: string, code: ErrorCode, detail: string) => void,
): RawLine {
  const raw: RawLine = {};
  if (value.kind !== "object") {
    fail(at, "", "JSON_WRONG_TYPE", `A line is a JSON ${value.kind}; it must be an object.`);
    for (const field of ["transDate", "account", "currency", "debit"]) at.reported.add(field);
    return raw;
  }
  for (const [name, child] of value.entries) {
    at.positions.set(name, child);
    if (!LINE_PROPERTIES.has(name)) {
      fail(at, name, "FIELD_UNKNOWN", `The line property ${JSON.stringify(name)} is not a known field.`);
      continue;
    }
    if (name === "dimensions") {
      raw.dimensions = dimensionsFromJson(child, at, fail);
      continue;
    }
    if (child.kind === "number" && AMOUNT_PROPERTIES.has(name)) {
      fail(at, name, "JSON_NUMBER_AMOUNT", `"${name}" is the JSON number ${child.raw}.`);
      // The digits are still checked as an amount, so the voucher's balance is reported too.
      raw[name as LineField] = child.raw;
      at.reported.delete(name);
      continue;
    }
    if (child.kind === "number" && name === "lineNumber") {
      raw.lineNumber = child.raw;
      continue;
    }
    const text = stringValue(child);
    if (text === WRONG_TYPE) {
      fail(at, name, "JSON_WRONG_TYPE", `"${name}" is a JSON ${child.kind}; it must be a string.`);
    } else if (text !== undefined) {
      raw[name as LineField] = text;
    }
  }
  return raw;
}

function dimensionsFromJson(
  value: JsonValue,
  at: JsonLocator,
  fail: (at: JsonLocator, field: string, code: ErrorCode, detail: string) => void,
): Record<string, string> | undefined {
  if (value.kind === "null") return undefined;
  if (value.kind !== "object") {
    fail(at, "dimensions", "JSON_WRONG_TYPE", `"dimensions" is a JSON ${value.kind}; it must be an object.`);
    return undefined;
  }
  const dimensions: Record<string, string> = {};
  for (const [name, child] of value.entries) {
    const field = `dimensions.${name}`;
    at.positions.set(field, child);
    const text = stringValue(child);
    if (text === WRONG_TYPE) {
      fail(at, field, "JSON_WRONG_TYPE", `Dimension "${name}" is a JSON ${child.kind}; it must be a string.`);
    } else if (text !== undefined) {
      dimensions[name] = text;
    }
  }
  return dimensions;
}
