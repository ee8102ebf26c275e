/**
 * The HTTP API's own error codes: each with its status and what the caller should do. Journals' and
 * delivery's codes (src/core/errors/codes.ts) appear inside these answers (VALIDATION_FAILED's list,
 * a journal's error); these name what went wrong with the request itself. docs/http-api.md tables
 * them (a test keeps the two in step), and every error answer carries its code's `fix`.
 */
const SEND_A_BODY = "Send a body the route accepts (see /openapi.json).";

export const API_ERRORS = {
  VALIDATION_FAILED: {
    status: 400,
    fix: "Fix every problem listed (code, line, column, field) and send the whole request again.",
  },
  BAD_FILTER: { status: 400, fix: "Use a known state and ISO 8601 times for since and before." },
  BAD_REQUEST: { status: 400, fix: SEND_A_BODY },
  BODY_EMPTY: { status: 400, fix: SEND_A_BODY },
  IDEMPOTENCY_KEY_INVALID: { status: 400, fix: "Use 1-255 printable ASCII characters." },
  UNAUTHENTICATED: {
    status: 401,
    fix: "Send a valid, unrevoked key (Authorization: Bearer lbk_...) or an Entra ID token for this API.",
  },
  FORBIDDEN: { status: 403, fix: "Use a key with the scope the route names." },
  COMPANY_FORBIDDEN: { status: 403, fix: "Use a key allowed for that company, or leave the company out." },
  NOT_FOUND: { status: 404, fix: "Check the key; another company's journal answers the same way." },
  NOT_CANCELLABLE: {
    status: 409,
    fix: "Only journals not yet delivered are cancelled; one a worker is delivering now can be cancelled in a moment.",
  },
  NOT_DEAD: { status: 409, fix: "Only dead journals are redriven; look at its state first." },
  OUTBOX_CONFLICT: {
    status: 409,
    fix: "Give each changed journal a new key (keys are idempotency keys), then send the whole submission again.",
  },
  IDEMPOTENCY_KEY_IN_FLIGHT: {
    status: 409,
    fix: "Wait for the first request with this Idempotency-Key to finish, then retry.",
  },
  BODY_TOO_LARGE: { status: 413, fix: "Split the upload into smaller ones." },
  TOO_MANY_LINES: { status: 413, fix: "Split the journal into journals within the limit the message names." },
  UPLOAD_TYPE_UNSUPPORTED: {
    status: 415,
    fix: "Send text/csv, application/json or application/x-ndjson (Content-Type names the format).",
  },
  IDEMPOTENCY_KEY_REUSED: { status: 422, fix: "Use a new Idempotency-Key for a different body." },
  RATE_LIMITED: {
    status: 429,
    fix: "Wait retryAfterSeconds; ask for a higher LEDGER_BRIDGE_API_RATE_LIMIT if the load is expected.",
  },
  INTERNAL: {
    status: 500,
    fix: "Quote the correlationId when you report it; the log line with it has the details.",
  },
  STORE_FULL: {
    status: 503,
    fix: "Send the same request again after the Retry-After: nothing of it was stored, and everything acknowledged before is kept. Operators: free disk space or raise the store's limit.",
  },
  NOT_AVAILABLE: { status: 501, fix: "Ask an instance that runs the doctor (serve does)." },
} as const satisfies Record<string, { status: number; fix: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The body of every error answer: the code, this case's message, what to do, and any extra fields. */
export function errorBody(
  code: ApiErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
): { error: Record<string, unknown> } {
  return { error: { code, message, fix: API_ERRORS[code].fix, ...extra } };
}

/** A request the API refuses: thrown by routes, answered by the error handler with the code's status. */
export class ApiProblem extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = API_ERRORS[code].status;
  }
}
