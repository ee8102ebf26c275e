/**
 * `$batch` (multipart/mixed) as F&O serves it: changesets are atomic — all their operations commit or
 * none does — independent operations outside changesets stand alone, the outer answer is 200 whatever
 * happened inside, and at most 5,000 operations are accepted.
 */
import { randomUUID } from "node:crypto";
import { STATUS_CODES } from "node:http";
import type { EmuResponse } from "../../http.js";
import { Transaction } from "../../state/store.js";
import { FnoErrors } from "../errors.js";
import type { Principal } from "../security.js";
import type { DataOperation, ODataService } from "./service.js";

export const MAX_BATCH_OPERATIONS = 5000;

interface BatchOperation extends DataOperation {
  readonly contentId?: string;
}

type BatchItem =
  | { readonly kind: "single"; readonly op: BatchOperation }
  | { readonly kind: "changeset"; readonly ops: BatchOperation[] };

export class BatchError extends Error {
  constructor(
    readonly kind: "invalid" | "unsupported",
    message: string,
  ) {
    super(message);
  }
}

function boundaryOf(contentType: string | undefined): string | undefined {
  const match = /boundary=("?)([^";]+)\1/i.exec(contentType ?? "");
  return match?.[2];
}

/** Splits a multipart body into its parts (each: headers and content). */
function splitParts(
  body: string,
  boundary: string,
): Array<{ headers: Map<string, string>; content: string }> {
  const delimiter = `--${boundary}`;
  const sections = body.split(delimiter);
  if (sections.length < 2)
    throw new BatchError("invalid", `The body has no part delimited by '${delimiter}'.`);
  const parts: Array<{ headers: Map<string, string>; content: string }> = [];
  for (const section of sections.slice(1)) {
    if (section.startsWith("--")) break;
    const text = section.replace(/^\r?\n/, "");
    const { headers, rest } = readHeaders(text);
    parts.push({ headers, content: rest.replace(/\r?\n$/, "") });
  }
  return parts;
}

function readHeaders(text: string): { headers: Map<string, string>; rest: string } {
  const end = /\r?\n\r?\n/.exec(text);
  const head = end ? text.slice(0, end.index) : text;
  const rest = end ? text.slice(end.index + end[0].length) : "";
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, rest };
}

/** Resolves an operation's URL (absolute, /data/…, or relative to the service root) to a data path. */
function dataPath(url: string, origin: string): { path: string; query: URLSearchParams } {
  if (/^\$\d+/.test(url)) throw new BatchError("unsupported", "Content-ID references ($1) in a changeset");
  const absolute = new URL(url, `${origin}/data/`);
  const index = absolute.pathname.indexOf("/data/");
  if (index < 0) throw new BatchError("invalid", `The operation URL '${url}' is not under /data/.`);
  return { path: absolute.pathname.slice(index + "/data/".length), query: absolute.searchParams };
}

function parseOperation(content: string, contentId: string | undefined, origin: string): BatchOperation {
  const rest = content;
  const newline = rest.search(/\r?\n/);
  const requestLine = newline < 0 ? rest : rest.slice(0, newline);
  const match = /^(GET|POST|PATCH|PUT|DELETE|MERGE)\s+(\S+)\s+HTTP\/1\.[01]$/.exec(requestLine.trim());
  if (!match) throw new BatchError("invalid", `'${requestLine}' is not a request line.`);
  const { headers, rest: body } = readHeaders(newline < 0 ? "" : rest.slice(newline).replace(/^\r?\n/, ""));
  const { path, query } = dataPath(match[2] as string, origin);
  return {
    method: match[1] as string,
    path,
    query,
    headers: Object.fromEntries(headers),
    body: Buffer.from(body.replace(/\r?\n$/, ""), "utf8"),
    origin,
    ...(contentId === undefined ? {} : { contentId }),
  };
}

