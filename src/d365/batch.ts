/**
 * `$batch` for the client: a builder for multipart/mixed with changesets and Content-IDs, and a parser
 * that maps every answer back to the caller's item. F&O answers 200 for the batch whatever happened
 * inside; a failed changeset is a failure of exactly its items, all rolled back together.
 */
import { randomUUID } from "node:crypto";
import type { PlainJson } from "../common/json.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import { type D365Client, jsonBody, readJson, type WriteOptions } from "./client.js";
import { D365Error, type D365ErrorDetails, InDoubtError, parseInfolog } from "./errors.js";
import { classifyAnswer, isBusinessRuleBody } from "./failure-table.js";

export const MAX_BATCH_OPERATIONS = 5000;

export interface BatchOperation {
  readonly method: "POST" | "PATCH" | "DELETE" | "GET";
  /** Path under the environment, e.g. `/data/LedgerJournalLines`. */
  readonly path: string;
  readonly body?: unknown;
}

/** Operations that commit together or not at all. */
export interface Changeset {
  readonly operations: readonly BatchOperation[];
}

export interface OperationResult {
  readonly status: number;
  readonly body: PlainJson | undefined;
}

export type ChangesetResult =
  | { readonly ok: true; readonly results: readonly OperationResult[] }
  | { readonly ok: false; readonly error: D365Error; readonly failedIndex: number | undefined };

