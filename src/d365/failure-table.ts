/**
 * What an F&O answer that is not a success means, as data: one table of rules and one pure function.
 * The client's request loop and the `$batch` parser both ask `classifyAnswer`, so an answer means the
 * same thing whether it came directly or inside a changeset — only where the table says otherwise.
 * docs/client.md shows this table; test/d365/failure-table.test.ts keeps the two in step.
 *
 * Inside a changeset F&O rolls the whole changeset back, so a failure there is definite: nothing of it
 * was written. A write answered directly with a 5xx (a gateway's 502, an AOS 500 without F&O's write
 * exception) may have been carried out: it is in doubt, never re-sent blind.
 */
import { codeSpec, type ErrorCode, type Retryable } from "../core/errors/codes.js";
import { parseInfolog } from "./errors.js";

export type Where = "direct" | "changeset";

/** What the client decides to do with an answer. */
export type Action = "retry" | "throttle" | "refresh-token" | "fetch-write-token" | "in-doubt" | "fail";

/** The facts about an answer that the rules look at. */
export interface Answer {
  readonly status: number;
  readonly where: Where;
  /** POST, PATCH, PUT, DELETE (a `$batch` is a write). */
  readonly write: boolean;
  /** The body carries F&O's write exception or an X++ Infolog: a business rule refused the write. */
  readonly businessRule: boolean;
  /** The answer says `X-CSRF-Token: Required`: a gateway wants a write token. */
  readonly csrfRequired: boolean;
  readonly retryAfter: boolean;
}

export interface Decision {
  readonly action: Action;
  readonly code: ErrorCode;
  readonly retryable: Retryable;
}

interface Rule {
  readonly status: number | readonly [number, number];
  readonly where?: Where;
  readonly write?: boolean;
  readonly businessRule?: boolean;
  readonly csrfRequired?: boolean;
  readonly retryAfter?: boolean;
  readonly action: Action;
  readonly code: ErrorCode;
  readonly retryable?: Retryable;
  /** Why, in a few words (shown in docs/client.md). */
  readonly why: string;
}

/** First matching rule wins. */
export const FAILURE_RULES: readonly Rule[] = [
  {
    status: [401, 403],
    where: "direct",
    csrfRequired: true,
    action: "fetch-write-token",
    code: "D365_CSRF_REJECTED",
    why: "a gateway wants a write token: fetch one, send once more",
  },
  {
    status: 401,
    where: "direct",
    action: "refresh-token",
    code: "D365_UNAUTHORIZED",
    why: "one forced token refresh, then final",
  },
  { status: 401, action: "fail", code: "D365_UNAUTHORIZED", why: "the token was refused" },
  { status: 403, action: "fail", code: "D365_FORBIDDEN", why: "a privilege is missing" },
  { status: 404, action: "fail", code: "D365_NOT_FOUND", why: "no such entity set or record" },
  {
    status: 405,
    action: "fail",
    code: "D365_METHOD_NOT_ALLOWED",
    why: "a read-only entity, or a method it does not take",
  },
  {
    status: 408,
    where: "direct",
    action: "retry",
    code: "D365_TIMEOUT",
    why: "the server says it did not process the request",
  },
  {
    status: 429,
    where: "direct",
    action: "throttle",
    code: "D365_THROTTLED",
    why: "wait as long as Retry-After says, shared by every request",
  },
  {
    status: 429,
    action: "fail",
    code: "D365_THROTTLED",
    retryable: "yes",
    why: "the changeset was not carried out; try later",
  },
  {
    status: 400,
    businessRule: true,
    action: "fail",
    code: "D365_BUSINESS_RULE",
    why: "F&O's write exception with its Infolog (seen as 400)",
  },
  {
    status: 500,
    businessRule: true,
    action: "fail",
    code: "D365_BUSINESS_RULE",
    why: "F&O's write exception with its Infolog (seen as 500)",
  },
  {
    status: 503,
    where: "direct",
    write: false,
    retryAfter: true,
    action: "throttle",
    code: "D365_THROTTLED",
    why: "a read asked to wait",
  },
  {
    status: 501,
    action: "fail",
    code: "D365_NOT_SUPPORTED",
    why: "the server does not implement it; retrying cannot help",
  },
  { status: 505, action: "fail", code: "D365_NOT_SUPPORTED", why: "HTTP version not supported" },
  {
    status: [500, 599],
    where: "direct",
    write: true,
    action: "in-doubt",
    code: "D365_IN_DOUBT",
    why: "the write may have been carried out: reconcile, never re-send blind",
  },
  {
    status: [500, 599],
    where: "direct",
    write: false,
    action: "retry",
    code: "D365_SERVER_ERROR",
    why: "a read is safe to send again",
  },
  {
    status: [500, 599],
    where: "changeset",
    action: "fail",
    code: "D365_SERVER_ERROR",
    retryable: "yes",
    why: "the changeset was rolled back: nothing written, try later",
  },
  {
    status: [400, 499],
    action: "fail",
    code: "D365_BAD_REQUEST",
    why: "malformed; F&O's message names what",
  },
  {
    status: 0,
    where: "changeset",
    action: "in-doubt",
    code: "D365_INVALID_RESPONSE",
    retryable: "unknown",
    why: "a changeset answer that cannot be read: outcome unknown",
  },
  { status: [0, 999], action: "fail", code: "D365_INVALID_RESPONSE", why: "not an answer F&O gives" },
];

