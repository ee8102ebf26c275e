import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { validateFile } from "../../src/ingest/report.js";

const DIR = join(import.meta.dirname, "..", "fixtures", "bad");

interface Expected {
  code: string;
  line?: number;
  column?: number;
  field?: string;
}

const expected: Record<string, Expected> = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
const fixtures = readdirSync(DIR).filter((name) => name !== "expected.json");

describe("bad-input corpus (test/fixtures/bad)", () => {
  it("has at least 50 fixtures, each with an expectation, and no stale expectation", () => {
    assert.ok(fixtures.length >= 50, `only ${fixtures.length} fixtures`);
    assert.deepEqual([...fixtures].sort(), Object.keys(expected).sort());
  });

  for (const name of fixtures) {
    it(`${name} → ${expected[name]?.code}`, async () => {
      const want = expected[name] as Expected;
      const report = await validateFile(join(DIR, name));
      assert.ok(report.errorCount > 0, "the file must be invalid");
      const match = report.errors.find(
        (found) =>
          found.code === want.code &&
          (want.line === undefined || found.line === want.line) &&
          (want.column === undefined || found.column === want.column) &&
          (want.field === undefined || found.field === want.field),
      );
      assert.ok(
        match,
        `expected ${JSON.stringify(want)}; got ${JSON.stringify(report.errors.map(({ code, line, column, field }) => ({ code, line, column, field })))}`,
      );
      assert.equal(match.file, join(DIR, name));
      assert.ok(match.message.length > 20, "the message says what is wrong and what to do");
    });
  }
});
