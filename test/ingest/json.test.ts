import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsonParseError, parseJson } from "../../src/common/json.js";
import { readText } from "../helpers/read.js";

const LINE_1 =
  '{"voucher":"V1","transDate":"2026-11-30","account":"601100","debit":"100.00","currency":"USD"}';
const LINE_2 =
  '{"voucher":"V1","transDate":"2026-11-30","account":"110110","credit":"100.00","currency":"USD"}';
const journal = (key: string) =>
  `{"key":"${key}","company":"usmf","journalName":"GenJrn","lines":[${LINE_1},${LINE_2}]}`;

describe("strict JSON parser", () => {
  it("keeps numbers as their source digits", () => {
    const value = parseJson('{"a": 9007199254740993.10}');
    assert.equal(value.kind, "object");
    const a = value.kind === "object" ? value.entries.get("a") : undefined;
    assert.deepEqual(a, { kind: "number", raw: "9007199254740993.10", line: 1, column: 7 });
  });

  it("reports positions relative to where the value starts in the file", () => {
    assert.throws(
      () => parseJson('{\n  "a": tru }', { line: 10, column: 5 }),
      (error: unknown) => error instanceof JsonParseError && error.line === 11 && error.column === 8,
    );
  });

  it("decodes escapes and refuses raw control characters", () => {
    const value = parseJson('"a\\u00e9\\n\\"b"');
    assert.equal(value.kind === "string" ? value.value : undefined, 'aé\n"b');
    assert.throws(() => parseJson('"a\tb"'), JsonParseError);
  });
});

describe("JSON journal files", () => {
  it("reads an array of journals and NDJSON alike", async () => {
    const array = await readText("a.json", `[\n${journal("j1")},\n${journal("j2")}\n]`);
    const lines = await readText("a.ndjson", `${journal("j1")}\n\n${journal("j2")}\n`);
    assert.deepEqual(array.errors, []);
    assert.deepEqual(
      array.journals.map((j) => j.key),
      ["j1", "j2"],
    );
    assert.deepEqual(lines.errors, []);
    assert.deepEqual(
      lines.journals.map((j) => j.key),
      ["j1", "j2"],
    );
  });

  it("accepts a single journal object in a .json file", async () => {
    const result = await readText("a.json", journal("solo"));
    assert.deepEqual(result.errors, []);
    assert.equal(result.journals[0]?.key, "solo");
  });

  it("locates a line's field by JSON path, line and column", async () => {
    const text = `[\n${journal("j1").replace('"601100"', '"60 11\u200b00"')}\n]`;
    const result = await readText("a.json", text);
    const found = result.errors[0];
    assert.equal(found?.code, "FIELD_INVISIBLE_CHARACTER");
    assert.equal(found?.field, "lines[0].account");
    assert.equal(found?.line, 2);
    const secondLine = text.split("\n")[1] ?? "";
    assert.equal(found?.column, secondLine.indexOf('"60 11') + 1);
  });

  it("reports a JSON number amount once, not also as a missing amount", async () => {
    const result = await readText(
      "a.json",
      `[${journal("j1").replace('"debit":"100.00"', '"debit":100.00')}]`,
    );
    assert.deepEqual(
      result.errors.map((e) => e.code),
      ["JSON_NUMBER_AMOUNT"],
    );
  });

  it("reports a wrong-typed field once, not also as missing", async () => {
    const result = await readText(
      "a.json",
      `[${journal("j1").replace('"transDate":"2026-11-30","account":"601100"', '"transDate":20261130,"account":"601100"')}]`,
    );
    assert.deepEqual(
      result.errors.map((e) => [e.code, e.field]),
      [["JSON_WRONG_TYPE", "lines[0].transDate"]],
    );
  });

  it("goes on after a broken NDJSON line", async () => {
    const result = await readText("a.ndjson", `${journal("j1")}\n{"key":\n${journal("j3")}\n`);
    assert.deepEqual(
      result.journals.map((j) => j.key),
      ["j1", "j3"],
    );
    assert.deepEqual(
      result.errors.map((e) => [e.code, e.line]),
      [["JSON_SYNTAX", 2]],
    );
  });
});
