/**
 * Entity values across the wire: JSON bodies into typed row values (exact decimals, enum member
 * names, ISO dates) and rows back into OData JSON. Decimals travel as JSON numbers with every digit,
 * or as strings when the client asks for IEEE754Compatible=true.
 */
import Big from "big.js";
import { JsonNumberText, type PlainJson, parseJson, stringifyJson, toPlain } from "../../../common/json.js";
import type { EmuRequest } from "../../http.js";
import type { Row } from "../../state/model.js";
import { isDecimal } from "../../state/store.js";
import { ENUMS, type EntitySetDef, type FieldDef, NAMESPACE } from "../entities.js";

export class ValueError extends Error {}

/** Parses a JSON request body into an object (lossless numbers). */
export function parseBody(body: Buffer): Record<string, PlainJson> {
  let value: PlainJson;
  try {
    value = toPlain(parseJson(body.toString("utf8")));
  } catch (error) {
    throw new ValueError(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (
    value === null ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    value instanceof JsonNumberText
  ) {
    throw new ValueError("The request body must be a JSON object.");
  }
  return value;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Converts one JSON property to a row value, or throws ValueError naming what is wrong. */
export function fieldValue(def: EntitySetDef, field: FieldDef, value: PlainJson): Row[string] {
  const where = `property '${field.name}' of '${NAMESPACE}.${def.entityType}'`;
  if (value === null) return null;
  const type = field.type;
  if (typeof type === "object") {
    const member =
      typeof value === "string" ? value : value instanceof JsonNumberText ? value.raw : undefined;
    const found = ENUMS[type.enum].find(([name, number]) => name === member || String(number) === member);
    if (found === undefined) throw new ValueError(`The value '${String(value)}' is not valid for ${where}.`);
    return found[0];
  }
  switch (type) {
    case "Edm.String": {
      if (typeof value !== "string")
        throw new ValueError(`Cannot convert a JSON ${typeof value} to Edm.String for ${where}.`);
      if (field.maxLength !== undefined && value.length > field.maxLength) {
        throw new ValueError(`The value of ${where} is longer than its maximum length ${field.maxLength}.`);
      }
      return value;
    }
    case "Edm.Decimal": {
      const text =
        value instanceof JsonNumberText ? value.raw : typeof value === "string" ? value : undefined;
      if (text === undefined || !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
        throw new ValueError(`Cannot convert '${String(value)}' to Edm.Decimal for ${where}.`);
      }
      return new Big(text);
    }
    case "Edm.Int32":
    case "Edm.Int64": {
      const text = value instanceof JsonNumberText ? value.raw : typeof value === "string" ? value : "";
      if (!/^-?\d+$/.test(text))
        throw new ValueError(`Cannot convert '${String(value)}' to ${type} for ${where}.`);
      return Number(text);
    }
    case "Edm.DateTimeOffset": {
      if (typeof value !== "string" || !ISO_DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
        throw new ValueError(`Cannot convert '${String(value)}' to Edm.DateTimeOffset for ${where}.`);
      }
      return new Date(value).toISOString().replace(".000Z", "Z");
    }
    case "Edm.Date": {
      if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        throw new ValueError(`Cannot convert '${String(value)}' to Edm.Date for ${where}.`);
      }
      return value;
    }
  }
}

/** Converts a whole request body: unknown properties are refused, as the OData library does. */
export function rowFromBody(def: EntitySetDef, body: Record<string, PlainJson>): Row {
  const row: Row = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith("@odata.")) continue;
    const field = def.fields.find((candidate) => candidate.name === name);
    if (field === undefined) {
      throw new ValueError(
        `The property '${name}' does not exist on type '${NAMESPACE}.${def.entityType}'. Make sure to only use property names that are defined by the type.`,
      );
    }
    row[name] = fieldValue(def, field, value);
  }
  return row;
}

/** Whether the client asked for decimals as strings (OData JSON IEEE754Compatible=true). */
export function wantsDecimalStrings(request: EmuRequest): boolean {
  const accept = `${request.headers.accept ?? ""};${request.headers["content-type"] ?? ""}`;
  return /ieee754compatible=true/i.test(accept);
}

function etag(row: Row): string {
  const version = typeof row.$version === "number" ? row.$version : 1;
  const recId = typeof row.$recId === "number" ? row.$recId : 0;
  // As F&O writes them: base64 of 'version,recId' with its single quotes (e.g. W/"JzAsMjI1NjU0ODg4NzAn").
  return `W/"${Buffer.from(`'${version},${recId}'`).toString("base64")}"`;
}

/** A row as the wire shows it: hidden fields dropped, `$select` applied, an ETag added. */
export function wireRow(
  def: EntitySetDef,
  row: Row,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { "@odata.etag": etag(row) };
  for (const field of def.fields) {
    if (select !== undefined && !select.includes(field.name)) continue;
    out[field.name] = row[field.name] ?? null;
  }
  return out;
}

export function writeJson(value: unknown, decimalsAsStrings: boolean): string {
  return stringifyJson(value, { decimalsAsStrings, isDecimal });
}
