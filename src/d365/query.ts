/**
 * OData URLs built so that a value can only ever be a value: string literals quote `'` as `''`, key
 * predicates and query options are percent-encoded (so `/`, `#`, `?`, `&`, `+`, `%` cannot end a
 * segment or start a new parameter), and an exact match refuses `*`, which F&O reads as a wildcard.
 */
import Big from "big.js";
import { BridgeError } from "../core/errors/bridge-error.js";

export type ODataValue =
  | string
  | number
  | boolean
  | null
  | Big.Big
  | { readonly enumType: string; readonly member: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkName(name: string): string {
  if (!NAME.test(name)) throw new BridgeError("D365_BAD_REQUEST", `'${name}' is not a property name.`);
  return name;
}

/** The OData literal for a value. Numbers must be safe integers; amounts travel as big.js values. */
export function literal(value: ODataValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return `'${value.replace(/'/g, "''")}'`;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value))
      throw new BridgeError(
        "D365_BAD_REQUEST",
        "Only whole numbers may be JavaScript numbers; give decimals as big.js values.",
      );
    return String(value);
  }
  if (value instanceof Big) return value.toFixed();
  if (!NAME.test(value.member))
    throw new BridgeError("D365_BAD_REQUEST", `'${value.member}' is not an enum member name.`);
  return `Microsoft.Dynamics.DataEntities.${checkName(value.enumType)}'${value.member}'`;
}

/** `field eq value` for an exact match: refuses `*`, which F&O would treat as a wildcard. */
export function eq(field: string, value: ODataValue): string {
  if (typeof value === "string" && value.includes("*")) {
    throw new BridgeError("D365_QUERY_WILDCARD", `The value for ${field} contains '*'.`);
  }
  return `${checkName(field)} eq ${literal(value)}`;
}

/**
 * `field eq 'prefix*'`: F&O's wildcard match, used to find a marker followed by free text. The prefix
 * itself may not contain `*`; callers check candidates exactly, since F&O documents no escape for it.
 */
export function startsWith(field: string, prefix: string): string {
  if (prefix.includes("*"))
    throw new BridgeError("D365_QUERY_WILDCARD", `The prefix for ${field} contains '*'.`);
  return `${checkName(field)} eq ${literal(`${prefix}*`)}`;
}

/** `field ge value` and the like: a range over a key, e.g. the batch numbers of a chunk of journals. */
export function compare(field: string, op: "ge" | "gt" | "le" | "lt", value: ODataValue): string {
  return `${checkName(field)} ${op} ${literal(value)}`;
}

export function and(...clauses: string[]): string {
  return clauses.map((clause) => `(${clause})`).join(" and ");
}

export function or(...clauses: string[]): string {
  return clauses.map((clause) => `(${clause})`).join(" or ");
}

/** `Set(key1='a',key2=1)`, percent-encoded for a URL path. */
export function entityPath(entitySet: string, keys: Record<string, ODataValue>): string {
  const predicate = Object.entries(keys)
    .map(([name, value]) => `${checkName(name)}=${literal(value)}`)
    .join(",");
  return `/data/${checkName(entitySet)}(${encodeURIComponent(predicate)})`;
}

export interface QueryOptions {
  readonly filter?: string;
  readonly select?: readonly string[];
  readonly orderBy?: readonly string[];
  readonly top?: number;
  readonly skip?: number;
  readonly count?: boolean;
  readonly crossCompany?: boolean;
}

/** `/data/Set?$filter=…` with every option encoded (spaces as %20, never +). */
export function collectionPath(entitySet: string, options: QueryOptions = {}): string {
  const parts: string[] = [];
  const add = (name: string, value: string) => parts.push(`${name}=${encodeURIComponent(value)}`);
  if (options.filter !== undefined) add("$filter", options.filter);
  if (options.select !== undefined) add("$select", options.select.map(checkName).join(","));
  if (options.orderBy !== undefined) add("$orderby", options.orderBy.join(","));
  if (options.top !== undefined) add("$top", String(options.top));
  if (options.skip !== undefined) add("$skip", String(options.skip));
  if (options.count) add("$count", "true");
  if (options.crossCompany) add("cross-company", "true");
  return `/data/${checkName(entitySet)}${parts.length === 0 ? "" : `?${parts.join("&")}`}`;
}

/**
 * F&O's @odata.nextLink may name another host or scheme (load balancers answer with http://, per
 * Microsoft's recurring-integration docs); only its path and query are kept, re-based onto our URL.
 */
export function rebaseNextLink(nextLink: string): string {
  const url = new URL(nextLink, "https://placeholder.invalid");
  const index = url.pathname.indexOf("/data/");
  if (index < 0)
    throw new BridgeError("D365_INVALID_RESPONSE", "An @odata.nextLink does not point into /data/.");
  return `${url.pathname.slice(index)}${url.search}`;
}
