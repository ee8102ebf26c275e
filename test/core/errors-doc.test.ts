import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ERROR_CODES } from "../../src/core/errors/codes.js";

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "errors.md"), "utf8");
const sections = new Map(
  doc
    .split(/^## /m)
    .slice(1)
    .map((section) => [section.slice(0, section.indexOf("\n")).trim(), section] as const),
);

describe("error registry ↔ docs/errors.md", () => {
  it("documents every code in the registry", () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !sections.has(code));
    assert.deepEqual(missing, [], "codes without a section in docs/errors.md");
  });

  it("documents no code the registry lacks", () => {
    const stale = [...sections.keys()].filter((code) => !(code in ERROR_CODES));
    assert.deepEqual(stale, [], "sections in docs/errors.md for codes that do not exist");
  });

  it("gives each code its cause, an example and the registry's fix", () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      const section = sections.get(code) ?? "";
      assert.match(section, /\*\*Cause:\*\* \S/, `${code} has no cause`);
      assert.match(section, /\*\*Example:\*\* \S/, `${code} has no example`);
      assert.ok(
        section.includes(`**Fix:** ${spec.fix}`),
        `${code}: the documented fix differs from the registry's`,
      );
      assert.ok(
        section.includes(`**Severity:** ${spec.severity}`),
        `${code}: the documented severity differs`,
      );
    }
  });
});
