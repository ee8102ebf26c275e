/**
 * Entity values across the wire: JSON bodies into typed row values (exact decimals, enum member
 * names, ISO dates) and rows back into OData JSON. Decimals travel as JSON numbers with every digit,
 * or as strings when the client asks for IEEE754Compatible=true.
 */
import Big from "big.js";
import type { EmuRequest } from "../../http.js";
import { isWireNumber, parseWire, stringifyWire, type WireJson } from "../../json.js";
import type { Row } from "../../state/model.js";
import {
  ENUMS,
  type EntitySetDef,
  edmTypeName,
  emptyValue,
  type FieldDef,
  isNullable,
  NAMESPACE,
} from "../entities.js";

export class ValueError extends Error {}

/** Parses a JSON request body into an object (lossless numbers). */
export function parseBody(body: Buffer): Record<string, WireJson> {
  let value: WireJson;
  try {
    value = parseWire(body.toString("utf8"));
  } catch (error) {
    throw new ValueError(`The request body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value) || isWireNumber(value)) {
    throw new ValueError("The request body must be a JSON object.");
  }
  return value as Record<string, WireJson>;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Converts one JSON property to a row value, or throws ValueError naming what is wrong. */
export function fieldValue(def: EntitySetDef, field: FieldDef, value: WireJson): Row[string] {
  const where = `property '${field.name}' of '${NAMESPACE}.${def.entityType}'`;
  if (value === null) {
    if (isNullable(def, field)) return null;
    throw new ValueError(
      `A null value was found for the property named '${field.name}', which has the expected type '${edmTypeName(field.type)}[Nullable=False]'. The expected type '${edmTypeName(field.type)}[Nullable=False]' does not allow null values.`,
    );
  }
  const type = field.type;
  if (typeof type === "object") {
    const member = typeof value === "string" ? value : isWireNumber(value) ? value.value : undefined;
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
      const text = isWireNumber(value) ? value.value : typeof value === "string" ? value : undefined;
      if (text === undefined || !/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
        throw new ValueError(`Cannot convert '${String(value)}' to Edm.Decimal for ${where}.`);
      }
      return new Big(text);
    }
    case "Edm.Int32":
    case "Edm.Int64": {
      const text = isWireNumber(value) ? value.value : typeof value === "string" ? value : "";
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
export function rowFromBody(def: EntitySetDef, body: Record<string, WireJson>): Row {
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
    // F&O has no nulls in its tables: a field never given a value answers its type's empty value.
    out[field.name] = row[field.name] ?? emptyValue(field);
  }
  return out;
}

export function writeJson(value: unknown, decimalsAsStrings: boolean): string {
  return stringifyWire(value, decimalsAsStrings);
}
