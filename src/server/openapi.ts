/** The API's OpenAPI 3 description, served at /openapi.json. */
import { API_ERRORS } from "./api-errors.js";

const journalRef = { $ref: "#/components/schemas/Journal" };
const error = { $ref: "#/components/schemas/Error" };
const problem = (description: string) => ({
  description,
  content: { "application/json": { schema: error } },
});

export const OPENAPI = {
  openapi: "3.0.3",
  info: {
    title: "ledger-bridge",
    version: "1",
    description:
      "Submit general-ledger journals for exactly-once delivery into Dynamics 365 Finance & Operations.",
  },
  components: {
    securitySchemes: {
      apiKey: {
        type: "http",
        scheme: "bearer",
        description:
          "An API key (lbk_…) from `ledger-bridge keys create`, or — when LEDGER_BRIDGE_API_AUDIENCE is set — an Entra ID access token for ledger-bridge's app registration with the app role LedgerBridge.Submit, LedgerBridge.Read or LedgerBridge.Admin.",
      },
    },
    schemas: {
      Error: {
        type: "object",
        properties: {
          error: {
            type: "object",
            required: ["code", "message", "fix"],
            properties: {
              code: { type: "string", enum: Object.keys(API_ERRORS) },
              message: { type: "string", description: "What went wrong with this request." },
              fix: {
                type: "string",
                description: "What to do about it (the same for every answer with this code).",
              },
              correlationId: {
                type: "string",
                description: "500 only: quote it when you report the failure.",
              },
              errors: {
                type: "array",
                description:
                  "VALIDATION_FAILED only: every problem, with its code (docs/errors.md), line, column and field.",
                items: { type: "object" },
              },
              retryAfterSeconds: { type: "integer", description: "RATE_LIMITED only." },
            },
          },
        },
      },
      Line: {
        type: "object",
        required: ["transDate", "account", "currency"],
        properties: {
          lineNumber: { type: "string" },
          voucher: { type: "string", maxLength: 20 },
          transDate: { type: "string", format: "date" },
          accountType: { type: "string", enum: ["Ledger", "Cust", "Vend", "Bank"] },
          account: { type: "string", maxLength: 500 },
          offsetAccountType: { type: "string", enum: ["Ledger", "Cust", "Vend", "Bank"] },
          offsetAccount: { type: "string", maxLength: 500 },
          debit: { type: "string", pattern: "^\\d+(\\.\\d+)?$", description: "Exact decimal, as a string." },
          credit: { type: "string", pattern: "^\\d+(\\.\\d+)?$", description: "Exact decimal, as a string." },
          currency: { type: "string", minLength: 3, maxLength: 3 },
          exchangeRate: { type: "string" },
          text: { type: "string", maxLength: 60 },
          dimensions: { type: "object", additionalProperties: { type: "string" } },
        },
        additionalProperties: false,
      },
      Journal: {
        type: "object",
        required: ["key", "company", "journalName", "lines"],
        properties: {
          key: { type: "string", pattern: "^[A-Za-z0-9._:/-]{1,100}$" },
          company: { type: "string", maxLength: 4 },
          journalName: { type: "string", maxLength: 10 },
          description: { type: "string", maxLength: 60 },
          lines: { type: "array", items: { $ref: "#/components/schemas/Line" } },
        },
        additionalProperties: false,
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    "/v1/journals": {
      post: {
        summary:
          "Submit one journal or a list (scope submit), stored all or nothing. 202 only after the outbox committed every one.",
        parameters: [{ name: "Idempotency-Key", in: "header", schema: { type: "string", maxLength: 255 } }],
        requestBody: {
          content: {
            "application/json": { schema: { oneOf: [journalRef, { type: "array", items: journalRef }] } },
          },
        },
        responses: {
          "202": {
            description: "Every journal stored for delivery (duplicate: true for those already stored).",
          },
          "400": problem("Not valid: every problem with its code and location; nothing stored."),
          "401": problem("No or bad key."),
          "403": problem("Wrong scope, or another company."),
          "409": problem(
            "OUTBOX_CONFLICT: keys stored with other content, every one named, nothing stored; or IDEMPOTENCY_KEY_IN_FLIGHT.",
          ),
          "413": problem("Too large."),
          "422": problem("Same Idempotency-Key with another body."),
          "429": problem("Rate limited."),
        },
      },
      get: {
        summary:
          "List journals (scope read): filter by state, company, source, last change (since/before, ISO 8601); cursor by key.",
        parameters: ["state", "company", "source", "since", "before", "after", "limit"].map((name) => ({
          name,
          in: "query",
          schema: { type: "string" },
        })),
        responses: { "200": { description: "A page of journals and the next cursor." } },
      },
    },
    "/v1/journals/files": {
      post: {
        summary:
          "Upload a CSV, JSON or NDJSON file of journals (scope submit); Content-Type names the format, ?name= labels the source.",
        parameters: [
          { name: "Idempotency-Key", in: "header", schema: { type: "string", maxLength: 255 } },
          { name: "name", in: "query", schema: { type: "string" } },
        ],
        requestBody: {
          content: {
            "text/csv": { schema: { type: "string" } },
            "application/json": { schema: { type: "string" } },
            "application/x-ndjson": { schema: { type: "string" } },
          },
        },
        responses: {
          "202": { description: "Every journal of the file stored for delivery." },
          "400": problem("Not valid: every problem with its file line, column and field; nothing stored."),
          "401": problem("No or bad key."),
          "403": problem("Wrong scope, or another company."),
          "409": problem(
            "OUTBOX_CONFLICT: keys stored with other content, every one named, nothing stored; or IDEMPOTENCY_KEY_IN_FLIGHT.",
          ),
          "413": problem("Too large, or a journal with too many lines."),
          "415": problem("Unsupported Content-Type."),
          "422": problem("Same Idempotency-Key with another body."),
          "429": problem("Rate limited."),
        },
      },
    },
    "/v1/journals/{key}": {
      get: {
        summary: "A journal with its trail (scope read).",
        parameters: [{ name: "key", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": { description: "The journal." },
          "404": problem("No such journal (or another company's)."),
        },
      },
    },
    "/v1/journals/redrive": {
      post: {
        summary:
          "Redrive every journal of a selection (scope admin; audited): dead ones back to ready, retry_wait and in_doubt ones due now. With dryRun, only how many match.",
        requestBody: {
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: {
                  state: { type: "string", enum: ["dead", "retry_wait", "in_doubt"], default: "dead" },
                  errorCode: {
                    type: "string",
                    description: "The last error's code, e.g. D365_BUSINESS_RULE.",
                  },
                  company: { type: "string", description: "Required for a key limited to companies." },
                  since: { type: "string", format: "date-time", description: "Last changed at or after." },
                  before: { type: "string", format: "date-time", description: "Last changed before." },
                  dryRun: { type: "boolean", description: "Count only: { dryRun: true, matched }." },
                },
              },
            },
          },
        },
        responses: {
          "200": { description: "{ dryRun, matched } or { dryRun, redriven }." },
          "400": problem("A state that cannot be redriven, or a time that is not ISO 8601."),
          "403": problem("A company outside the key's."),
        },
      },
    },
    "/v1/journals/{key}/redrive": {
      post: {
        summary: "Put a dead journal back (scope admin; audited).",
        parameters: [{ name: "key", in: "path", required: true, schema: { type: "string" } }],
        responses: { "202": { description: "Back to ready." }, "409": problem("Not dead.") },
      },
    },
    "/v1/journals/{key}/cancel": {
      post: {
        summary:
          "Cancel a journal not yet delivered and not in flight (scope admin; audited); final state cancelled.",
        parameters: [{ name: "key", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          "200": { description: "Cancelled." },
          "404": problem("No such journal (or another company's)."),
          "409": problem("Delivered already, or being delivered right now."),
        },
      },
    },
    "/v1/doctor": {
      get: {
        summary:
          "Run the doctor's checks (scope admin); with ?latest=true, the last report without running again (null before the first run).",
        parameters: [{ name: "latest", in: "query", schema: { type: "boolean" } }],
        responses: { "200": { description: "The doctor's report, with the time it was made." } },
      },
    },
    "/v1/me": {
      get: {
        summary: "Who the key or token is: its id, scopes and companies (any scope).",
        responses: { "200": { description: "The caller." }, "401": problem("No valid key.") },
      },
    },
    "/v1/overview": {
      get: {
        summary:
          "Journals by state (the caller's companies), F&O throttling, and this instance's delivery over the last hour, minute by minute (scope read).",
        responses: { "200": { description: "The overview the dashboard shows." } },
      },
    },
    "/healthz": {
      get: { summary: "Liveness (no key).", security: [], responses: { "200": { description: "Up." } } },
    },
    "/readyz": {
      get: {
        summary: "Readiness: store and F&O reachable (no key).",
        security: [],
        responses: { "200": { description: "Ready." }, "503": { description: "Not ready." } },
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics (scope read).",
        responses: { "200": { description: "Text exposition format." } },
      },
    },
  },
} as const;
