/**
 * The F&O OData client. Every request goes through one pipeline, each concern with one owner:
 *
 *   request id (x-ms-client-request-id, kept across retries) → shared throttle pause → bearer token
 *   (one forced refresh after a 401) → write token (only when a server asks: X-CSRF-Token) →
 *   connection pool with a concurrency cap → timeout → classification → retry → redacted log
 *
 * Retry rules: a request that provably never left (refused, DNS, TLS) is retried whatever its method;
 * GETs are retried on 408, 5xx and broken answers with exponential backoff and full jitter; 429 (and
 * 503 with Retry-After on GETs) waits as long as F&O asks, shared by every request. A write whose
 * bytes left and whose answer never came back — or came back as a gateway error — is never retried
 * here: it fails with InDoubtError, for the delivery engine to reconcile. Other 4xx are final.
 * What each answer means is one table, shared with the $batch parser: ./failure-table.ts.
 */
import { randomUUID } from "node:crypto";
import { context, propagation, SpanKind } from "@opentelemetry/api";
import Big from "big.js";
import type { Logger } from "pino";
import type { TokenProvider } from "../auth/token-provider.js";
import { type PlainJson, parseJson, stringifyJson, toPlain } from "../common/json.js";
import { type Clock, realSleepFn, type Sleep, systemClock } from "../common/time.js";
import { DEFAULTS } from "../config/defaults.js";
import type { ErrorCode } from "../core/errors/codes.js";
import { endWithError, tracer } from "../telemetry/tracing.js";
import { D365Error, type D365ErrorDetails, InDoubtError, parseInfolog } from "./errors.js";
import { classifyAnswer, type Decision, isBusinessRuleBody } from "./failure-table.js";
import { redactUrl } from "./redact.js";
import { retryAfterMs } from "./retry-after.js";
import { Limiter, ThrottleGate } from "./throttle.js";
import { type HttpResponse, HttpsTransport, TransportFailure } from "./transport.js";

export type CsrfMode = "auto" | "always" | "never";

export interface RetryOptions {
  /** Retries after the first attempt for retryable failures (default 3). */
  readonly maxRetries: number;
  /** Base of the exponential backoff in ms (default 800). */
  readonly baseDelayMs: number;
  /** Longest single backoff in ms (default 60,000). */
  readonly maxDelayMs: number;
  /** 429 answers waited out before giving up (default 10). */
  readonly maxThrottleRetries: number;
  /** A Retry-After longer than this fails at once (the caller reschedules) instead of sleeping (default 300,000). */
  readonly maxRetryAfterMs: number;
  /** Wait when a 429 carries no readable Retry-After (default 30,000, as Microsoft's sample). */
  readonly defaultRetryAfterMs: number;
}

export interface D365ClientOptions {
  /** The environment URL, normalised (no slash, lower-case host). */
  readonly url: string;
  readonly tokens: TokenProvider;
  readonly csrf?: CsrfMode;
  /** Requests in flight at once (default 8). */
  readonly concurrency?: number;
  /** Per attempt, in ms (default 120,000). */
  readonly timeoutMs?: number;
  readonly retry?: Partial<RetryOptions>;
  /** Extra CA to trust (PEM), e.g. the emulator's. */
  readonly caCertPem?: string;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /** Random numbers in [0, 1) for jitter. */
  readonly random?: () => number;
  readonly onEvent?: (event: ClientEvent) => void;
}

export type ClientEvent =
  | {
      readonly type: "throttled";
      readonly waitMs: number;
      readonly status: number;
      readonly requestId: string;
    }
  | {
      readonly type: "retry";
      readonly attempt: number;
      readonly delayMs: number;
      readonly reason: string;
      readonly requestId: string;
    }
  | { readonly type: "token-refresh"; readonly requestId: string }
  | { readonly type: "csrf-fetch"; readonly requestId: string }
  | {
      readonly type: "response";
      readonly status: number;
      readonly method: string;
      readonly durationMs: number;
    };

export interface D365Request {
  readonly method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** Path under the environment URL, e.g. `/data/LedgerJournalHeaders` (already encoded). */
  readonly path: string;
  readonly body?: unknown;
  /** A body given already serialised (e.g. multipart $batch). */
  readonly rawBody?: { readonly contentType: string; readonly bytes: Buffer };
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /**
   * Asked before every attempt to send: false keeps the bytes home and fails the request, not sent,
   * with DELIVERY_LEASE_EXPIRED. The delivery engine answers whether the lease it last confirmed is
   * still running, so no write leaves a worker that may no longer own the journal.
   */
  readonly mayStillSend?: () => boolean;
  /** Kept across retries; generated when absent. */
  readonly requestId?: string;
  /**
   * A POST that changes nothing (an OData action that only reads, such as a package execution's
   * status): retried like a GET, never in doubt.
   */
  readonly readOnly?: boolean;
}

