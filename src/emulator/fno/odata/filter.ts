/**
 * `$filter` as F&O serves it: eq ne gt ge lt le, and or not, parentheses; arithmetic (add sub mul div
 * mod) on numbers, as Microsoft documents F&O supports it; `*` in an `eq` string is a wildcard; `has`,
 * `in`, `contains()`, `startswith()` and `endswith()` are refused with 400 as F&O refuses them. Other
 * functions are "not supported by the emulator" (501).
 */
import Big from "big.js";
import type { Row } from "../../state/model.js";
import { isDecimal } from "../../state/store.js";
import { ENUMS, type EntitySetDef, edmTypeName, type FieldDef, NAMESPACE } from "../entities.js";

export type Literal =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly raw: string }
  | { readonly kind: "boolean"; readonly value: boolean }
  | { readonly kind: "null" }
  | { readonly kind: "datetime"; readonly value: string }
  | { readonly kind: "enum"; readonly enumName: string; readonly member: string };

export type Filter =
  | { readonly type: "and" | "or"; readonly left: Filter; readonly right: Filter }
  | { readonly type: "not"; readonly operand: Filter }
  | { readonly type: "compare"; readonly op: CompareOp; readonly field: FieldDef; readonly literal: Literal }
  | { readonly type: "arithmetic"; readonly op: CompareOp; readonly left: Expr; readonly right: Expr };

/** A value in a comparison: a property, a literal, or arithmetic on numbers. */
export type Expr =
  | { readonly kind: "field"; readonly field: FieldDef }
  | { readonly kind: "literal"; readonly literal: Literal }
  | { readonly kind: "operation"; readonly op: ArithmeticOp; readonly left: Expr; readonly right: Expr };

type ArithmeticOp = "add" | "sub" | "mul" | "div" | "mod";
const ADDITIVE = new Set(["add", "sub"]);
const MULTIPLICATIVE = new Set(["mul", "div", "divby", "mod"]);
const NUMERIC_TYPES = new Set(["Edm.Decimal", "Edm.Int32", "Edm.Int64"]);

type CompareOp = "eq" | "ne" | "gt" | "ge" | "lt" | "le";
const COMPARE = new Set(["eq", "ne", "gt", "ge", "lt", "le"]);
const FLIPPED: Record<CompareOp, CompareOp> = { eq: "eq", ne: "ne", gt: "lt", ge: "le", lt: "gt", le: "ge" };
/** What F&O answers 400 for (documented in MS docs and observed by users). */
const REFUSED_FUNCTIONS = new Set(["contains", "startswith", "endswith"]);

/** A filter the client got wrong (400) or that the emulator does not implement (501). */
export class FilterError extends Error {
  constructor(
    readonly kind: "invalid" | "unsupported",
    message: string,
  ) {
    super(message);
  }
}

type Token =
  | { readonly t: "(" | ")" | "," }
  | { readonly t: "word"; readonly text: string }
  | { readonly t: "literal"; readonly literal: Literal };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === " " || c === "\t") {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ t: c });
      i++;
    } else if (c === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ t: "literal", literal: { kind: "string", value } });
      i = end;
    } else {
      const date = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?/.exec(
        text.slice(i),
      );
      if (date) {
        tokens.push({ t: "literal", literal: { kind: "datetime", value: date[0] } });
        i += date[0].length;
        continue;
      }
      const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?/.exec(text.slice(i));
      if (number) {
        tokens.push({ t: "literal", literal: { kind: "number", raw: number[0].replace(/[mMdDfFlL]$/, "") } });
        i += number[0].length;
        continue;
      }
      const word = /^[A-Za-z_$][A-Za-z0-9_.$]*/.exec(text.slice(i));
      if (!word) throw new FilterError("invalid", `Syntax error at position ${i + 1} in '${text}'.`);
      i += word[0].length;
      if (text[i] === "'") {
        // An enum literal: Microsoft.Dynamics.DataEntities.NoYes'Yes'
        const { value, end } = readString(text, i);
        const dot = word[0].lastIndexOf(".");
        tokens.push({
          t: "literal",
          literal: { kind: "enum", enumName: word[0].slice(dot + 1), member: value },
        });
        i = end;
        continue;
      }
      const lower = word[0].toLowerCase();
      if (lower === "true" || lower === "false")
        tokens.push({ t: "literal", literal: { kind: "boolean", value: lower === "true" } });
      else if (lower === "null") tokens.push({ t: "literal", literal: { kind: "null" } });
      else tokens.push({ t: "word", text: word[0] });
    }
  }
  return tokens;
}

