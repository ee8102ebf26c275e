/**
 * The HTTP API (fastify). Every route but /healthz and /readyz needs an API key with the right scope;
 * a key limited to companies never sees or touches another company's journals. 4xx answers explain;
 * 5xx answers carry only a correlation id (the details go to the log).
 */
import { createHash, randomUUID } from "node:crypto";
import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import { isBridgeError } from "../core/errors/bridge-error.js";
import { codeSpec, ERROR_CODES, type ErrorCode, troubleshootingSection } from "../core/errors/codes.js";
import { type Issue, issueJson } from "../core/errors/issue.js";
import type { Journal } from "../core/journal.js";
import type { D365Client } from "../d365/client.js";
import type { JournalTarget } from "../d365/targets/index.js";
import type { WorkerHealth } from "../delivery/engine.js";
import { toNewJournal } from "../delivery/journal-record.js";
import { liveness } from "../delivery/liveness.js";
import { preflightEvents } from "../delivery/preflight.js";
import type { FnoActivity } from "../delivery/threaded-engine.js";
import type { DoctorReport } from "../doctor/doctor.js";
import { type ReadOptions, readJournalText } from "../ingest/source.js";
import { isCancellable, type JournalState, REDRIVABLE, STATES } from "../outbox/states.js";
import type { JournalSelection, OutboxStore, StoredJournal } from "../outbox/store.js";
import { API_ERRORS, type ApiErrorCode, ApiProblem, errorBody } from "./api-errors.js";
import type { ApiKey, ApiStore, Scope } from "./api-store.js";
import { registerDashboard } from "./dashboard.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";
import { type EntraApiAuthOptions, entraVerifier, looksLikeJwt } from "./entra-auth.js";
import { OPENAPI } from "./openapi.js";
import { metricsRegistry } from "./prometheus.js";
import { StateCounts } from "./state-counts.js";

export interface AppOptions {
  readonly store: OutboxStore;
  readonly apiStore: ApiStore;
  readonly client?: D365Client;
  /** Journals are compiled for it before anything is stored (refused with file, line and field). */
  readonly target?: JournalTarget;
  readonly doctor?: () => Promise<DoctorReport>;
  readonly logger?: Logger;
  /** Requests per second allowed per key (burst: twice as many). */
  readonly rateLimit?: number;
  readonly maxBodyBytes?: number;
  readonly maxLinesPerJournal?: number;
  /** How uploaded table files are read (the config's `input`); an upload may name its profile and sheet. */
  readonly readOptions?: ReadOptions;
  /** Whether journals submitted through the API are posted after delivery. */
  readonly post?: boolean;
  readonly now?: () => number;
  /** Delivery latency, when a worker runs in this process. */
  readonly delivery?: DeliveryMetrics;
  /** Accept Entra ID bearer tokens too (app roles LedgerBridge.Submit/Read/Admin). */
  readonly entra?: EntraApiAuthOptions;
  /** Whether a delivery worker runs in this process (the dashboard says so). */
  readonly worker?: boolean;
  /** What the worker's F&O client saw (answers, throttling), for /metrics and the dashboard. */
  readonly fno?: () => FnoActivity | undefined;
  /**
   * The worker's liveness report (with `worker`) and how long without progress (while F&O does not
   * ask to wait) makes it stalled: /readyz is not ready while it is stalled or failing.
   */
  readonly workerLiveness?: {
    readonly health: () => WorkerHealth | undefined;
    readonly stallAfterMs: number;
  };
}

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** How long /readyz waits for the store before it calls it unavailable. */
const READY_STORE_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("timed out")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** How long /readyz reuses its answer from F&O. */
const READY_CACHE_MS = 10_000;

/** Upload content types and the reader each one selects. */
const UPLOAD_TYPES: Record<string, string> = {
  "text/csv": "csv",
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
};

/** The framework's own refusals, in our codes and words (what to do is the code's `fix`). */
const FRAMEWORK_ERRORS: Record<string, { code: ApiErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: "UPLOAD_TYPE_UNSUPPORTED",
    message: "The request's Content-Type is not one the API reads.",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: "BODY_TOO_LARGE",
    message: "The request body is larger than the server accepts.",
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: "BODY_EMPTY", message: "The request body is empty." },
};

