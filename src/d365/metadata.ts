/**
 * What the client needs of F&O's CSDL `$metadata`: an entity set's properties with their types and
 * lengths. A real environment's document is tens of megabytes (every entity of every module), so it
 * is read once per client, shared by every caller, and scanned for the one entity type asked for
 * rather than parsed whole.
 */
import type { D365Client } from "./client.js";

export interface PropertyInfo {
  readonly name: string;
  readonly type: string;
  readonly maxLength?: number;
  readonly nullable: boolean;
}

export interface EntityInfo {
  readonly entitySet: string;
  readonly entityType: string;
  readonly properties: ReadonlyMap<string, PropertyInfo>;
}

const cache = new WeakMap<D365Client, Promise<string>>();

function documentOf(client: D365Client): Promise<string> {
  let pending = cache.get(client);
  if (pending === undefined) {
    pending = client
      .request({ method: "GET", path: "/data/$metadata", headers: { accept: "application/xml" } })
      .then((response) => response.body.toString("utf8"));
    // A failed read is not kept: the next caller asks again.
    pending.catch(() => cache.delete(client));
    cache.set(client, pending);
  }
  return pending;
}

function attribute(element: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1];
}

/** The entity set's type and properties, or undefined when the environment does not serve the set. */
export async function entityInfo(client: D365Client, entitySet: string): Promise<EntityInfo | undefined> {
  const xml = await documentOf(client);
  const set = new RegExp(`<EntitySet\\s[^>]*Name="${entitySet}"[^>]*>`).exec(xml)?.[0];
  const qualified = set === undefined ? undefined : attribute(set, "EntityType");
  if (qualified === undefined) return undefined;
  const entityType = qualified.slice(qualified.lastIndexOf(".") + 1);
  const start = new RegExp(`<EntityType\\s[^>]*Name="${entityType}"[^>]*>`).exec(xml);
  if (start === null) return undefined;
  const end = xml.indexOf("</EntityType>", start.index);
  const body = xml.slice(start.index, end < 0 ? undefined : end);
  const properties = new Map<string, PropertyInfo>();
  for (const match of body.matchAll(/<Property\s[^>]*>/g)) {
    const element = match[0];
    const name = attribute(element, "Name");
    if (name === undefined) continue;
    const maxLength = Number(attribute(element, "MaxLength"));
    properties.set(name, {
      name,
      type: attribute(element, "Type") ?? "",
      ...(Number.isFinite(maxLength) ? { maxLength } : {}),
      nullable: attribute(element, "Nullable") !== "false",
    });
  }
  return { entitySet, entityType, properties };
}