/** What a caller of a write may add: cancellation, and the window in which its bytes may leave. */
export type WriteOptions = Pick<D365Request, "signal" | "mayStillSend">;

export interface D365Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly requestId: string;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);
/** Sends with a write token another request renewed meanwhile, before the request gives up. */
const MAX_STALE_WRITE_TOKENS = 3;
const DEFAULT_RETRY: RetryOptions = {
  maxRetries: 3,
  baseDelayMs: 800,
  maxDelayMs: 60_000,
  maxThrottleRetries: 10,
  maxRetryAfterMs: 300_000,
  defaultRetryAfterMs: 30_000,
};

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a JSON body without ever turning a decimal into a float. */
export function readJson(body: Buffer): PlainJson | undefined {
  const text = body.toString("utf8").trim();
  if (text === "") return undefined;
  try {
    return toPlain(parseJson(text));
  } catch {
    return undefined;
  }
}

function isBig(value: unknown): value is Big.Big {
  return value instanceof Big;
}

/** Serialises a request body: exact decimals (big.js) become JSON numbers with every digit. */
export function jsonBody(value: unknown): Buffer {
  return Buffer.from(stringifyJson(value, { isDecimal: isBig }), "utf8");
}

/** Counters for metrics (served by `serve` at /metrics): what F&O answered and what it cost. */
export interface ClientMetrics {
  /** Answers by HTTP status. */
  readonly responses: Map<number, number>;
  throttled: number;
  /** Milliseconds spent waiting because F&O throttled. */
  throttleWaitMs: number;
  tokenRefreshes: number;
  csrfFetches: number;
  retries: number;
  inDoubt: number;
}

interface SessionState {
  csrfToken?: string;
  readonly cookies: Map<string, string>;
}

export class D365Client {
  readonly url: string;
  readonly gate: ThrottleGate;
  private readonly transport: HttpsTransport;
  private readonly limiter: Limiter;
  private readonly retry: RetryOptions;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  /** The longest a request may be in flight (ms): after it, its answer is given up for lost. */
  readonly timeoutMs: number;
  private readonly csrf: CsrfMode;
  readonly metrics: ClientMetrics = {
    responses: new Map(),
    throttled: 0,
    throttleWaitMs: 0,
    tokenRefreshes: 0,
    csrfFetches: 0,
    retries: 0,
    inDoubt: 0,
  };
  /** The write token and the session cookies it came with, for this environment. */
  private readonly session: SessionState = { cookies: new Map() };
  /** The write-token fetch under way, shared by every request that needs it. */
  private csrfFetch: Promise<void> | undefined;

  /** Where this client's tokens come from (the doctor checks the same provider the client uses). */
  get tokens(): TokenProvider {
    return this.options.tokens;
  }

  constructor(private readonly options: D365ClientOptions) {
    this.url = options.url;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleepFn;
    this.random = options.random ?? Math.random;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.csrf = options.csrf ?? "auto";
    const concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.limiter = new Limiter(concurrency);
    this.gate = new ThrottleGate(this.clock, this.sleep);
    this.transport = new HttpsTransport({
      maxSockets: concurrency,
      ...(options.caCertPem === undefined ? {} : { ca: options.caCertPem }),
    });
  }

  close(): void {
    this.transport.close();
  }

  private emit(event: ClientEvent): void {
    const metrics = this.metrics;
    switch (event.type) {
      case "response":
        metrics.responses.set(event.status, (metrics.responses.get(event.status) ?? 0) + 1);
        break;
      case "throttled":
        metrics.throttled++;
        metrics.throttleWaitMs += event.waitMs;
        break;
      case "token-refresh":
        metrics.tokenRefreshes++;
        break;
      case "csrf-fetch":
        metrics.csrfFetches++;
        break;
      case "retry":
        metrics.retries++;
        break;
    }
    this.options.onEvent?.(event);
  }

  /** Full jitter: a uniform wait between 0 and the exponential cap (AWS Architecture Blog). */
  backoffMs(attempt: number): number {
    const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
    return Math.floor(this.random() * cap);
  }