/** Reads a quoted literal starting at `start`; `''` stands for one quote. */
function readString(text: string, start: number): { value: string; end: number } {
  let value = "";
  let i = start + 1;
  for (;;) {
    const quote = text.indexOf("'", i);
    if (quote < 0) throw new FilterError("invalid", `Unterminated string literal at position ${start + 1}.`);
    value += text.slice(i, quote);
    if (text[quote + 1] === "'") {
      value += "'";
      i = quote + 2;
      continue;
    }
    return { value, end: quote + 1 };
  }
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly def: EntitySetDef,
  ) {}

  parse(): Filter {
    const filter = this.or();
    if (this.i < this.tokens.length)
      throw new FilterError("invalid", "Unexpected text at the end of $filter.");
    return filter;
  }

  private peekWord(): string | undefined {
    const token = this.tokens[this.i];
    return token?.t === "word" ? token.text : undefined;
  }

  private or(): Filter {
    let left = this.and();
    while (this.peekWord() === "or") {
      this.i++;
      left = { type: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): Filter {
    let left = this.not();
    while (this.peekWord() === "and") {
      this.i++;
      left = { type: "and", left, right: this.not() };
    }
    return left;
  }

  private not(): Filter {
    if (this.peekWord() === "not") {
      this.i++;
      return { type: "not", operand: this.not() };
    }
    return this.comparison();
  }

  private comparison(): Filter {
    if (this.tokens[this.i]?.t === "(") {
      // A group: of conditions, or of arithmetic when a comparison or an operator follows it.
      const start = this.i;
      try {
        this.i++;
        const inner = this.or();
        if (this.tokens[this.i]?.t !== ")") throw new FilterError("invalid", "A parenthesis is not closed.");
        this.i++;
        const next = this.peekWord();
        if (next === undefined || !(COMPARE.has(next) || ADDITIVE.has(next) || MULTIPLICATIVE.has(next)))
          return inner;
      } catch (error) {
        if (!(error instanceof FilterError)) throw error;
      }
      this.i = start;
    }
    const left = this.additive();
    const op = this.peekWord();
    if (op === "has" || op === "in") {
      throw new FilterError("invalid", `The '${op}' operator is not supported.`);
    }
    if (op === undefined || !COMPARE.has(op))
      throw new FilterError("invalid", "Expected a comparison (eq, ne, gt, ge, lt, le).");
    this.i++;
    const right = this.additive();
    if (left.kind === "field" && right.kind === "literal")
      return this.compare(op as CompareOp, left.field, right.literal);
    if (left.kind === "literal" && right.kind === "field")
      return this.compare(FLIPPED[op as CompareOp], right.field, left.literal);
    if (left.kind === "operation" || right.kind === "operation" || (isNumeric(left) && isNumeric(right)))
      return { type: "arithmetic", op: op as CompareOp, left: numeric(left, op), right: numeric(right, op) };
    throw new FilterError("unsupported", "Comparing two properties, or two literals, in $filter");
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (let op = this.peekWord(); op !== undefined && ADDITIVE.has(op); op = this.peekWord()) {
      this.i++;
      left = operation(op, left, this.multiplicative());
    }
    return left;
  }

  private multiplicative(): Expr {
    let left = this.primary();
    for (let op = this.peekWord(); op !== undefined && MULTIPLICATIVE.has(op); op = this.peekWord()) {
      this.i++;
      left = operation(op, left, this.primary());
    }
    return left;
  }

  private primary(): Expr {
    if (this.tokens[this.i]?.t === "(") {
      this.i++;
      const inner = this.additive();
      if (this.tokens[this.i]?.t !== ")") throw new FilterError("invalid", "A parenthesis is not closed.");
      this.i++;
      return inner;
    }
    const operand = this.operand();
    return "field" in operand
      ? { kind: "field", field: operand.field }
      : { kind: "literal", literal: operand.literal };
  }

  private operand(): { field: FieldDef } | { literal: Literal } {
    const token = this.tokens[this.i++];
    if (token === undefined) throw new FilterError("invalid", "$filter ends where a value was expected.");
    if (token.t === "literal") return { literal: token.literal };
    if (token.t !== "word") throw new FilterError("invalid", `Unexpected '${token.t}' in $filter.`);
    if (this.tokens[this.i]?.t === "(") {
      const name = token.text.toLowerCase();
      if (REFUSED_FUNCTIONS.has(name)) {
        throw new FilterError(
          "invalid",
          `The function '${token.text}' is not supported; use eq with '*' wildcards.`,
        );
      }
      throw new FilterError("unsupported", `The function '${token.text}' in $filter`);
    }
    const field = this.def.fields.find((candidate) => candidate.name === token.text);
    if (field === undefined) {
      throw new FilterError(
        "invalid",
        `Could not find a property named '${token.text}' on type '${NAMESPACE}.${this.def.entityType}'.`,
      );
    }
    return { field };
  }

  private compare(op: CompareOp, field: FieldDef, literal: Literal): Filter {
    const type = field.type;
    if (typeof type === "object") {
      if (literal.kind !== "enum" && literal.kind !== "null") {
        throw new FilterError(
          "invalid",
          `A binary operator with incompatible types was detected. Found operand types '${edmTypeName(type)}' and '${literalType(literal)}'.`,
        );
      }
      if (op !== "eq" && op !== "ne")
        throw new FilterError("invalid", "Enum values can only be compared with eq and ne.");
      if (literal.kind === "enum" && !ENUMS[type.enum].some(([member]) => member === literal.member)) {
        throw new FilterError("invalid", `'${literal.member}' is not a member of ${type.enum}.`);
      }
    } else if (type === "Edm.String" && literal.kind !== "string" && literal.kind !== "null") {
      throw new FilterError(
        "invalid",
        `A binary operator with incompatible types was detected. Found operand types 'Edm.String' and '${literalType(literal)}'.`,
      );
    }
    return { type: "compare", op, field, literal };
  }
}

function isNumeric(expr: Expr): boolean {
  if (expr.kind === "operation") return true;
  if (expr.kind === "literal") return expr.literal.kind === "number";
  return typeof expr.field.type === "string" && NUMERIC_TYPES.has(expr.field.type);
}

/** An operand of arithmetic must be a number, as the OData library's type check demands. */
function numeric(expr: Expr, op: string): Expr {
  if (isNumeric(expr)) return expr;
  // Only a property or a literal can fail: an operation is a number.
  const type =
    expr.kind === "field"
      ? edmTypeName(expr.field.type)
      : literalType((expr as { literal: Literal }).literal);
  throw new FilterError(
    "invalid",
    `A binary operator with incompatible types was detected. Found operand type '${type}' for operator '${op}', which takes numbers.`,
  );
}

function operation(op: string, left: Expr, right: Expr): Expr {
  return {
    kind: "operation",
    op: (op === "divby" ? "div" : op) as ArithmeticOp,
    left: numeric(left, op),
    right: numeric(right, op),
  };
}

/** The number an expression has for a row; undefined when a property in it has no value. */
function evaluate(expr: Expr, row: Row): Big.Big | undefined {
  switch (expr.kind) {
    case "literal":
      return expr.literal.kind === "number" ? new Big(expr.literal.raw) : undefined;
    case "field": {
      const value = row[expr.field.name];
      if (value === null || value === undefined || value === "") return undefined;
      return isDecimal(value) ? value : new Big(String(value));
    }
    case "operation": {
      const left = evaluate(expr.left, row);
      const right = evaluate(expr.right, row);
      if (left === undefined || right === undefined) return undefined;
      switch (expr.op) {
        case "add":
          return left.plus(right);
        case "sub":
          return left.minus(right);
        case "mul":
          return left.times(right);
        case "div":
        case "mod":
          if (right.eq(0)) throw new FilterError("invalid", "Division by zero in $filter.");
          return expr.op === "div" ? left.div(right) : left.mod(right);
      }
    }
  }
}

function holds(op: CompareOp, order: number): boolean {
  switch (op) {
    case "eq":
      return order === 0;
    case "ne":
      return order !== 0;
    case "gt":
      return order > 0;
    case "ge":
      return order >= 0;
    case "lt":
      return order < 0;
    case "le":
      return order <= 0;
  }
}

function literalType(literal: Literal): string {
  return {
    string: "Edm.String",
    number: "Edm.Decimal",
    boolean: "Edm.Boolean",
    null: "null",
    datetime: "Edm.DateTimeOffset",
    enum: "Enum",
  }[literal.kind];
}

export function parseFilter(text: string, def: EntitySetDef): Filter {
  return new Parser(tokenize(text), def).parse();
}

/** F&O's wildcard: `*` matches any run of characters, case-insensitively. */
function wildcard(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "is");
}

