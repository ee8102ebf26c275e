import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CAUSES, causeOf } from "../../src/doctor/causes.js";

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "troubleshooting.md"), "utf8");
const sections = new Map(
  doc
    .split(/^## /m)
    .slice(1)
    .map((section) => [section.slice(0, section.indexOf("\n")).trim(), section] as const),
);

describe("doctor causes ↔ docs/troubleshooting.md", () => {
  it("has a section for every cause and none for a cause that does not exist", () => {
    assert.deepEqual([...sections.keys()].sort(), Object.keys(CAUSES).sort());
  });

  it("gives each section a symptom, the cause, the doctor's fix and how to verify", () => {
    for (const [code, spec] of Object.entries(CAUSES)) {
      const section = sections.get(code) ?? "";
      for (const label of ["Symptom", "Cause", "Fix", "Verify"])
        assert.match(section, new RegExp(`\\*\\*${label}:\\*\\* \\S`), `${code}: ${label}`);
      assert.ok(
        section.includes(`**Fix:** ${spec.fix}`),
        `${code}: the documented fix differs from the doctor's`,
      );
    }
  });

  it("links each cause to its section by a GitHub-style anchor", () => {
    assert.equal(
      causeOf("APP_NOT_REGISTERED_OR_USER_DISABLED").docs,
      "docs/troubleshooting.md#app_not_registered_or_user_disabled",
    );
  });
});

describe("client errors point at their troubleshooting section", () => {
  it("names a section that exists for every linked code", async () => {
    const { ERROR_CODES, troubleshootingSection } = await import("../../src/core/errors/codes.js");
    let linked = 0;
    for (const code of Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>) {
      const section = troubleshootingSection(code);
      if (section === undefined) continue;
      linked++;
      const anchor = section.split("#")[1] ?? "";
      assert.ok(sections.has(anchor.toUpperCase()), `${code} → ${section}`);
    }
    assert.ok(linked >= 15);
  });
});
