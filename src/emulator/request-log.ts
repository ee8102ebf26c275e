/**
 * What the emulator received, for tests and for the admin API. Headers are kept by allow-list and
 * credentials are never kept: no Authorization value, no cookies, no CSRF token, no client secret.
 */
import type { EmuRequest } from "./http.js";

export interface LoggedRequest {
  readonly seq: number;
  readonly time: string;
  readonly kind: "entra" | "fno" | "admin";
  readonly method: string;
  /** Path and query; the query of token requests carries no secrets, and form bodies are not kept. */
  readonly path: string;
  readonly clientRequestId?: string;
  readonly activityId: string;
  status?: number;
  durationMs?: number;
  /** Token requests: the grant type and client id (never the secret or the assertion). */
  grantType?: string;
  clientId?: string;
  /** F&O requests refused with 401: why, in the emulator's words (F&O says only "Authentication failed."). */
  authFailure?: string;
  /** $batch: how many operations it held. */
  operations?: number;
  /** The fault rule applied, if any. */
  fault?: string;
  /** Whether the request carried an X-CSRF-Token, and which kind (`Fetch` or a token). */
  csrf?: "fetch" | "token";
  /** Entity sets touched. */
  entitySets?: string[];
  readonly headers: Record<string, string>;
}

const KEPT_HEADERS = [
  "accept",
  "content-type",
  "content-length",
  "odata-version",
  "odata-maxversion",
  "prefer",
  "user-agent",
  "x-ms-client-request-id",
  "client-request-id",
  "if-match",
  // W3C trace context: how a trace from ledger-bridge reaches F&O (tests look for it).
  "traceparent",
];

export class RequestLog {
  private readonly entries: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly capacity = 20_000) {}

  start(request: EmuRequest, kind: LoggedRequest["kind"]): LoggedRequest {
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    if (request.headers.authorization !== undefined) {
      headers.authorization = `${String(request.headers.authorization).split(" ")[0]} [redacted]`;
    }
    const csrf = request.headers["x-csrf-token"];
    const entry: LoggedRequest = {
      seq: ++this.seq,
      time: new Date().toISOString(),
      kind,
      method: request.method,
      path: `${request.url.pathname}${loggedSearch(request.url)}`,
      activityId: request.activityId,
      headers,
      ...(csrf === undefined ? {} : { csrf: String(csrf).toLowerCase() === "fetch" ? "fetch" : "token" }),
      ...(headers["x-ms-client-request-id"] === undefined
        ? {}
        : { clientRequestId: headers["x-ms-client-request-id"] }),
    };
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    return entry;
  }

  list(since = 0): LoggedRequest[] {
    return this.entries.filter((entry) => entry.seq > since);
  }

  clear(): void {
    this.entries.length = 0;
  }
}

/** A query as logged: a write URL's SAS signature (`sig`) never is, whoever reads the log. */
function loggedSearch(url: URL): string {
  if (!url.searchParams.has("sig")) return url.search;
  const copy = new URLSearchParams(url.searchParams);
  copy.set("sig", "REDACTED");
  return `?${copy.toString()}`;
}