/** Who is calling: an API key or an Entra ID application (by its object id). */
export interface Caller {
  /** The key id, or `entra:<oid>`; scopes idempotency keys and rate limits. */
  readonly id: string;
  /** As written in the audit log and the journals' source. */
  readonly actor: string;
  readonly scopes: readonly Scope[];
  readonly companies: readonly string[] | null;
}

function callerOfKey(key: ApiKey): Caller {
  return { id: key.id, actor: `key:${key.id}`, scopes: [key.scope], companies: key.companies };
}

/** admin includes everything; submit and read are separate. */
function allows(caller: Caller, scope: Scope): boolean {
  return caller.scopes.includes("admin") || caller.scopes.includes(scope);
}

function mayTouch(key: Caller, company: string): boolean {
  return key.companies === null || key.companies.includes(company.toLowerCase());
}

function view(journal: StoredJournal) {
  return {
    key: journal.key,
    company: journal.company,
    journalName: journal.journalName,
    source: journal.source,
    state: journal.state,
    post: journal.post,
    lines: journal.lineCount,
    attempt: journal.attempt,
    journalBatchNumber: journal.journalBatchNumber,
    vouchers: journal.vouchers,
    error: journal.lastErrorCode === null ? null : explained(journal.lastErrorCode, journal.lastError),
    // What an admin may do with it now (the dashboard shows these buttons; the routes check again).
    actions: [
      ...(journal.state === "dead" ? ["redrive"] : []),
      ...(isCancellable(journal.state, journal.post) ? ["cancel"] : []),
    ],
    createdAt: new Date(journal.createdAt).toISOString(),
    updatedAt: new Date(journal.updatedAt).toISOString(),
  };
}

/** A stored error with what it means and what to do, from the error registry. */
function explained(code: string, message: string | null) {
  const known = code in ERROR_CODES ? (code as ErrorCode) : undefined;
  return {
    code,
    message,
    ...(known === undefined
      ? {}
      : {
          title: codeSpec(known).title,
          fix: codeSpec(known).fix,
          help: troubleshootingSection(known) ?? null,
        }),
  };
}

/** The bulk redrive's body: a JSON object (the raw bytes, as every JSON body here arrives). */
function selectionBody(raw: unknown): Record<string, unknown> {
  const text = Buffer.isBuffer(raw) ? raw.toString("utf8") : "";
  if (text.trim() === "")
    throw new ApiProblem(
      "BODY_EMPTY",
      'Send the selection as a JSON object, {"dryRun": true} first to count it.',
    );
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiProblem("BAD_REQUEST", "The body is not JSON.");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new ApiProblem("BAD_REQUEST", "The body must be a JSON object: the selection.");
  const dryRun = (body as Record<string, unknown>).dryRun;
  if (dryRun !== undefined && typeof dryRun !== "boolean")
    throw new ApiProblem("BAD_REQUEST", "dryRun must be true or false.");
  return body as Record<string, unknown>;
}

/** A time of a filter (ISO 8601), or BAD_FILTER. */
function isoTime(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at))
    throw new ApiProblem("BAD_FILTER", `${name} must be an ISO 8601 time, e.g. 2026-11-30T00:00:00Z.`);
  return at;
}

