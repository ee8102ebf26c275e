/**
 * The OData service under /data: the service document, $metadata, entity sets (queries, keys,
 * writes) and $batch. One operation runs inside one Transaction; $batch runs a changeset's operations
 * in one and rolls all of them back when one fails.
 */
import Big from "big.js";
import type { EmulatorContext } from "../../context.js";
import { type EmuResponse, json } from "../../http.js";
import type { Row } from "../../state/model.js";
import { isDecimal, type Transaction } from "../../state/store.js";
import { type EntitySetDef, NAMESPACE } from "../entities.js";
import { FnoErrors } from "../errors.js";
import type { Journals } from "../journals.js";
import { lower } from "../journals.js";
import { canAccess, type Principal } from "../security.js";
import { type EntityBehaviour, entityBehaviours } from "./behaviours.js";
import { FilterError, matches, parseFilter } from "./filter.js";
import { metadataXml, serviceDocument } from "./metadata.js";
import { parseBody, rowFromBody, ValueError, wantsDecimalStrings, wireRow, writeJson } from "./values.js";

/** One OData request: a whole HTTP request, or one part of a $batch. */
export interface DataOperation {
  readonly method: string;
  /** The path after `/data/`, percent-encoded, without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly origin: string;
}

const QUERY_OPTIONS = new Set([
  "$filter",
  "$select",
  "$top",
  "$skip",
  "$orderby",
  "$count",
  "$format",
  "cross-company",
]);
const ODATA_JSON = {
  "content-type": "application/json; odata.metadata=minimal; charset=utf-8",
  "odata-version": "4.0",
};

interface Target {
  readonly def: EntitySetDef;
  readonly key?: Row;
  readonly count?: boolean;
}

/** Parses `Set`, `Set(key)`, `Set('k')`, `Set/$count`. */
function parseTarget(path: string, defs: readonly EntitySetDef[]): Target | "not-found" | EmuResponse {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return FnoErrors.badRequest("The request URI is not valid: bad percent-encoding.");
  }
  const open = decoded.indexOf("(");
  const name = open < 0 ? decoded.replace(/\/\$count$/, "") : decoded.slice(0, open);
  const def = defs.find((candidate) => candidate.name === name);
  if (def === undefined) return "not-found";
  if (open < 0) return { def, count: decoded.endsWith("/$count") };
  const close = decoded.lastIndexOf(")");
  if (close < open || decoded.slice(close + 1) !== "")
    return FnoErrors.badRequest(`The key predicate in '${decoded}' is not valid.`);
  const parts = splitKey(decoded.slice(open + 1, close));
  if (parts === undefined) return FnoErrors.badRequest(`The key predicate in '${decoded}' is not valid.`);
  const key: Row = {};
  if (parts.length === 1 && parts[0]?.[0] === undefined && def.keys.length === 1) {
    parts[0] = [def.keys[0] as string, (parts[0] as [undefined, string])[1]];
  }
  // A positional key where the type has several (Set('x') for a composite key): the OData library's message.
  if (parts.some(([field]) => field === undefined)) {
    return FnoErrors.badRequest(
      `The number of keys specified in the URI does not match number of key properties for the resource '${NAMESPACE}.${def.entityType}'.`,
    );
  }
  for (const [field, literal] of parts) {
    const fieldDef = def.fields.find((candidate) => candidate.name === field);
    if (fieldDef === undefined || !def.keys.includes(field as string)) {
      return FnoErrors.badRequest(`'${field ?? ""}' is not a key property of '${def.entityType}'.`);
    }
    const quoted = /^'(.*)'$/s.exec(literal);
    key[field as string] = quoted
      ? (quoted[1] as string).replace(/''/g, "'")
      : fieldDef.type === "Edm.Decimal"
        ? new Big(literal)
        : literal;
  }
  // All fields in the entity key must be provided (MS docs, odata.md).
  if (def.keys.some((field) => !(field in key))) {
    return FnoErrors.badRequest(
      `All key properties of '${def.entityType}' must be given: ${def.keys.join(", ")}.`,
    );
  }
  return { def, key };
}