  /**
   * One request to F&O, with its retries, token refresh, write-token fetch and throttle waits, as
   * one span (attributes: method, URL without secrets, request id, status; W3C `traceparent` sent).
   */
  async request(request: D365Request): Promise<D365Response> {
    const requestId = request.requestId ?? randomUUID();
    return tracer().startActiveSpan(
      `F&O ${request.method}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "http.request.method": request.method,
          "url.full": redactUrl(new URL(request.path, `${this.url}/`)),
          "ledger_bridge.request_id": requestId,
        },
      },
      async (span) => {
        try {
          const response = await this.send({ ...request, requestId });
          span.setAttribute("http.response.status_code", response.status);
          span.end();
          return response;
        } catch (error) {
          if (error instanceof D365Error && error.details.status !== undefined)
            span.setAttribute("http.response.status_code", error.details.status);
          endWithError(span, error);
          throw error;
        }
      },
    );
  }

  private async send(request: D365Request & { requestId: string }): Promise<D365Response> {
    const requestId = request.requestId;
    const url = new URL(request.path, `${this.url}/`);
    const safe = SAFE_METHODS.has(request.method) || request.readOnly === true;
    const write = !safe;
    const body = request.rawBody?.bytes ?? (request.body === undefined ? undefined : jsonBody(request.body));
    const contentType =
      request.rawBody?.contentType ?? (body === undefined ? undefined : "application/json; charset=utf-8");
    const base: Omit<D365ErrorDetails, "status"> = { method: request.method, url: redactUrl(url), requestId };
    const log = this.options.logger;

    let retries = 0;
    let throttles = 0;
    let refreshed = false;
    let csrfFetched = false;
    let staleTokens = 0;
    if (write && this.csrf === "always" && this.session.csrfToken === undefined) {
      await this.fetchCsrfToken(requestId, request.signal);
      csrfFetched = true;
    }

    for (;;) {
      await this.gate.wait(request.signal);
      const token = await this.options.tokens.token(request.signal ? { signal: request.signal } : {});
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        "odata-version": "4.0",
        "odata-maxversion": "4.0",
        "x-ms-client-request-id": requestId,
        ...(contentType === undefined ? {} : { "content-type": contentType }),
        ...this.sessionHeaders(write),
        ...request.headers,
      };
      // traceparent (and tracestate) of this request's span, when tracing is on.
      propagation.inject(context.active(), headers);
      const started = this.clock.now();
      let response: HttpResponse;
      try {
        response = await this.limiter.run(() => {
          if (request.mayStillSend !== undefined && !request.mayStillSend()) {
            throw new D365Error(
              "DELIVERY_LEASE_EXPIRED",
              `${request.method} ${base.url} was not sent: the lease on the journal may have run out.`,
              base,
            );
          }
          return this.transport.send({
            method: request.method,
            url,
            headers,
            ...(body === undefined ? {} : { body }),
            timeoutMs: this.timeoutMs,
            ...(request.signal === undefined ? {} : { signal: request.signal }),
          });
        });
      } catch (error) {
        if (!(error instanceof TransportFailure)) throw error;
        const failure = error;
        log?.warn(
          { requestId, method: request.method, url: base.url, failure: failure.kind, sent: failure.sent },
          "d365 request failed",
        );
        if (failure.kind === "aborted" && !failure.sent) {
          throw new D365Error("D365_CANCELLED", `${request.method} ${base.url} was cancelled.`, base, {
            cause: failure,
          });
        }
        if (failure.sent && write) {
          this.metrics.inDoubt++;
          throw new InDoubtError(
            "D365_IN_DOUBT",
            `${request.method} ${base.url} was sent but ${failure.kind === "timeout" ? "no answer came in time" : "the connection failed before the answer"} (${failure.code ?? failure.kind}).`,
            base,
            { cause: failure },
          );
        }
        if (failure.kind !== "aborted" && failure.kind !== "tls" && retries < this.retry.maxRetries) {
          await this.backoff(retries++, `${failure.kind}`, requestId, request.signal);
          continue;
        }
        const code: ErrorCode =
          failure.kind === "tls"
            ? "AUTH_UNTRUSTED_CERTIFICATE"
            : failure.kind === "timeout"
              ? "D365_TIMEOUT"
              : "D365_UNREACHABLE";
        throw new D365Error(code, `${request.method} ${base.url} failed: ${failure.message}.`, base, {
          cause: failure,
        });
      }
      const durationMs = this.clock.now() - started;
      this.emit({ type: "response", status: response.status, method: request.method, durationMs });
      log?.debug(
        { requestId, method: request.method, url: base.url, status: response.status, durationMs },
        "d365 response",
      );
      this.keepCookies(response);

      const status = response.status;
      if (status < 300) return { ...response, requestId };
      const details = this.details(base, response);
      const retryAfter = retryAfterMs(response.headers, this.clock.now());
      const decision = classifyAnswer({
        status,
        where: "direct",
        write,
        businessRule: isBusinessRuleBody(readJson(response.body)),
        csrfRequired: headerValue(response.headers, "x-csrf-token")?.toLowerCase() === "required",
        retryAfter: retryAfter !== undefined,
      });
      switch (decision.action) {
        case "fetch-write-token":
          // Another request renewed the token while this one was in flight with the old one: send
          // again with the session's current token, without counting it as this request's fetch.
          if (
            this.csrf !== "never" &&
            headers["x-csrf-token"] !== this.session.csrfToken &&
            staleTokens++ < MAX_STALE_WRITE_TOKENS
          )
            continue;
          if (this.csrf === "never" || csrfFetched) {
            throw new D365Error(
              decision.code,
              `${request.method} ${base.url} was refused for want of a write token (${status}).`,
              details,
            );
          }
          await this.fetchCsrfToken(requestId, request.signal);
          csrfFetched = true;
          continue;
        case "refresh-token":
          if (refreshed) {
            throw new D365Error(
              decision.code,
              `F&O refused the token for ${request.method} ${base.url} (401), also a fresh one.`,
              details,
            );
          }
          refreshed = true;
          this.emit({ type: "token-refresh", requestId });
          await this.options.tokens.token({
            forceRefresh: true,
            ...(request.signal ? { signal: request.signal } : {}),
          });
          continue;
        case "throttle": {
          const wait = retryAfter ?? this.retry.defaultRetryAfterMs;
          if (wait > this.retry.maxRetryAfterMs || throttles >= this.retry.maxThrottleRetries) {
            throw new D365Error(
              decision.code,
              `F&O throttled ${request.method} ${base.url} (${status}); it asks to wait ${Math.ceil(wait / 1000)} s.`,
              { ...details, retryAfterMs: wait },
            );
          }
          throttles++;
          this.gate.pause(wait);
          this.emit({ type: "throttled", waitMs: wait, status, requestId });
          log?.info(
            { requestId, waitMs: wait, status },
            `waiting ${Math.ceil(wait / 1000)} s, throttled by F&O`,
          );
          continue;
        }
        case "retry":
          if (retries < this.retry.maxRetries) {
            await this.backoff(retries++, `status ${status}`, requestId, request.signal);
            continue;
          }
          throw this.failure(request.method, base.url, details, decision);
        case "in-doubt":
          this.metrics.inDoubt++;
          throw new InDoubtError(
            decision.code,
            `${request.method} ${base.url} got ${status}: it may or may not have been carried out.`,
            details,
          );
        case "fail":
          throw this.failure(request.method, base.url, details, decision);
      }
    }
  }

  private details(base: Omit<D365ErrorDetails, "status">, response: HttpResponse): D365ErrorDetails {
    const body = readJson(response.body) as Record<string, any> | undefined;
    const error = body?.error;
    const inner =
      typeof error?.innererror?.message === "string"
        ? error.innererror.message
        : typeof body?.Message === "string"
          ? body.Message
          : undefined;
    const activityId =
      headerValue(response.headers, "ms-dyn-aid") ??
      headerValue(response.headers, "x-ms-request-id") ??
      (typeof body?.ActivityId === "string" ? body.ActivityId : undefined);
    return {
      ...base,
      status: response.status,
      ...(typeof error?.code === "string" ? { odataCode: error.code } : {}),
      ...(typeof error?.message === "string"
        ? { odataMessage: error.message }
        : typeof body?.Message === "string"
          ? { odataMessage: body.Message }
          : {}),
      ...(inner === undefined ? {} : { innerMessage: inner, infolog: parseInfolog(inner) }),
      ...(activityId === undefined ? {} : { activityId }),
    };
  }

  private failure(method: string, url: string, details: D365ErrorDetails, decision: Decision): D365Error {
    const said =
      details.infolog && details.infolog.length > 0
        ? details.infolog.map((line) => `${line.level}: ${line.text}`).join("; ")
        : (details.odataMessage ?? `HTTP ${details.status}`);
    return new D365Error(decision.code, `${method} ${url} failed with ${details.status}: ${said}`, details, {
      retryable: decision.retryable,
    });
  }

  private async backoff(
    attempt: number,
    reason: string,
    requestId: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const delayMs = this.backoffMs(attempt);
    this.emit({ type: "retry", attempt: attempt + 1, delayMs, reason, requestId });
    await this.sleep(delayMs, signal);
  }

  private sessionHeaders(write: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (this.session.cookies.size > 0) {
      headers.cookie = [...this.session.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    }
    if (write && this.session.csrfToken !== undefined) headers["x-csrf-token"] = this.session.csrfToken;
    return headers;
  }

  private keepCookies(response: HttpResponse): void {
    const setCookie = response.headers["set-cookie"];
    for (const cookie of Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie]) {
      const pair = cookie.split(";")[0] ?? "";
      const eq = pair.indexOf("=");
      if (eq > 0) this.session.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  /**
   * GET on the service root with `X-CSRF-Token: Fetch`; keeps the token and the session cookies.
   * One fetch at a time for the whole client: writes refused together share it, because a gateway
   * keeps one token per session and each fetch may replace the token the others just got.
   */
  private fetchCsrfToken(requestId: string, signal?: AbortSignal): Promise<void> {
    this.csrfFetch ??= this.fetchCsrfTokenOnce(requestId, signal).finally(() => {
      this.csrfFetch = undefined;
    });
    return this.csrfFetch;
  }

  private async fetchCsrfTokenOnce(requestId: string, signal?: AbortSignal): Promise<void> {
    this.emit({ type: "csrf-fetch", requestId });
    const answer = await this.request({
      method: "GET",
      path: "/data/",
      headers: { "x-csrf-token": "Fetch" },
      requestId,
      ...(signal === undefined ? {} : { signal }),
    });
    const token = headerValue(answer.headers, "x-csrf-token");
    if (token === undefined || token === "" || token.toLowerCase() === "required") {
      throw new D365Error(
        "D365_CSRF_REJECTED",
        "The server asked for a write token but handed none out on X-CSRF-Token: Fetch.",
        {
          method: "GET",
          url: redactUrl(new URL("/data/", `${this.url}/`)),
          requestId,
          status: answer.status,
        },
      );
    }
    this.session.csrfToken = token;
  }

  /** The request's body as JSON (lossless), for callers that read entities. */
  /**
   * A PUT of bytes to a storage URL F&O handed out (a data package's write URL): no bearer token —
   * the URL's signature is the credential, and it never appears in an error (redacted) — over the
   * client's connections and trust. A failure is the caller's: nothing is retried here.
   */
  async putBlob(url: string, bytes: Buffer, options: WriteOptions = {}): Promise<void> {
    await this.storage("PUT", url, options, bytes);
  }

  /** A GET of a file at a storage URL F&O handed out (an error keys file), as putBlob. */
  async getBlob(url: string, options: WriteOptions = {}): Promise<Buffer> {
    return this.storage("GET", url, options);
  }

  private async storage(
    method: "GET" | "PUT",
    url: string,
    options: WriteOptions,
    bytes?: Buffer,
  ): Promise<Buffer> {
    const target = new URL(url);
    const shown = redactUrl(target);
    const base = { method, url: shown, requestId: randomUUID() };
    if (options.mayStillSend !== undefined && !options.mayStillSend())
      throw new D365Error(
        "DELIVERY_LEASE_EXPIRED",
        `${method} ${shown} was not sent: the lease may have run out.`,
        base,
      );
    let response: HttpResponse;
    try {
      response = await this.transport.send({
        method,
        url: target,
        headers: {
          "x-ms-version": "2020-10-02",
          "x-ms-date": new Date(this.clock.now()).toUTCString(),
          ...(bytes === undefined
            ? {}
            : { "x-ms-blob-type": "BlockBlob", "content-type": "application/octet-stream" }),
        },
        ...(bytes === undefined ? {} : { body: bytes }),
        timeoutMs: this.timeoutMs,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (error) {
      if (!(error instanceof TransportFailure)) throw error;
      throw new D365Error("D365_UNREACHABLE", `${method} ${shown} failed: ${error.message}.`, base, {
        cause: error,
      });
    }
    if (response.status !== 201 && response.status !== 200)
      throw new D365Error(
        response.status === 403 ? "D365_FORBIDDEN" : "D365_UNREACHABLE",
        `${method} ${shown} was refused by the storage service (${response.status}).`,
        { ...base, status: response.status },
      );
    return response.body;
  }

  static json(response: D365Response): PlainJson | undefined {
    return readJson(response.body);
  }
}
