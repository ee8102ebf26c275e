import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  type Answer,
  classifyAnswer,
  failureTableMarkdown,
  isBusinessRuleBody,
} from "../../src/d365/failure-table.js";

const answer = (status: number, facts: Partial<Answer> = {}): Answer => ({
  status,
  where: "direct",
  write: true,
  businessRule: false,
  csrfRequired: false,
  retryAfter: false,
  ...facts,
});

/** Every rule of the table, row by row: [answer, action, code, retryable]. */
const ROWS: ReadonlyArray<readonly [Answer, string, string, string]> = [
  [answer(401, { csrfRequired: true }), "fetch-write-token", "D365_CSRF_REJECTED", "no"],
  [answer(403, { csrfRequired: true }), "fetch-write-token", "D365_CSRF_REJECTED", "no"],
  [answer(401), "refresh-token", "D365_UNAUTHORIZED", "no"],
  [answer(401, { where: "changeset" }), "fail", "D365_UNAUTHORIZED", "no"],
  [answer(403), "fail", "D365_FORBIDDEN", "no"],
  [answer(403, { where: "changeset" }), "fail", "D365_FORBIDDEN", "no"],
  [answer(404, { where: "changeset" }), "fail", "D365_NOT_FOUND", "no"],
  [answer(405), "fail", "D365_METHOD_NOT_ALLOWED", "no"],
  [answer(405, { where: "changeset" }), "fail", "D365_METHOD_NOT_ALLOWED", "no"],
  [answer(408), "retry", "D365_TIMEOUT", "yes"],
  [answer(429), "throttle", "D365_THROTTLED", "yes"],
  [answer(429, { where: "changeset" }), "fail", "D365_THROTTLED", "yes"],
  [answer(400, { businessRule: true }), "fail", "D365_BUSINESS_RULE", "no"],
  [answer(400, { businessRule: true, where: "changeset" }), "fail", "D365_BUSINESS_RULE", "no"],
  [answer(500, { businessRule: true }), "fail", "D365_BUSINESS_RULE", "no"],
  [answer(500, { businessRule: true, where: "changeset" }), "fail", "D365_BUSINESS_RULE", "no"],
  [answer(503, { write: false, retryAfter: true }), "throttle", "D365_THROTTLED", "yes"],
  [answer(503, { retryAfter: true }), "in-doubt", "D365_IN_DOUBT", "unknown"],
  [answer(501), "fail", "D365_NOT_SUPPORTED", "no"],
  [answer(501, { where: "changeset" }), "fail", "D365_NOT_SUPPORTED", "no"],
  [answer(505, { write: false }), "fail", "D365_NOT_SUPPORTED", "no"],
  [answer(502), "in-doubt", "D365_IN_DOUBT", "unknown"],
  [answer(500), "in-doubt", "D365_IN_DOUBT", "unknown"],
  [answer(500, { write: false }), "retry", "D365_SERVER_ERROR", "yes"],
  [answer(503, { write: false }), "retry", "D365_SERVER_ERROR", "yes"],
  [answer(500, { where: "changeset" }), "fail", "D365_SERVER_ERROR", "yes"],
  [answer(400), "fail", "D365_BAD_REQUEST", "no"],
  [answer(409, { where: "changeset" }), "fail", "D365_BAD_REQUEST", "no"],
  [answer(0, { where: "changeset" }), "in-doubt", "D365_INVALID_RESPONSE", "unknown"],
  [answer(302), "fail", "D365_INVALID_RESPONSE", "no"],
];

describe("failure classification table", () => {
  for (const [facts, action, code, retryable] of ROWS) {
    it(`${facts.status} ${facts.where} ${facts.write ? "write" : "read"}${facts.businessRule ? " with an Infolog" : ""}${facts.csrfRequired ? " asking for a write token" : ""}${facts.retryAfter ? " with Retry-After" : ""} → ${action} ${code}`, () => {
      assert.deepEqual(classifyAnswer(facts), { action, code, retryable });
    });
  }

  it("reads F&O's business-rule refusals in both error shapes", () => {
    const infolog =
      "Write failed for table row of type 'LedgerJournalLineEntity'. Infolog: Error: Account 130700 does not allow manual entry.";
    assert.equal(
      isBusinessRuleBody({
        error: {
          innererror: {
            type: "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException",
          },
        },
      }),
      true,
    );
    assert.equal(
      isBusinessRuleBody({ error: { message: "An error has occurred.", innererror: { message: infolog } } }),
      true,
    );
    assert.equal(isBusinessRuleBody({ Message: infolog }), true);
    assert.equal(
      isBusinessRuleBody({ Message: "Warning: validateWrite failed on data source 'LedgerJournalTable'." }),
      true,
    );
    assert.equal(isBusinessRuleBody({ error: { message: "Gateway timeout" } }), false);
    assert.equal(isBusinessRuleBody(undefined), false);
  });

  it("is the table docs/client.md shows", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "client.md"), "utf8");
    const shown = /<!-- failure-table:start -->\n([\s\S]*?)\n<!-- failure-table:end -->/.exec(doc)?.[1];
    assert.equal(shown, failureTableMarkdown());
  });
});
