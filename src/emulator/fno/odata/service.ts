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
import type { EntitySetDef } from "../entities.js";
import { FnoErrors } from "../errors.js";
import { type Journals, lower, type Outcome } from "../journals.js";
import { canAccess, type Principal } from "../security.js";
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
  constructor(
    private readonly context: EmulatorContext,
    private readonly journals: Journals,
    readonly defs: readonly EntitySetDef[],
  ) {}

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
      if (op.method === "GET") return this.read(op, principal, target);
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
    let rows: Row[];
    const data = this.context.state.data;
    if (def.name === "SysAADClients") {
      rows = Object.values(data.fnoApps).map((app) => ({
        AADClientId: app.clientId,
        Name: app.name,
        UserId: app.userId,
      }));
    } else if (def.name === "LedgerFiscalPeriods") {
      rows = Object.entries(data.fiscalPeriods).flatMap(([company, periods]) =>
        periods.map((period) => ({
          dataAreaId: company,
          StartDate: period.start,
          EndDate: period.end,
          PeriodStatus: period.status,
        })),
      );
    } else if (def.name === "GeneralJournalAccountEntry") {
      rows = [...this.context.state.table("LedgerJournalLines").rows.values()].map((line) =>
        this.flatRow(line),
      );
    } else if (def.name === "LedgerJournalHeaders") {
      rows = [...this.context.state.table(def.name).rows.values()].map((row) =>
        this.journals.withTotals(row),
      );
    } else {
      rows = [...this.context.state.table(def.name).rows.values()];
    }
    if (def.companySpecific && !crossCompany) {
      const company = principal.user.defaultCompany;
      rows = rows.filter((row) => lower(row.dataAreaId) === company);
    }
    return rows;
  }

  private flatRow(line: Row): Row {
    const header = this.journals.header(lower(line.dataAreaId), String(line.JournalBatchNumber));
    return {
      dataAreaId: line.dataAreaId ?? null,
      JournalBatchNumber: line.JournalBatchNumber ?? null,
      LineNumber: line.LineNumber ?? null,
      JournalName: header?.JournalName ?? null,
      AccountType: line.AccountType ?? null,
      LedgerAccount: line.AccountDisplayValue ?? null,
      TransactionCurrencyCode: line.CurrencyCode ?? null,
      DebitAmount: line.DebitAmount ?? null,
      CreditAmount: line.CreditAmount ?? null,
      TransDate: line.TransDate ?? null,
      Voucher: line.Voucher ?? null,
      Text: line.Text ?? null,
      Description: header?.Description ?? null,
      $recId: line.$recId ?? null,
      $version: line.$version ?? null,
    };
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
      const row = def.name === "LedgerJournalHeaders" ? this.journals.withTotals(found) : found;
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
    if (def.name === "GeneralJournalAccountEntry") {
      const line = this.context.state.table("LedgerJournalLines").get(key);
      return line === undefined ? undefined : this.flatRow(line);
    }
    if (this.context.state.tables.has(def.name)) return this.context.state.table(def.name).get(key);
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
    const input = rowFromBody(def, parseBody(op.body));
    let outcome: Outcome<Row>;
    switch (def.name) {
      case "LedgerJournalHeaders":
        outcome = this.journals.createHeader(principal, input, tx);
        break;
      case "LedgerJournalLines":
        outcome = this.journals.createLine(principal, input, tx);
        break;
      case "GeneralJournalAccountEntry":
        outcome = this.createFlat(principal, input, tx);
        break;
      default:
        return FnoErrors.methodNotAllowed(op.method, def.name);
    }
    if (!outcome.ok) return outcome.response;
    const row =
      def.name === "LedgerJournalHeaders"
        ? this.journals.withTotals(outcome.value)
        : def.name === "GeneralJournalAccountEntry"
          ? this.flatRow(outcome.value)
          : outcome.value;
    return this.created(op, def, row);
  }

  /** The report's flat entity: a line, with its header made on the fly when no batch number is given. */
  private createFlat(principal: Principal, input: Row, tx: Transaction): Outcome<Row> {
    let batch = typeof input.JournalBatchNumber === "string" ? input.JournalBatchNumber : "";
    if (batch === "") {
      const header = this.journals.createHeader(
        principal,
        {
          dataAreaId: input.dataAreaId ?? null,
          JournalName: input.JournalName ?? null,
          ...(typeof input.Description === "string" ? { Description: input.Description } : {}),
        },
        tx,
      );
      if (!header.ok) return header;
      batch = String(header.value.JournalBatchNumber);
    }
    const line: Row = {
      dataAreaId: input.dataAreaId ?? null,
      JournalBatchNumber: batch,
      AccountType: input.AccountType ?? "Ledger",
      AccountDisplayValue: input.LedgerAccount ?? null,
      CurrencyCode: input.TransactionCurrencyCode ?? null,
      DebitAmount: input.DebitAmount ?? new Big(0),
      CreditAmount: input.CreditAmount ?? new Big(0),
      TransDate: input.TransDate ?? null,
      // The flat entity has no voucher of its own: the journal's lines share one.
      Voucher: typeof input.Voucher === "string" && input.Voucher !== "" ? input.Voucher : batch,
      Text: input.Text ?? "",
    };
    if (isDecimal(input.LineNumber)) line.LineNumber = input.LineNumber;
    return this.journals.createLine(principal, line, tx);
  }

  private update(op: DataOperation, principal: Principal, target: Target, tx: Transaction): EmuResponse {
    const def = target.def;
    const row = this.find(def, principal, target.key as Row, true);
    if (row === undefined) return FnoErrors.entityNotFound(def.name);
    const input = rowFromBody(def, parseBody(op.body));
    let outcome: Outcome<Row>;
    if (def.name === "LedgerJournalHeaders") outcome = this.journals.updateHeader(row, input, tx);
    else if (def.name === "LedgerJournalLines") outcome = this.journals.updateLine(row, input, tx);
    else return FnoErrors.notSupported(`Updating ${def.name}`);
    return outcome.ok ? { status: 204 } : outcome.response;
  }

  private remove(principal: Principal, target: Target, tx: Transaction): EmuResponse {
    const def = target.def;
    const row = this.find(def, principal, target.key as Row, true);
    if (row === undefined) return FnoErrors.entityNotFound(def.name);
    let outcome: Outcome<null>;
    if (def.name === "LedgerJournalHeaders") outcome = this.journals.deleteHeader(row, tx);
    else if (def.name === "LedgerJournalLines") outcome = this.journals.deleteLine(row, tx);
    else return FnoErrors.notSupported(`Deleting from ${def.name}`);
    return outcome.ok ? { status: 204 } : outcome.response;
  }

  /** The entity sets an operation touches (for fault rules). */
  entitySetOf(path: string): string | undefined {
    const name = decodeURIComponent(path).split(/[(/?]/)[0];
    return this.defs.some((def) => def.name === name) ? name : undefined;
  }
}
