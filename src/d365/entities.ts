/** Entity operations over the client: query with paging, read by key, create, update, delete. */
import { JsonNumberText, type PlainJson } from "../common/json.js";
import { type D365Client, readJson, type WriteOptions } from "./client.js";
import { D365Error } from "./errors.js";
import { collectionPath, entityPath, type ODataValue, type QueryOptions, rebaseNextLink } from "./query.js";

export type Entity = { [field: string]: PlainJson };

function asEntity(value: PlainJson | undefined, what: string, client: D365Client): Entity {
  if (
    value === null ||
    value === undefined ||
    typeof value !== "object" ||
    Array.isArray(value) ||
    value instanceof JsonNumberText
  ) {
    throw new D365Error("D365_INVALID_RESPONSE", `F&O's answer to ${what} is not an entity.`, {
      method: "GET",
      url: client.url,
      requestId: "",
    });
  }
  return value as Entity;
}

export class Entities {
  constructor(private readonly client: D365Client) {}

  /** Every row matching the query, page by page (server-driven paging via @odata.nextLink). */
  async *query(entitySet: string, options: QueryOptions = {}, signal?: AbortSignal): AsyncGenerator<Entity> {
    let path: string | undefined = collectionPath(entitySet, options);
    while (path !== undefined) {
      const response = await this.client.request({ method: "GET", path, ...(signal ? { signal } : {}) });
      const body = asEntity(readJson(response.body), `GET ${entitySet}`, this.client);
      const rows = body.value;
      if (!Array.isArray(rows)) {
        throw new D365Error("D365_INVALID_RESPONSE", `F&O's answer to GET ${entitySet} has no value array.`, {
          method: "GET",
          url: this.client.url,
          requestId: response.requestId,
        });
      }
      for (const row of rows) yield row as Entity;
      const next = body["@odata.nextLink"];
      path = typeof next === "string" ? rebaseNextLink(next) : undefined;
    }
  }

  async queryAll(entitySet: string, options: QueryOptions = {}, signal?: AbortSignal): Promise<Entity[]> {
    const rows: Entity[] = [];
    for await (const row of this.query(entitySet, options, signal)) rows.push(row);
    return rows;
  }

  /** The entity, or undefined when F&O answers 404. */
  async get(
    entitySet: string,
    keys: Record<string, ODataValue>,
    signal?: AbortSignal,
  ): Promise<Entity | undefined> {
    try {
      const response = await this.client.request({
        method: "GET",
        path: entityPath(entitySet, keys),
        ...(signal ? { signal } : {}),
      });
      return asEntity(readJson(response.body), `GET ${entitySet}`, this.client);
    } catch (error) {
      if (error instanceof D365Error && error.status === 404) return undefined;
      throw error;
    }
  }

  /** POST; returns the created entity (with server-assigned keys such as JournalBatchNumber). */
  async create(
    entitySet: string,
    body: Record<string, unknown>,
    options: WriteOptions = {},
  ): Promise<Entity> {
    const response = await this.client.request({
      method: "POST",
      path: collectionPath(entitySet),
      body,
      ...options,
    });
    return asEntity(readJson(response.body), `POST ${entitySet}`, this.client);
  }

  async update(
    entitySet: string,
    keys: Record<string, ODataValue>,
    changes: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.client.request({
      method: "PATCH",
      path: entityPath(entitySet, keys),
      body: changes,
      ...(signal ? { signal } : {}),
    });
  }

  async delete(entitySet: string, keys: Record<string, ODataValue>, signal?: AbortSignal): Promise<void> {
    await this.client.request({
      method: "DELETE",
      path: entityPath(entitySet, keys),
      ...(signal ? { signal } : {}),
    });
  }
}