export function parseBatch(body: Buffer, contentType: string | undefined, origin: string): BatchItem[] {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined || !/multipart\/mixed/i.test(contentType ?? "")) {
    throw new BatchError("invalid", "A $batch request must be multipart/mixed with a boundary.");
  }
  const items: BatchItem[] = [];
  for (const part of splitParts(body.toString("utf8"), boundary)) {
    const type = part.headers.get("content-type") ?? "";
    if (/multipart\/mixed/i.test(type)) {
      const inner = boundaryOf(type);
      if (inner === undefined) throw new BatchError("invalid", "A changeset has no boundary.");
      const ops = splitParts(part.content, inner).map((op) =>
        parseOperation(op.content, op.headers.get("content-id"), origin),
      );
      if (ops.some((op) => op.method === "GET"))
        throw new BatchError("invalid", "A changeset may not contain GET requests.");
      items.push({ kind: "changeset", ops });
    } else if (/application\/http/i.test(type)) {
      items.push({
        kind: "single",
        op: parseOperation(part.content, part.headers.get("content-id"), origin),
      });
    } else {
      throw new BatchError(
        "invalid",
        `A batch part has Content-Type '${type}'; expected application/http or multipart/mixed.`,
      );
    }
  }
  return items;
}

export function operationCount(items: readonly BatchItem[]): number {
  return items.reduce((count, item) => count + (item.kind === "single" ? 1 : item.ops.length), 0);
}

export function operationsOf(items: readonly BatchItem[]): BatchOperation[] {
  return items.flatMap((item) => (item.kind === "single" ? [item.op] : item.ops));
}

function httpPart(response: EmuResponse, contentId: string | undefined): string {
  const lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"];
  if (contentId !== undefined) lines.push(`Content-ID: ${contentId}`);
  lines.push("", `HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ""}`);
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    lines.push(`${name}: ${Array.isArray(value) ? value.join(", ") : value}`);
  }
  lines.push("", typeof response.body === "string" ? response.body : (response.body?.toString("utf8") ?? ""));
  return lines.join("\r\n");
}

/** Runs the batch and renders the multipart answer (outer status 200). */
export function executeBatch(
  items: readonly BatchItem[],
  service: ODataService,
  principal: Principal,
): EmuResponse {
  const boundary = `batchresponse_${randomUUID()}`;
  const parts: string[] = [];
  for (const item of items) {
    if (item.kind === "single") {
      const tx = new Transaction();
      const response = service.execute(item.op, principal, tx);
      if (response.status >= 400) tx.rollback();
      parts.push(httpPart(response, item.op.contentId));
      continue;
    }
    const tx = new Transaction();
    const responses: Array<[EmuResponse, string | undefined]> = [];
    let failed: [EmuResponse, string | undefined] | undefined;
    for (const op of item.ops) {
      const response = service.execute(op, principal, tx);
      if (response.status >= 400) {
        failed = [response, op.contentId];
        break;
      }
      responses.push([response, op.contentId]);
    }
    if (failed !== undefined) tx.rollback();
    const changeset = `changesetresponse_${randomUUID()}`;
    // A failed changeset answers with the failing operation alone: nothing of it was kept.
    const shown = failed === undefined ? responses : [failed];
    parts.push(
      [
        `Content-Type: multipart/mixed; boundary=${changeset}`,
        "",
        ...shown.map(([response, contentId]) => `--${changeset}\r\n${httpPart(response, contentId)}`),
        `--${changeset}--`,
      ].join("\r\n"),
    );
  }
  const body = `${parts.map((part) => `--${boundary}\r\n${part}`).join("\r\n")}\r\n--${boundary}--\r\n`;
  return {
    status: 200,
    headers: { "content-type": `multipart/mixed; boundary=${boundary}`, "odata-version": "4.0" },
    body,
  };
}

export function batchTooLarge(count: number): EmuResponse {
  return FnoErrors.badRequest(
    `The batch has ${count} operations; at most ${MAX_BATCH_OPERATIONS} are allowed.`,
  );
}
