import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { retryAfterMs } from "../../src/d365/retry-after.js";

const NOW = Date.parse("2026-11-30T12:00:00Z");

describe("Retry-After", () => {
  it("reads seconds, zero, milliseconds headers, HTTP dates and past dates", () => {
    assert.equal(retryAfterMs({ "retry-after": "0" }, NOW), 0);
    assert.equal(retryAfterMs({ "retry-after": "12" }, NOW), 12_000);
    assert.equal(retryAfterMs({ "retry-after": "86400" }, NOW), 86_400_000);
    assert.equal(retryAfterMs({ "retry-after-ms": "250" }, NOW), 250);
    assert.equal(retryAfterMs({ "x-ms-retry-after-ms": "1500", "retry-after": "9" }, NOW), 1500);
    assert.equal(retryAfterMs({ "retry-after": "Mon, 30 Nov 2026 12:00:30 GMT" }, NOW), 30_000);
    assert.equal(
      retryAfterMs({ "retry-after": "Mon, 30 Nov 2026 11:00:00 GMT" }, NOW),
      0,
      "a past date means now",
    );
  });

  it("treats garbage and absence as no answer, so the caller's default applies", () => {
    for (const value of ["soon", "-5", "1.5", "", "12 seconds", "NaN"]) {
      assert.equal(retryAfterMs({ "retry-after": value }, NOW), undefined, JSON.stringify(value));
    }
    assert.equal(retryAfterMs({}, NOW), undefined);
  });
});
