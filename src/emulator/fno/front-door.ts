/**
 * Everything F&O does to a request before and after the OData service or a custom service handles it:
 * resource throttling, fault injection, latency, authentication, the CSRF gateway of the
 * `csrf-gateway` scenario. The order is fixed here, in one place:
 *
 *   throttle (429) → latency → CSRF gateway (writes) → token and Entra application check (401) →
 *   fault before commit → handler in a transaction → fault after commit → CSRF token issue (GET or
 *   HEAD with X-CSRF-Token: Fetch, on any readable path: the service root, a set, with or without a
 *   trailing slash, as SAP-style gateways issue them)
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { EmulatorContext } from "../context.js";
import {
  type EmuRequest,
  type EmuResponse,
  type HandlerResult,
  header,
  isConnectionAction,
  json,
} from "../http.js";
import type { LoggedRequest } from "../request-log.js";
import type { FaultRule } from "../state/model.js";
import { Transaction } from "../state/store.js";
import { FnoErrors } from "./errors.js";
import type { Journals } from "./journals.js";
import {
  BatchError,
  batchTooLarge,
  executeBatch,
  MAX_BATCH_OPERATIONS,
  operationCount,
  operationsOf,
  parseBatch,
} from "./odata/batch.js";
import type { DataOperation, ODataService } from "./odata/service.js";
import { BLOB_PATH, PACKAGE_ACTIONS_PATH, PackageService } from "./packages.js";
import { POSTING_SERVICE, POSTING_SERVICE_PATH, PostingService } from "./posting.js";
import { authenticate, canCallService, type Principal } from "./security.js";

const WRITE_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE", "MERGE"]);
const CSRF_COOKIE = "gateway-session";

export function isFnoPath(path: string): boolean {
  return (
    path.startsWith(BLOB_PATH) ||
    path === "/data" ||
    path.startsWith("/data/") ||
    path === "/api/services" ||
    path.startsWith("/api/services/")
  );
}

export class FnoFrontDoor {
  private readonly posting: PostingService;
  readonly packages: PackageService;

  constructor(
    private readonly context: EmulatorContext,
    private readonly odata: ODataService,
    journals: Journals,
  ) {
    this.posting = new PostingService(context, journals);
    this.packages = new PackageService(context, journals);
  }

  private get config() {
    return this.context.state.config;
  }

  async handle(request: EmuRequest, log: LoggedRequest): Promise<HandlerResult> {
    const max = this.config.maxConcurrentRequests;
    if (max !== null && this.context.inFlight >= max)
      return FnoErrors.throttled(this.config.retryAfterSeconds);
    this.context.inFlight++;
    try {
      return await this.admitted(request, log);
    } finally {
      this.context.inFlight--;
    }
  }

  private async admitted(request: EmuRequest, log: LoggedRequest): Promise<HandlerResult> {
    const path = request.url.pathname;
    // The package's blob storage: its own service (the URL's signature is the credential), with the
    // same fault rules (an upload lost, a storage error).
    if (path.startsWith(BLOB_PATH)) {
      const fault = this.pickFault(request.method, path, []);
      if (fault !== undefined) log.fault = `${fault.id}:${fault.kind}`;
      return this.withFault(fault, async () => this.packages.blob(request));
    }
    const isBatch = path === "/data/$batch";
    let batch: ReturnType<typeof parseBatch> | undefined;
    if (isBatch) {
      if (request.method !== "POST") return FnoErrors.methodNotAllowed(request.method, "$batch");
      try {
        batch = parseBatch(request.body, header(request, "content-type"), request.origin);
      } catch (error) {
        if (error instanceof BatchError) {
          return error.kind === "unsupported"
            ? FnoErrors.notSupported(error.message)
            : FnoErrors.badRequest(error.message);
        }
        throw error;
      }
      log.operations = operationCount(batch);
      if (log.operations > MAX_BATCH_OPERATIONS) return batchTooLarge(log.operations);
    }
    const entitySets = batch
      ? [
          ...new Set(
            operationsOf(batch)
              .map((op) => this.odata.entitySetOf(op.path))
              .filter((name): name is string => name !== undefined),
          ),
        ]
      : [this.odata.entitySetOf(path.replace(/^\/data\/?/, ""))].filter(
          (name): name is string => name !== undefined,
        );
    if (entitySets.length > 0) log.entitySets = entitySets;

    const latency = this.config.latency;
    const delay = latency.perRequestMs + latency.perOperationMs * (log.operations ?? 1);
    if (delay > 0) await sleep(delay);

    if (this.config.csrfGateway && WRITE_METHODS.has(request.method)) {
      const refused = this.checkCsrf(request);
      if (refused !== undefined) return refused;
    }
    const principal = await authenticate(this.context, request);
    if (typeof principal === "string") {
      log.authFailure = principal;
      return FnoErrors.authenticationFailed();
    }

    // A fault rule fires only on a request that reaches the operation: one the gateway or the
    // authentication refuses never uses it up.
    const fault = this.pickFault(request.method, path, entitySets);
    if (fault !== undefined) log.fault = `${fault.id}:${fault.kind}`;
    if (fault?.kind === "429") return FnoErrors.throttled(this.config.retryAfterSeconds);
    // The environment refusing as a whole: the answer F&O gives when the app is not in its Entra
    // applications list (401), or when the user's roles lack the privilege (403).
    if (fault?.kind === "401") return FnoErrors.authenticationFailed();
    if (fault?.kind === "403") return FnoErrors.forbidden("use this entity or service");

    const result = await this.withFault(fault, async () => {
      const tx = new Transaction();
      const response = batch
        ? executeBatch(batch, this.odata, principal)
        : await this.route(request, principal, tx);
      if (response.status >= 400) tx.rollback();
      else this.context.changed();
      return response;
    });
    if (isConnectionAction(result)) return result;
    const response = result;
    if (
      this.config.csrfGateway &&
      (request.method === "GET" || request.method === "HEAD") &&
      header(request, "x-csrf-token")?.toLowerCase() === "fetch"
    ) {
      return this.issueCsrf(request, response);
    }
    return response;
  }

  /** Runs the handler under a fault rule that strikes after it (or not at all, for a hang before it). */
  private async withFault(
    fault: FaultRule | undefined,
    handler: () => Promise<EmuResponse>,
  ): Promise<HandlerResult> {
    if (fault?.kind === "5xx-before-commit") return FnoErrors.gateway(fault.status ?? 503);
    if (fault?.kind === "hang" && fault.commit === false) return { action: "hang" };
    const response = await handler();
    switch (fault?.kind) {
      case "5xx-after-commit":
        return FnoErrors.gateway(fault.status ?? 502);
      case "drop-after-commit":
        return { action: "drop" };
      case "hang":
        return { action: "hang" };
      case "reset-mid-body":
        return { action: "reset-mid-body", response };
    }
    return response;
  }

  private route(
    request: EmuRequest,
    principal: Principal,
    tx: Transaction,
  ): EmuResponse | Promise<EmuResponse> {
    const path = request.url.pathname;
    if (path.startsWith(PACKAGE_ACTIONS_PATH)) return this.packages.action(request, principal);
    if (path.startsWith("/api/services")) return this.service(request, principal, tx);
    const op: DataOperation = {
      method: request.method,
      // A trailing slash names the same resource (SAP-style clients fetch tokens on `Set/`).
      path: path === "/data" ? "" : path.slice("/data/".length).replace(/(.)\/$/, "$1"),
      query: request.url.searchParams,
      headers: request.headers,
      body: request.body,
      origin: request.origin,
    };
    return this.odata.execute(op, principal, tx);
  }

  private service(request: EmuRequest, principal: Principal, tx: Transaction): EmuResponse {
    const path = request.url.pathname.replace(/\/+$/, "");
    if (request.method === "GET" && path === "/api/services") {
      return json(200, { ServiceGroups: [{ Name: "LedgerBridgeServices" }] });
    }
    if (path.toLowerCase() !== POSTING_SERVICE_PATH.toLowerCase()) {
      return FnoErrors.notSupported(`The custom service ${path}`);
    }
    // F&O describes a JSON service operation on GET: its parameters (by the X++ names the JSON body
    // binds to) and its return type (shape: an assumption, docs/emulator.md).
    const names = this.config.postingParameters ?? { company: "dataAreaId", journal: "journalBatchNumber" };
    if (request.method === "GET")
      return json(200, {
        Parameters: [
          { Name: names.company, Type: "DataAreaId" },
          { Name: names.journal, Type: "LedgerJournalId" },
        ],
        Return: { Name: "return", Type: "LedgerBridgePostingResult" },
      });
    if (request.method !== "POST") return FnoErrors.methodNotAllowed(request.method, POSTING_SERVICE);
    if (!canCallService(principal, POSTING_SERVICE)) return FnoErrors.serviceForbidden(POSTING_SERVICE_PATH);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString("utf8") || "{}");
    } catch {
      return FnoErrors.serviceFailed("The request body is not valid JSON.", request.activityId);
    }
    // Custom services bind parameters by name, case-insensitively.
    const param = (name: string) => {
      const found = Object.entries(body).find(([key]) => key.toLowerCase() === name.toLowerCase());
      return typeof found?.[1] === "string" ? found[1] : "";
    };
    const company = param(names.company).toLowerCase() || principal.user.defaultCompany;
    const journal = param(names.journal);
    if (journal === "")
      return FnoErrors.serviceFailed(`Parameter '${names.journal}' is required.`, request.activityId);
    const outcome = this.posting.post(company, journal, tx);
    if (!outcome.ok) {
      const infolog = outcome.infolog.map((line) => `${line.level}: ${line.text}`).join("; ");
      return FnoErrors.serviceFailed(
        `Posting journal ${journal} failed. Infolog: ${infolog}`,
        request.activityId,
      );
    }
    return json(200, { JournalBatchNumber: journal, DataAreaId: company, Vouchers: outcome.vouchers });
  }

  private pickFault(method: string, path: string, entitySets: readonly string[]): FaultRule | undefined {
    for (const rule of this.config.faults) {
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue;
      if (rule.path !== undefined && !path.toLowerCase().startsWith(rule.path.toLowerCase())) continue;
      if (rule.entitySet !== undefined && !entitySets.includes(rule.entitySet)) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      rule.seen++;
      if (rule.skip !== undefined && rule.seen <= rule.skip) continue;
      const hit =
        rule.everyNth !== undefined
          ? rule.seen % rule.everyNth === 0
          : rule.rate !== undefined
            ? this.context.random() < rule.rate
            : true;
      if (!hit) continue;
      if (rule.remaining !== undefined) rule.remaining--;
      return rule;
    }
    return undefined;
  }

  private session(request: EmuRequest): string | undefined {
    const cookies = header(request, "cookie") ?? "";
    const match = new RegExp(`(?:^|;\\s*)${CSRF_COOKIE}=([^;]+)`).exec(cookies);
    return match?.[1];
  }

  /** The gateway: a write needs the token fetched for this session; missing → 401, stale → 403. */
  private checkCsrf(request: EmuRequest): EmuResponse | undefined {
    const token = header(request, "x-csrf-token");
    if (token === undefined || token === "" || token.toLowerCase() === "fetch")
      return FnoErrors.csrfRequired(401);
    const sessionId = this.session(request);
    const session = sessionId === undefined ? undefined : this.context.csrfSessions.get(sessionId);
    const fresh =
      session !== undefined && session.issuedAt + this.config.csrfTokenLifetimeSeconds > this.context.now();
    if (!fresh || session?.token !== token) return FnoErrors.csrfRequired(403);
    return undefined;
  }

  private issueCsrf(request: EmuRequest, response: EmuResponse): EmuResponse {
    if (response.status >= 400) return response;
    let sessionId = this.session(request);
    if (sessionId === undefined || !this.context.csrfSessions.has(sessionId))
      sessionId = randomBytes(16).toString("hex");
    const token = randomBytes(24).toString("base64url");
    this.context.csrfSessions.set(sessionId, { token, issuedAt: this.context.now() });
    return {
      ...response,
      headers: {
        ...response.headers,
        "x-csrf-token": token,
        "set-cookie": `${CSRF_COOKIE}=${sessionId}; Path=/; Secure; HttpOnly; SameSite=Strict`,
      },
    };
  }
}
