import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CsvToken, CsvTokenizer, detectDelimiter } from "../../src/common/csv-tokenizer.js";

/** Feeds the text in pieces of `size` characters, so every chunk boundary gets exercised. */
function tokenize(text: string, size = Number.POSITIVE_INFINITY, delimiter = ","): CsvToken[] {
  const tokenizer = new CsvTokenizer(delimiter);
  const tokens: CsvToken[] = [];
  for (let i = 0; i < text.length; i += Math.min(size, text.length)) {
    tokens.push(...tokenizer.push(text.slice(i, i + size)));
  }
  tokens.push(...tokenizer.end());
  return tokens;
}

const SAMPLE =
  'a,b,c\r\n1,"two, with comma",3\r\n"multi\nline ""quoted""",,x\n\n4,5,6\r7,8,9\n"",last,"\r\n"\n10,11,12';

const EXPECTED: CsvToken[] = [
  { line: 1, fields: ["a", "b", "c"] },
  { line: 2, fields: ["1", "two, with comma", "3"] },
  { line: 3, fields: ['multi\nline "quoted"', "", "x"] },
  { line: 6, fields: ["4", "5", "6"] },
  { line: 7, fields: ["7", "8", "9"] },
  { line: 8, fields: ["", "last", "\r\n"] },
  { line: 10, fields: ["10", "11", "12"] },
];

describe("CSV tokenizer", () => {
  it("reads quotes, doubled quotes, line breaks in quotes, CRLF, LF, lone CR and blank lines", () => {
    assert.deepEqual(tokenize(SAMPLE), EXPECTED);
  });

  it("gives the same records whatever the chunk boundaries", () => {
    for (const size of [1, 2, 3, 5, 7, 13])
      assert.deepEqual(tokenize(SAMPLE, size), EXPECTED, `chunks of ${size}`);
  });

  it("keeps a trailing empty field and a last line without a line break", () => {
    assert.deepEqual(tokenize("a,b,\n1,2,"), [
      { line: 1, fields: ["a", "b", ""] },
      { line: 2, fields: ["1", "2", ""] },
    ]);
  });

  it("reports an unclosed quote with the line it opened on", () => {
    assert.deepEqual(tokenize('a,b\n1,"open\nmore\n'), [
      { line: 1, fields: ["a", "b"] },
      { error: "CSV_UNCLOSED_QUOTE", line: 2, column: 2 },
    ]);
  });

  it("reports a stray quote and goes on with the next line", () => {
    assert.deepEqual(tokenize('a,b\n1,x"y\n2,3\n', 2), [
      { line: 1, fields: ["a", "b"] },
      { error: "CSV_BAD_QUOTE", line: 2, column: 2 },
      { line: 3, fields: ["2", "3"] },
    ]);
  });

  it("splits on semicolons and tabs", () => {
    assert.deepEqual(tokenize("a;b\n1;2", 1, ";"), [
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["1", "2"] },
    ]);
    assert.deepEqual(tokenize("a\tb\n1,5\t2", 4, "\t"), [
      { line: 1, fields: ["a", "b"] },
      { line: 2, fields: ["1,5", "2"] },
    ]);
  });

  it("detects the delimiter from the header, ignoring quoted text", () => {
    assert.equal(detectDelimiter("a,b,c"), ",");
    assert.equal(detectDelimiter("a;b;c"), ";");
    assert.equal(detectDelimiter("a\tb\tc"), "\t");
    assert.equal(detectDelimiter('"x;y;z",b,c'), ",");
    assert.equal(detectDelimiter("single"), ",");
  });
});