function compareValues(
  field: FieldDef,
  value: Row[string] | undefined,
  literal: Literal,
): number | undefined {
  if (literal.kind === "null") return value === null || value === undefined || value === "" ? 0 : 1;
  if (value === null || value === undefined) return undefined;
  const type = field.type;
  if (typeof type === "object") return literal.kind === "enum" && literal.member === value ? 0 : 1;
  switch (type) {
    case "Edm.String": {
      const a = String(value).toLowerCase();
      const b = (literal as { value: string }).value.toLowerCase();
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case "Edm.Decimal":
    case "Edm.Int32":
    case "Edm.Int64": {
      if (literal.kind !== "number") throw new FilterError("invalid", `'${field.name}' is a number.`);
      const left = isDecimal(value) ? value : new Big(String(value));
      return left.cmp(new Big(literal.raw));
    }
    case "Edm.DateTimeOffset":
    case "Edm.Date": {
      if (literal.kind !== "datetime") throw new FilterError("invalid", `'${field.name}' is a date.`);
      const a = Date.parse(String(value));
      const b = Date.parse(literal.value.length === 10 ? `${literal.value}T00:00:00Z` : literal.value);
      return a < b ? -1 : a > b ? 1 : 0;
    }
  }
}

export function matches(filter: Filter, row: Row): boolean {
  switch (filter.type) {
    case "and":
      return matches(filter.left, row) && matches(filter.right, row);
    case "or":
      return matches(filter.left, row) || matches(filter.right, row);
    case "not":
      return !matches(filter.operand, row);
    case "compare": {
      const value = row[filter.field.name];
      const literal = filter.literal;
      if (filter.field.type === "Edm.String" && literal.kind === "string" && literal.value.includes("*")) {
        if (filter.op !== "eq" && filter.op !== "ne")
          throw new FilterError("invalid", "Wildcards work with eq and ne only.");
        const hit = wildcard(literal.value).test(String(value ?? ""));
        return filter.op === "eq" ? hit : !hit;
      }
      const order = compareValues(filter.field, value, literal);
      if (order === undefined) return filter.op === "ne";
      return holds(filter.op, order);
    }
    case "arithmetic": {
      const left = evaluate(filter.left, row);
      const right = evaluate(filter.right, row);
      if (left === undefined || right === undefined) return filter.op === "ne";
      return holds(filter.op, left.cmp(right));
    }
  }
}