/** Splits `a='x,y',b=1` into pairs, honouring quotes ('' inside a quote is one quote). */
function splitKey(text: string): Array<[string | undefined, string]> | undefined {
  const pairs: Array<[string | undefined, string]> = [];
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    const quote = text.indexOf("'", i);
    let name: string | undefined;
    if (eq >= 0 && (quote < 0 || eq < quote)) {
      name = text.slice(i, eq).trim();
      i = eq + 1;
    }
    let value: string;
    if (text[i] === "'") {
      let j = i + 1;
      for (;;) {
        const next = text.indexOf("'", j);
        if (next < 0) return undefined;
        if (text[next + 1] === "'") {
          j = next + 2;
          continue;
        }
        value = text.slice(i, next + 1);
        i = next + 1;
        break;
      }
    } else {
      const comma = text.indexOf(",", i);
      value = text.slice(i, comma < 0 ? text.length : comma).trim();
      i = comma < 0 ? text.length : comma;
    }
    if (/^[+-]?\d+(\.\d+)?$/.test(value) === false && !value.startsWith("'")) return undefined;
    pairs.push([name, value]);
    if (text[i] === ",") i++;
    else if (i < text.length) return undefined;
  }
  return pairs;
}

export class ODataService {
  private readonly behaviours: Readonly<Record<string, EntityBehaviour>>;

  constructor(
    private readonly context: EmulatorContext,
    journals: Journals,
    readonly defs: readonly EntitySetDef[],
  ) {
    this.behaviours = entityBehaviours(context, journals);
  }

  private behaviour(def: EntitySetDef): EntityBehaviour {
    return this.behaviours[def.name] ?? {};
  }

  /** Serves one operation (the caller owns the transaction). */
  execute(op: DataOperation, principal: Principal, tx: Transaction): EmuResponse {
    if (op.path === "" || op.path === "/")
      return json(200, serviceDocument(op.origin, this.defs), ODATA_JSON);
    if (op.path === "$metadata") {
      return {
        status: 200,
        headers: { "content-type": "application/xml", "odata-version": "4.0" },
        body: metadataXml(this.defs),
      };
    }
    const target = parseTarget(op.path, this.defs);
    if (target === "not-found") return FnoErrors.notFoundResource(`${op.origin}/data/${op.path}`);
    if ("status" in target) return target;
    try {
      // HEAD is a GET without a body (the HTTP layer sends none).
      if (op.method === "GET" || op.method === "HEAD") return this.read(op, principal, target);
      // Read-only is a property of the entity, whatever the caller's roles.
      if (target.def.readOnly) return FnoErrors.methodNotAllowed(op.method, target.def.name);
      if (!canAccess(principal, target.def.name, "write")) {
        return FnoErrors.forbidden(`write to '${target.def.name}' (user ${principal.user.userId})`);
      }
      if (op.method === "POST" && target.key === undefined) return this.create(op, principal, target.def, tx);
      if (target.key === undefined) return FnoErrors.methodNotAllowed(op.method, target.def.name);
      if (op.method === "PATCH" || op.method === "PUT" || op.method === "MERGE")
        return this.update(op, principal, target, tx);
      if (op.method === "DELETE") return this.remove(principal, target, tx);
      return FnoErrors.methodNotAllowed(op.method, target.def.name);
    } catch (error) {
      if (error instanceof ValueError) return FnoErrors.badRequest(error.message);
      if (error instanceof FilterError) {
        return error.kind === "unsupported"
          ? FnoErrors.notSupported(error.message)
          : FnoErrors.unsupportedQuery(error.message);
      }
      throw error;
    }
  }

  /** The rows of a set as the principal may see them, before query options. */
  private rows(def: EntitySetDef, principal: Principal, crossCompany: boolean): Row[] {
    const behaviour = this.behaviour(def);
    let rows = behaviour.rows?.() ?? [...this.context.state.table(def.name).rows.values()];
    if (behaviour.present !== undefined) rows = rows.map(behaviour.present);
    if (def.companySpecific && !crossCompany) {
      const company = principal.user.defaultCompany;
      rows = rows.filter((row) => lower(row.dataAreaId) === company);
    }
    return rows;
  }