/** The API key or Entra ID token a request presents (Authorization: Bearer …, or X-API-Key). */
function presentedCredential(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const presented =
    typeof header === "string" && /^Bearer\s+/i.test(header)
      ? header.replace(/^Bearer\s+/i, "")
      : request.headers["x-api-key"];
  return typeof presented === "string" && presented !== "" ? presented : undefined;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const app = Fastify({
    bodyLimit: options.maxBodyBytes ?? 10 * 1024 * 1024,
    logger: false,
    genReqId: () => randomUUID(),
    // Requests Node's HTTP parser refuses (a control character in a header, a malformed request
    // line) never reach a route: they are answered here in the API's own error shape.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const tooLarge = (error as { code?: string }).code === "HPE_HEADER_OVERFLOW";
      const body = JSON.stringify(
        errorBody(
          "BAD_REQUEST",
          `The request could not be read as HTTP: ${tooLarge ? "its headers are too large" : "a header or the request line is malformed (control characters are not allowed)"}.`,
        ),
      );
      socket.end(
        `HTTP/1.1 ${tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });
  const rate = options.rateLimit ?? 50;
  const entra = options.entra === undefined ? undefined : entraVerifier(options.entra);
  const maxLines = options.maxLinesPerJournal ?? 10_000;

  // Bodies stay raw: amounts must reach the strict parser as digits, never as floats.
  app.addContentTypeParser(Object.keys(UPLOAD_TYPES), { parseAs: "buffer" }, (_request, body, done) =>
    done(null, body),
  );

  // Requests per second per caller (its credential, hashed: the cache never holds a secret), with
  // the standard x-ratelimit-* headers on every answer and Retry-After on a 429. The cache is an LRU
  // of 10,000 callers; requests without a credential are refused as unauthenticated instead.
  await app.register(rateLimit, {
    max: rate,
    timeWindow: 1000,
    cache: 10_000,
    allowList: (request) => presentedCredential(request) === undefined,
    keyGenerator: (request) =>
      createHash("sha256")
        .update(presentedCredential(request) ?? "")
        .digest("base64url")
        .slice(0, 22),
    errorResponseBuilder: (_request, limit) =>
      new ApiProblem("RATE_LIMITED", `At most ${limit.max} requests per second per key.`, {
        retryAfterSeconds: Math.max(1, Math.ceil(limit.ttl / 1000)),
      }),
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof ApiProblem) {
      void reply.status(error.status).send(errorBody(error.code, error.message, error.extra));
      return;
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const known = FRAMEWORK_ERRORS[(error as { code?: string }).code ?? ""];
      void reply
        .status(status)
        .send(
          known === undefined
            ? errorBody("BAD_REQUEST", (error as Error).message)
            : errorBody(known.code, known.message),
        );
      return;
    }
    if (isBridgeError(error) && error.code === "STORE_FULL") {
      // Nothing of this request was stored; what was acknowledged before is kept. Come back later.
      options.logger?.error({ correlationId: request.id, code: error.code }, "the outbox store is full");
      void reply
        .status(API_ERRORS.STORE_FULL.status)
        .header("retry-after", "60")
        .send(
          errorBody("STORE_FULL", "The outbox store has no room left; nothing of this request was stored."),
        );
      return;
    }
    if (isBridgeError(error) && error.code === "OUTBOX_CONFLICT") {
      // The store's message ends with the outbox code's own advice; the answer's `fix` gives the API's.
      const advice = codeSpec(error.code).fix;
      const message = error.message.endsWith(advice)
        ? error.message.slice(0, -advice.length).trimEnd()
        : error.message;
      void reply.status(API_ERRORS.OUTBOX_CONFLICT.status).send(errorBody(error.code, message));
      return;
    }
    options.logger?.error({ correlationId: request.id, err: String(error) }, "request failed");
    void reply.status(API_ERRORS.INTERNAL.status).send(
      errorBody("INTERNAL", "The request failed; quote the correlation id when you report it.", {
        correlationId: request.id,
      }),
    );
  });

  /** Any valid key or token when `scope` is null (the dashboard's sign-in asks who it is). */
  const authenticate = (scope: Scope | null) => async (request: FastifyRequest) => {
    const presented = presentedCredential(request);
    if (presented === undefined)
      throw new ApiProblem(
        "UNAUTHENTICATED",
        "An API key (Authorization: Bearer lbk_…) or an Entra ID token is required.",
      );
    const key = await identify(presented);
    if (scope !== null && !allows(key, scope))
      throw new ApiProblem(
        "FORBIDDEN",
        `This caller's scopes (${key.scopes.join(", ") || "none"}) do not allow ${scope}.`,
      );
    request.caller = key;
  };

  async function identify(presented: string): Promise<Caller> {
    if (presented.startsWith("lbk_") || entra === undefined || !looksLikeJwt(presented)) {
      const key = await options.apiStore.verify(presented);
      if (key === undefined)
        throw new ApiProblem("UNAUTHENTICATED", "The API key is not valid or was revoked.");
      return callerOfKey(key);
    }
    const { caller, reason } = await entra(presented);
    if (caller === undefined) {
      // The reason (expired, wrong audience, bad signature…) goes to the log, never the token itself.
      options.logger?.warn({ reason }, "Entra ID token refused");
      throw new ApiProblem("UNAUTHENTICATED", "The bearer token is not valid for this API.");
    }
    return { ...caller, actor: caller.id, companies: null };
  }

  app.get("/healthz", async () => ({ status: "ok" }));

  const reported = options.workerLiveness;
  const workerLiveness = () =>
    options.worker && reported
      ? liveness(reported.health(), now(), reported.stallAfterMs, options.fno?.()?.pausedForMs ?? 0)
      : undefined;

  const stateCounts = new StateCounts(options.store, now);
  const registry = metricsRegistry({
    counts: () => stateCounts.get(),
    ...(options.worker && reported ? { worker: workerLiveness } : {}),
    ...(options.fno === undefined ? {} : { fno: options.fno }),
    ...(options.delivery === undefined ? {} : { delivery: options.delivery }),
  });
  let fnoCheck: { at: number; result: string } | undefined;
  app.get("/readyz", async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      // A store that hangs is as unready as one that refuses. A lookup by key: probes come every few
      // seconds, and counting a million journals each time would load the store for nothing.
      await withTimeout(options.store.get("(readyz)"), READY_STORE_TIMEOUT_MS);
      checks.store = "ok";
    } catch {
      checks.store = "unavailable";
    }
    const worker = workerLiveness();
    if (worker !== undefined) checks.worker = worker.state;
    if (options.client !== undefined) {
      // Probes come every few seconds from every load balancer: F&O is asked at most every 10 s.
      if (fnoCheck === undefined || now() - fnoCheck.at >= READY_CACHE_MS) {
        let result: string;
        try {
          await options.client.request({ method: "GET", path: "/data/" });
          result = "ok";
        } catch (error) {
          result = isBridgeError(error) ? error.code : "unavailable";
        }
        fnoCheck = { at: now(), result };
      }
      checks.fno = fnoCheck.result;
    }
    const ready = Object.values(checks).every((value) => value === "ok");
    return reply
      .status(ready ? 200 : 503)
      .send({ ready, checks, ...(worker === undefined ? {} : { worker }) });
  });

  app.get("/openapi.json", async () => OPENAPI);
  registerDashboard(app);

  /**
   * Runs a submission under the IETF Idempotency-Key rules: the same key and body replays the first
   * answer, another body is 422, a first request still running is 409. The key is scoped to the API key.
   */
  async function idempotent(
    request: FastifyRequest,
    reply: FastifyReply,
    body: Buffer,
    run: () => Promise<{ status: number; payload: unknown }>,
  ) {
    const key = request.caller as Caller;
    const idempotencyKey = request.headers["idempotency-key"];
    const fingerprint = createHash("sha256").update(request.url).update("\n").update(body).digest("hex");
    if (typeof idempotencyKey === "string") {
      if (!/^[\x21-\x7e]{1,255}$/.test(idempotencyKey))
        throw new ApiProblem(
          "IDEMPOTENCY_KEY_INVALID",
          "Idempotency-Key must be 1-255 printable ASCII characters.",
        );
      const existing = await options.apiStore.beginIdempotent(key.id, idempotencyKey, fingerprint, now());
      if (existing !== undefined) {
        if (existing.fingerprint !== fingerprint)
          throw new ApiProblem(
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was used with another request body.",
          );
        if (existing.status === null)
          throw new ApiProblem(
            "IDEMPOTENCY_KEY_IN_FLIGHT",
            "A request with this Idempotency-Key is still being processed.",
          );
        return reply
          .status(existing.status)
          .header("idempotent-replayed", "true")
          .header("content-type", "application/json; charset=utf-8")
          .send(existing.body);
      }
    }
    try {
      const { status, payload } = await run();
      const text = JSON.stringify(payload);
      if (typeof idempotencyKey === "string") {
        // Validation failures are not kept: the client may fix the body and retry with the same key.
        if (status >= 400) await options.apiStore.abandonIdempotent(key.id, idempotencyKey);
        else await options.apiStore.finishIdempotent(key.id, idempotencyKey, status, text);
      }
      return reply.status(status).header("content-type", "application/json; charset=utf-8").send(text);
    } catch (error) {
      if (typeof idempotencyKey === "string")
        await options.apiStore.abandonIdempotent(key.id, idempotencyKey);
      throw error;
    }
  }

  const bodyOf = (request: FastifyRequest) => (request.body as Buffer | undefined) ?? Buffer.alloc(0);

  app.post("/v1/journals", { preHandler: authenticate("submit") }, async (request, reply) => {
    const body = bodyOf(request);
    return idempotent(request, reply, body, () => {
      // One journal object or a list of them: the JSON reader takes a top-level array or a sequence of
      // top-level objects, so a single object is read as it was sent (positions stay the client's).
      return submit("request.json", body, request.caller as Caller, `api:${(request.caller as Caller).id}`);
    });
  });

  app.post("/v1/journals/files", { preHandler: authenticate("submit") }, async (request, reply) => {
    const body = bodyOf(request);
    const type = String(request.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim()
      .toLowerCase();
    const extension = UPLOAD_TYPES[type ?? ""];
    if (extension === undefined)
      throw new ApiProblem(
        "UPLOAD_TYPE_UNSUPPORTED",
        `Content-Type ${type || "(none)"} is not a file type the API reads.`,
      );
    const query = request.query as Record<string, string | undefined>;
    const name = (query.name ?? `upload.${extension}`).replace(/[^\w.-]/g, "_").slice(0, 120);
    const named = name.toLowerCase().endsWith(`.${extension}`) ? name : `${name}.${extension}`;
    const read: ReadOptions = {
      ...options.readOptions,
      ...(query.profile === undefined ? {} : { profile: query.profile }),
      ...(query.sheet === undefined ? {} : { sheet: query.sheet }),
    };
    return idempotent(request, reply, body, () =>
      submit(named, body, request.caller as Caller, `api:${(request.caller as Caller).id}:${named}`, read),
    );
  });

  /** Validates and enqueues; the 202 is sent only after the outbox committed every journal. */
  async function submit(
    name: string,
    body: string | Buffer,
    key: Caller,
    source: string,
    read: ReadOptions = options.readOptions ?? {},
  ): Promise<{ status: number; payload: unknown }> {
    const journals: Journal[] = [];
    const errors: Issue[] = [];
    const events = readJournalText(name, body, read);
    for await (const event of options.target ? preflightEvents(events, options.target) : events) {
      if (event.kind === "issue") errors.push(event.issue);
      else {
        errors.push(...event.read.issues.filter((found) => found.severity === "error"));
        if (event.read.journal !== undefined) journals.push(event.read.journal);
      }
    }
    if (errors.length > 0)
      return {
        status: API_ERRORS.VALIDATION_FAILED.status,
        payload: errorBody("VALIDATION_FAILED", "The journals are not valid; nothing was stored.", {
          errors: errors.map(issueJson),
        }),
      };
    const tooLong = journals.find((journal) => journal.lines.length > maxLines);
    if (tooLong !== undefined)
      throw new ApiProblem(
        "TOO_MANY_LINES",
        `Journal ${tooLong.key} has ${tooLong.lines.length} lines; at most ${maxLines} per journal.`,
      );
    const foreign = journals.find((journal) => !mayTouch(key, journal.company));
    if (foreign !== undefined)
      throw new ApiProblem(
        "COMPANY_FORBIDDEN",
        `This key may not submit journals for company ${foreign.company}.`,
      );
    // All or nothing: a conflict anywhere stores none of them (409 naming every conflicting key).
    const results = await options.store.enqueueAll(
      journals.map((journal) => toNewJournal(journal, source, options.post ?? false)),
      now(),
    );
    return {
      status: 202,
      payload: {
        accepted: results.map((result) => ({
          key: result.journal.key,
          state: result.journal.state,
          duplicate: result.outcome === "duplicate",
        })),
      },
    };
  }

  app.get("/v1/journals", { preHandler: authenticate("read") }, async (request) => {
    const key = request.caller as Caller;
    const query = request.query as Record<string, string | undefined>;
    if (query.state !== undefined && !STATES.includes(query.state as (typeof STATES)[number])) {
      throw new ApiProblem("BAD_FILTER", `state must be one of ${STATES.join(", ")}.`);
    }
    const limit = Math.min(500, Math.max(1, Number(query.limit ?? 100) || 100));
    const since = isoTime("since", query.since);
    const before = isoTime("before", query.before);
    if (query.company !== undefined && !mayTouch(key, query.company))
      throw new ApiProblem("COMPANY_FORBIDDEN", `This key may not read company ${query.company}.`);
    const journals: StoredJournal[] = [];
    let after = query.after;
    // A key limited to companies sees only theirs: filter, and keep reading until the page is full.
    while (journals.length < limit) {
      const page = await options.store.list({
        ...(query.state === undefined ? {} : { state: query.state as StoredJournal["state"] }),
        ...(query.company === undefined ? {} : { company: query.company.toLowerCase() }),
        ...(query.source === undefined ? {} : { source: query.source }),
        ...(since === undefined ? {} : { updatedSince: since }),
        ...(before === undefined ? {} : { updatedBefore: before }),
        ...(after === undefined ? {} : { after }),
        limit,
      });
      if (page.length === 0) break;
      after = page.at(-1)?.key;
      journals.push(...page.filter((journal) => mayTouch(key, journal.company)));
      if (page.length < limit) break;
    }
    const shown = journals.slice(0, limit);
    return { journals: shown.map(view), next: shown.length === limit ? (shown.at(-1)?.key ?? null) : null };
  });

  const owned = async (request: FastifyRequest): Promise<StoredJournal> => {
    const key = request.caller as Caller;
    const journalKey = (request.params as { key: string }).key;
    const journal = await options.store.get(journalKey);
    // Another company's journal answers exactly like a missing one: its existence is not told.
    if (journal === undefined || !mayTouch(key, journal.company))
      throw new ApiProblem("NOT_FOUND", `No journal ${journalKey}.`);
    return journal;
  };

  app.get("/v1/journals/:key", { preHandler: authenticate("read") }, async (request) => {
    const journal = await owned(request);
    const events = await options.store.events(journal.key);
    return {
      journal: view(journal),
      trail: events.map((event) => ({ ...event, at: new Date(event.at).toISOString() })),
    };
  });

  app.post("/v1/journals/:key/redrive", { preHandler: authenticate("admin") }, async (request, reply) => {
    const journal = await owned(request);
    if (journal.state !== "dead")
      throw new ApiProblem(
        "NOT_DEAD",
        `Journal ${journal.key} is ${journal.state}; only dead journals are redriven.`,
      );
    const actor = (request.caller as Caller).actor;
    await options.store.redrive([journal.key], actor, now());
    await options.apiStore.audit(actor, "redrive", journal.key, { from: journal.lastErrorCode }, now());
    return reply.status(202).send({ key: journal.key, state: "ready" });
  });

  // Bulk redrive: the selection's count first (dryRun), then the redrive; both audited as asked.
  app.post("/v1/journals/redrive", { preHandler: authenticate("admin") }, async (request) => {
    const caller = request.caller as Caller;
    const body = selectionBody(request.body);
    const field = (name: string) => {
      const value = body[name];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== "string") throw new ApiProblem("BAD_FILTER", `${name} must be a string.`);
      return value;
    };
    const state = (field("state") ?? "dead") as JournalState;
    if (!REDRIVABLE.includes(state))
      throw new ApiProblem("BAD_FILTER", `state must be one of ${REDRIVABLE.join(", ")} for a redrive.`);
    const company = field("company")?.toLowerCase();
    if (company === undefined ? caller.companies !== null : !mayTouch(caller, company))
      throw new ApiProblem(
        "COMPANY_FORBIDDEN",
        company === undefined
          ? "This key is limited to some companies: name one of them in company."
          : `This key may not touch company ${company}.`,
      );
    const errorCode = field("errorCode");
    const since = isoTime("since", field("since"));
    const before = isoTime("before", field("before"));
    const selection: JournalSelection = {
      state,
      ...(company === undefined ? {} : { company }),
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(since === undefined ? {} : { updatedSince: since }),
      ...(before === undefined ? {} : { updatedBefore: before }),
    };
    if (body.dryRun === true) return { dryRun: true, matched: await options.store.count(selection) };
    const redriven = await options.store.redrive(selection, caller.actor, now());
    await options.apiStore.audit(
      caller.actor,
      "redrive-selection",
      null,
      { state, company: company ?? null, errorCode: errorCode ?? null, redriven },
      now(),
    );
    return { dryRun: false, redriven };
  });

  app.post("/v1/journals/:key/cancel", { preHandler: authenticate("admin") }, async (request) => {
    const journal = await owned(request);
    const actor = (request.caller as Caller).actor;
    const result = await options.store.cancel([journal.key], actor, now());
    const [refused] = result.refused;
    if (refused !== undefined)
      throw new ApiProblem(
        "NOT_CANCELLABLE",
        refused.reason === "in-flight"
          ? `Journal ${journal.key} is being delivered by a worker right now.`
          : `Journal ${journal.key} is ${refused.state ?? journal.state}: it is already delivered.`,
      );
    await options.apiStore.audit(actor, "cancel", journal.key, { from: journal.state }, now());
    return { key: journal.key, state: "cancelled" };
  });

  // The last report, so the dashboard shows it without making F&O calls on every view.
  let doctorReport: (DoctorReport & { at: string }) | null = null;
  app.get("/v1/doctor", { preHandler: authenticate("admin") }, async (request) => {
    if (options.doctor === undefined)
      throw new ApiProblem("NOT_AVAILABLE", "The doctor is not available on this instance.");
    if ((request.query as Record<string, string | undefined>).latest === "true") return doctorReport;
    doctorReport = { ...(await options.doctor()), at: new Date(now()).toISOString() };
    return doctorReport;
  });

  app.get("/v1/me", { preHandler: authenticate(null) }, async (request) => {
    const caller = request.caller as Caller;
    return { id: caller.id, actor: caller.actor, scopes: caller.scopes, companies: caller.companies };
  });

  app.get("/v1/overview", { preHandler: authenticate("read") }, async (request) => {
    const caller = request.caller as Caller;
    const counts = await stateCounts.get(caller.companies);
    const fno = options.fno?.();
    return {
      at: new Date(now()).toISOString(),
      counts: Object.fromEntries(STATES.map((state) => [state, counts[state] ?? 0])),
      worker: options.worker ?? false,
      liveness: workerLiveness() ?? null,
      throttle:
        fno === undefined
          ? null
          : {
              pausedForMs: fno.pausedForMs,
              throttled: fno.throttled,
              waitedMs: fno.throttleWaitMs,
              retries: fno.retries,
              inDoubt: fno.inDoubt,
            },
      activity: options.delivery?.activity(now()) ?? [],
    };
  });

  app.get("/metrics", { preHandler: authenticate("read") }, async (request, reply) => {
    // Metrics are the whole store's and the worker's, across companies: a key limited to some
    // companies may not read them (docs/http-api.md); its journals are in /v1/overview.
    const limited = (request.caller as Caller).companies;
    if (limited !== null)
      throw new ApiProblem(
        "COMPANY_FORBIDDEN",
        `/metrics covers every company; this key is limited to ${limited.join(", ")}. Read /v1/overview for its companies' counts.`,
      );
    return reply.header("content-type", registry.contentType).send(await registry.metrics());
  });

  return app;
}
