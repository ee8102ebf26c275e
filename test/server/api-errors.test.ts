import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { API_ERRORS } from "../../src/server/api-errors.js";
import { OPENAPI } from "../../src/server/openapi.js";

const root = join(import.meta.dirname, "..", "..");

describe("the API's error codes", () => {
  it("are tabled in docs/http-api.md, each with the status the API answers with", () => {
    const doc = readFileSync(join(root, "docs", "http-api.md"), "utf8");
    const section = doc.slice(doc.indexOf("### The API's own error codes"));
    const documented = new Map<string, number>();
    for (const [, status, codes] of section.matchAll(/^\| (\d{3}) \| ([^|]+) \|/gm))
      for (const [, code] of (codes as string).matchAll(/`([A-Z_]+)`/g))
        documented.set(code as string, Number(status));
    const registered = new Map(Object.entries(API_ERRORS).map(([code, spec]) => [code, spec.status]));
    assert.deepEqual(
      [...documented].sort(),
      [...registered].sort(),
      "the docs table and src/server/api-errors.ts list the same codes and statuses",
    );
  });

  it("are the enum of /openapi.json's Error, which names the fix every answer carries", () => {
    const error = OPENAPI.components.schemas.Error.properties.error;
    assert.deepEqual(error.properties.code.enum, Object.keys(API_ERRORS));
    assert.ok(error.required.includes("fix"));
    for (const [code, spec] of Object.entries(API_ERRORS))
      assert.match(spec.fix, /^[A-Z].+\.$/, `${code}: a fix is one or more sentences`);
  });
});