  private read(op: DataOperation, principal: Principal, target: Target): EmuResponse {
    const def = target.def;
    if (!canAccess(principal, def.name, "read"))
      return FnoErrors.forbidden(`read '${def.name}' (user ${principal.user.userId})`);
    for (const name of op.query.keys()) {
      if (name === "$expand" || name === "$search" || name === "$apply" || name === "$skiptoken") {
        return FnoErrors.notSupported(`The query option ${name}`);
      }
      if (name.startsWith("$") && !QUERY_OPTIONS.has(name))
        return FnoErrors.unsupportedQuery(`The query option '${name}' is not supported.`);
    }
    const decimalsAsStrings = wantsDecimalStrings({ headers: op.headers } as never);
    const select = op.query
      .get("$select")
      ?.split(",")
      .map((name) => name.trim());
    for (const name of select ?? []) {
      if (!def.fields.some((field) => field.name === name)) {
        return FnoErrors.unsupportedQuery(
          `Could not find a property named '${name}' on type '${def.entityType}'.`,
        );
      }
    }
    const crossCompany = op.query.get("cross-company")?.toLowerCase() === "true";
    if (target.key !== undefined) {
      const found = this.find(def, principal, target.key, true);
      if (found === undefined) return FnoErrors.entityNotFound(def.name);
      const row = this.behaviour(def).present?.(found) ?? found;
      return {
        status: 200,
        headers: ODATA_JSON,
        body: writeJson(
          {
            "@odata.context": `${op.origin}/data/$metadata#${def.name}/$entity`,
            ...wireRow(def, row, select),
          },
          decimalsAsStrings,
        ),
      };
    }
    let rows = this.rows(def, principal, crossCompany);
    const filterText = op.query.get("$filter");
    if (filterText !== null) {
      const filter = parseFilter(filterText, def);
      rows = rows.filter((row) => matches(filter, row));
    }
    const orderBy = op.query.get("$orderby");
    if (orderBy !== null) rows = this.sort(rows, def, orderBy);
    if (target.count)
      return { status: 200, headers: { "content-type": "text/plain" }, body: String(rows.length) };
    const skip = this.integer(op.query.get("$skip"), "$skip") ?? 0;
    const top = this.integer(op.query.get("$top"), "$top");
    const total = rows.length;
    const wanted = rows.slice(skip, top === undefined ? undefined : skip + top);
    const pageSize = this.context.state.config.pageSize;
    const page = wanted.slice(0, pageSize);
    const body: Record<string, unknown> = { "@odata.context": `${op.origin}/data/$metadata#${def.name}` };
    if (op.query.get("$count") === "true") body["@odata.count"] = total;
    body.value = page.map((row) => wireRow(def, row, select));
    if (wanted.length > pageSize) {
      const next = new URLSearchParams(op.query);
      next.set("$skip", String(skip + pageSize));
      if (top !== undefined) next.set("$top", String(top - pageSize));
      body["@odata.nextLink"] = `${op.origin}/data/${op.path}?${next.toString().replace(/\+/g, "%20")}`;
    }
    return { status: 200, headers: ODATA_JSON, body: writeJson(body, decimalsAsStrings) };
  }

  private integer(text: string | null, name: string): number | undefined {
    if (text === null) return undefined;
    if (!/^\d{1,9}$/.test(text))
      throw new FilterError("invalid", `${name} must be a non-negative whole number.`);
    return Number(text);
  }