export function buildBatch(
  changesets: readonly Changeset[],
  baseUrl: string,
): { boundary: string; body: Buffer; contentIds: number[][] } {
  const count = changesets.reduce((total, changeset) => total + changeset.operations.length, 0);
  if (count > MAX_BATCH_OPERATIONS) {
    throw new BridgeError("D365_BATCH_TOO_LARGE", `The batch would hold ${count} operations.`);
  }
  const boundary = `batch_${randomUUID()}`;
  const parts: Buffer[] = [];
  const contentIds: number[][] = [];
  let nextId = 1;
  for (const changeset of changesets) {
    const inner = `changeset_${randomUUID()}`;
    const ids: number[] = [];
    const ops: Buffer[] = [];
    for (const operation of changeset.operations) {
      const id = nextId++;
      ids.push(id);
      const body = operation.body === undefined ? Buffer.alloc(0) : jsonBody(operation.body);
      ops.push(
        Buffer.concat([
          Buffer.from(
            [
              `--${inner}`,
              "Content-Type: application/http",
              "Content-Transfer-Encoding: binary",
              `Content-ID: ${id}`,
              "",
              `${operation.method} ${baseUrl}${operation.path} HTTP/1.1`,
              "Content-Type: application/json; odata.metadata=minimal; charset=utf-8",
              "OData-Version: 4.0",
              "OData-MaxVersion: 4.0",
              "Accept: application/json",
              "",
              "",
            ].join("\r\n"),
          ),
          body,
          Buffer.from("\r\n"),
        ]),
      );
    }
    contentIds.push(ids);
    parts.push(
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Type: multipart/mixed; boundary=${inner}\r\n\r\n`),
        ...ops,
        Buffer.from(`--${inner}--\r\n`),
      ]),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { boundary, body: Buffer.concat(parts), contentIds };
}

interface ParsedPart {
  readonly contentId?: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function boundaryOf(contentType: string): string | undefined {
  return /boundary=("?)([^";]+)\1/i.exec(contentType)?.[2];
}

function splitHead(text: string): { head: string; rest: string } {
  const end = /\r?\n\r?\n/.exec(text);
  return end
    ? { head: text.slice(0, end.index), rest: text.slice(end.index + end[0].length) }
    : { head: text, rest: "" };
}

function headersOf(head: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function sections(body: string, boundary: string): string[] {
  const all = body.split(`--${boundary}`);
  const out: string[] = [];
  for (const section of all.slice(1)) {
    if (section.startsWith("--")) break;
    out.push(section.replace(/^\r?\n/, ""));
  }
  return out;
}

/** One application/http part: its MIME headers, then an HTTP status line, headers and body. */
function parseHttpPart(section: string): ParsedPart {
  const mime = splitHead(section);
  const mimeHeaders = headersOf(mime.head);
  const http = splitHead(mime.rest);
  const [statusLine = "", ...headerLines] = http.head.split(/\r?\n/);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return {
    ...(mimeHeaders["content-id"] === undefined ? {} : { contentId: mimeHeaders["content-id"] }),
    status,
    headers: headersOf(headerLines.join("\n")),
    body: http.rest.replace(/\r?\n$/, ""),
  };
}

/** Parses a $batch answer into one result per changeset, in order. */
export function parseBatchResponse(
  contentType: string,
  body: Buffer,
  contentIds: readonly number[][],
  context: Omit<D365ErrorDetails, "status">,
): ChangesetResult[] {
  const boundary = boundaryOf(contentType);
  const invalid = (why: string) =>
    new D365Error("D365_INVALID_RESPONSE", `The $batch answer cannot be read: ${why}.`, context);
  if (boundary === undefined) throw invalid("no multipart boundary");
  const outer = sections(body.toString("utf8"), boundary);
  if (outer.length !== contentIds.length)
    throw invalid(`${outer.length} parts for ${contentIds.length} changesets`);
  return outer.map((section, index) => {
    const ids = contentIds[index] as number[];
    const head = splitHead(section);
    const inner = boundaryOf(headersOf(head.head)["content-type"] ?? "");
    // A changeset answer is a nested multipart; a single application/http part is a failure of the whole.
    const parts =
      inner === undefined ? [parseHttpPart(section)] : sections(head.rest, inner).map(parseHttpPart);
    const failed = parts.find((part) => part.status >= 400 || part.status === 0);
    if (failed !== undefined) {
      const json = readJson(Buffer.from(failed.body)) as Record<string, any> | undefined;
      const inner =
        typeof json?.error?.innererror?.message === "string" ? json.error.innererror.message : undefined;
      const message = typeof json?.error?.message === "string" ? json.error.message : `HTTP ${failed.status}`;
      const infolog = parseInfolog(inner);
      const decision = classifyAnswer({
        status: failed.status,
        where: "changeset",
        write: true,
        businessRule: isBusinessRuleBody(json),
        csrfRequired: false,
        retryAfter: false,
      });
      const failedIndex = failed.contentId === undefined ? undefined : ids.indexOf(Number(failed.contentId));
      const said =
        infolog.length > 0 ? infolog.map((line) => `${line.level}: ${line.text}`).join("; ") : message;
      return {
        ok: false,
        failedIndex: failedIndex === -1 ? undefined : failedIndex,
        error: new (decision.action === "in-doubt" ? InDoubtError : D365Error)(
          decision.code,
          `A changeset failed with ${failed.status}: ${said}`,
          {
            ...context,
            status: failed.status,
            odataMessage: message,
            ...(inner === undefined ? {} : { innerMessage: inner }),
            infolog,
          },
          { retryable: decision.retryable },
        ),
      };
    }
    if (parts.length !== ids.length)
      throw invalid(`a changeset of ${ids.length} operations has ${parts.length} answers`);
    const byId = new Map(parts.map((part) => [Number(part.contentId), part]));
    return {
      ok: true,
      results: ids.map((id, position) => {
        const part = byId.get(id) ?? (parts[position] as ParsedPart);
        return { status: part.status, body: readJson(Buffer.from(part.body)) };
      }),
    };
  });
}

/** Sends changesets in one $batch and returns a result per changeset (a write: never retried blind). */
export async function sendBatch(
  client: D365Client,
  changesets: readonly Changeset[],
  options: WriteOptions = {},
): Promise<ChangesetResult[]> {
  const { boundary, body, contentIds } = buildBatch(changesets, client.url);
  const response = await client.request({
    method: "POST",
    path: "/data/$batch",
    rawBody: { contentType: `multipart/mixed; boundary=${boundary}`, bytes: body },
    ...options,
  });
  const contentType = String(response.headers["content-type"] ?? "");
  return parseBatchResponse(contentType, response.body, contentIds, {
    method: "POST",
    url: `${client.url}/data/$batch`,
    requestId: response.requestId,
  });
}