function matches(rule: Rule, answer: Answer): boolean {
  const [low, high] = typeof rule.status === "number" ? [rule.status, rule.status] : rule.status;
  return (
    answer.status >= low &&
    answer.status <= high &&
    (rule.where === undefined || rule.where === answer.where) &&
    (rule.write === undefined || rule.write === answer.write) &&
    (rule.businessRule === undefined || rule.businessRule === answer.businessRule) &&
    (rule.csrfRequired === undefined || rule.csrfRequired === answer.csrfRequired) &&
    (rule.retryAfter === undefined || rule.retryAfter === answer.retryAfter)
  );
}

export function classifyAnswer(answer: Answer): Decision {
  const rule = FAILURE_RULES.find((candidate) => matches(candidate, answer)) as Rule;
  return { action: rule.action, code: rule.code, retryable: rule.retryable ?? codeSpec(rule.code).retryable };
}

/**
 * Whether an error body is F&O's refusal of a write by a business rule: the OData shape's
 * `AxODataWriteException` (or delete), "Write failed for table row of type …", or an Infolog — in
 * the OData error shape or the Web API's `{"Message": …}` shape.
 */
export function isBusinessRuleBody(body: unknown): boolean {
  if (body === null || typeof body !== "object") return false;
  const object = body as Record<string, any>;
  const inner = object.error?.innererror;
  if (typeof inner?.type === "string" && /AxOData(Write|Delete)Exception/.test(inner.type)) return true;
  const texts = [inner?.message, object.error?.message, object.Message].filter(
    (text): text is string => typeof text === "string",
  );
  return texts.some((text) => /Write failed for table row/i.test(text) || parseInfolog(text).length > 0);
}

/** The table as docs/client.md shows it. */
export function failureTableMarkdown(): string {
  const cell = (value: boolean | undefined, yes: string, no: string) =>
    value === undefined ? "any" : value ? yes : no;
  const rows = FAILURE_RULES.map((rule) => {
    const status =
      typeof rule.status === "number" ? String(rule.status) : `${rule.status[0]}–${rule.status[1]}`;
    const body = [
      rule.businessRule === undefined
        ? undefined
        : rule.businessRule
          ? "write exception / Infolog"
          : "no Infolog",
      rule.csrfRequired ? "X-CSRF-Token: Required" : undefined,
      rule.retryAfter ? "Retry-After" : undefined,
    ].filter((part) => part !== undefined);
    const retryable = rule.retryable ?? codeSpec(rule.code).retryable;
    return `| ${status} | ${rule.where ?? "any"} | ${cell(rule.write, "write", "read")} | ${body.join(", ") || "any"} | ${rule.action} | \`${rule.code}\` | ${retryable} | ${rule.why} |`;
  });
  return [
    "| status | where | method | body | action | code | retryable | why |",
    "|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}