  private sort(rows: Row[], def: EntitySetDef, orderBy: string): Row[] {
    const keys = orderBy.split(",").map((part) => {
      const [name = "", direction = "asc"] = part.trim().split(/\s+/);
      if (!def.fields.some((field) => field.name === name)) {
        throw new FilterError(
          "invalid",
          `Could not find a property named '${name}' on type '${def.entityType}'.`,
        );
      }
      if (direction !== "asc" && direction !== "desc")
        throw new FilterError("invalid", `'${direction}' is not asc or desc.`);
      return { name, sign: direction === "desc" ? -1 : 1 };
    });
    const compare = (a: Row[string] | undefined, b: Row[string] | undefined): number => {
      if (a === b) return 0;
      if (a === null || a === undefined) return -1;
      if (b === null || b === undefined) return 1;
      if (isDecimal(a) && isDecimal(b)) return a.cmp(b);
      if (typeof a === "number" && typeof b === "number") return a - b;
      const x = String(a).toLowerCase();
      const y = String(b).toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    };
    return [...rows].sort((a, b) => {
      for (const key of keys) {
        const order = compare(a[key.name], b[key.name]);
        if (order !== 0) return order * key.sign;
      }
      return 0;
    });
  }

  /** Finds a row by key among the rows the principal may see (any of its companies). */
  private find(def: EntitySetDef, principal: Principal, key: Row, crossCompany: boolean): Row | undefined {
    const behaviour = this.behaviour(def);
    if (behaviour.find !== undefined) return behaviour.find(key);
    if (behaviour.rows === undefined && this.context.state.tables.has(def.name))
      return this.context.state.table(def.name).get(key);
    const table = this.rows(def, principal, crossCompany);
    return table.find((row) => def.keys.every((field) => lower(row[field]) === lower(key[field])));
  }

  private created(op: DataOperation, def: EntitySetDef, row: Row): EmuResponse {
    const keys = def.keys
      .map((field) => {
        const value = row[field];
        return `${field}=${isDecimal(value) ? value.toFixed() : `'${String(value).replace(/'/g, "''")}'`}`;
      })
      .join(",");
    return {
      status: 201,
      headers: { ...ODATA_JSON, location: `${op.origin}/data/${def.name}(${encodeURIComponent(keys)})` },
      body: writeJson(
        {
          "@odata.context": `${op.origin}/data/$metadata#${def.name}/$entity`,
          ...wireRow(def, row, undefined),
        },
        wantsDecimalStrings({ headers: op.headers } as never),
      ),
    };
  }

  private create(op: DataOperation, principal: Principal, def: EntitySetDef, tx: Transaction): EmuResponse {
    const behaviour = this.behaviour(def);
    if (behaviour.create === undefined) return FnoErrors.methodNotAllowed(op.method, def.name);
    const outcome = behaviour.create(principal, rowFromBody(def, parseBody(op.body)), tx);
    if (!outcome.ok) return outcome.response;
    return this.created(op, def, behaviour.present?.(outcome.value) ?? outcome.value);
  }

  private update(op: DataOperation, principal: Principal, target: Target, tx: Transaction): EmuResponse {
    const def = target.def;
    const row = this.find(def, principal, target.key as Row, true);
    if (row === undefined) return FnoErrors.entityNotFound(def.name);
    const update = this.behaviour(def).update;
    if (update === undefined) return FnoErrors.notSupported(`Updating ${def.name}`);
    const outcome = update(row, rowFromBody(def, parseBody(op.body)), tx);
    return outcome.ok ? { status: 204 } : outcome.response;
  }

  private remove(principal: Principal, target: Target, tx: Transaction): EmuResponse {
    const def = target.def;
    const row = this.find(def, principal, target.key as Row, true);
    if (row === undefined) return FnoErrors.entityNotFound(def.name);
    const remove = this.behaviour(def).remove;
    if (remove === undefined) return FnoErrors.notSupported(`Deleting from ${def.name}`);
    const outcome = remove(row, tx);
    return outcome.ok ? { status: 204 } : outcome.response;
  }

  /** The entity sets an operation touches (for fault rules). */
  entitySetOf(path: string): string | undefined {
    const name = decodeURIComponent(path).split(/[(/?]/)[0];
    return this.defs.some((def) => def.name === name) ? name : undefined;
  }
}
