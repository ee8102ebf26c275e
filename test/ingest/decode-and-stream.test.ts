import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readCsv } from "../../src/ingest/csv/read.js";
import { firstInvalidUtf8, Utf8Decoder } from "../../src/ingest/decode.js";
import { SourceProblem } from "../../src/ingest/problem.js";
import { CSV_HEADER, readText } from "../helpers/read.js";

describe("UTF-8 decoding", () => {
  it("strips a BOM and decodes characters split across chunks", () => {
    const bytes = Buffer.from("\ufeffCafé ☕\n", "utf8");
    const decoder = new Utf8Decoder("f");
    let text = "";
    for (const byte of bytes) text += decoder.push(Buffer.from([byte]));
    text += decoder.end();
    assert.equal(text, "Café ☕\n");
  });

  it("names the line of the first invalid byte, even across a chunk boundary", () => {
    const decoder = new Utf8Decoder("f");
    decoder.push(Buffer.from("a\nb\nc", "utf8"));
    assert.throws(
      () => decoder.push(Buffer.from([0x0a, 0x0a, 0x41, 0xe9, 0x42])),
      (error: unknown) =>
        error instanceof SourceProblem && error.issue.code === "FILE_INVALID_UTF8" && error.issue.line === 5,
    );
  });

  it("names the line of a NUL byte whatever the line endings: LF, CRLF (split across chunks too), CR alone", () => {
    const nulLine = (...chunks: string[]) => {
      const decoder = new Utf8Decoder("f");
      try {
        for (const chunk of chunks) decoder.push(Buffer.from(chunk, "latin1"));
      } catch (error) {
        if (error instanceof SourceProblem && error.issue.code === "FILE_NUL_BYTE") return error.issue.line;
        throw error;
      }
      return undefined;
    };
    assert.equal(nulLine("a\nb\nc\u0000"), 3);
    assert.equal(nulLine("a\r\nb\r\nc\u0000"), 3);
    assert.equal(nulLine("a\rb\rc\u0000"), 3, "CR alone ends a line");
    assert.equal(nulLine("a\rb\r", "\nc\r\nd\u0000"), 4, "a CRLF split across chunks counts once");
    assert.equal(nulLine("a\rb\r", "c\rd", "\u0000"), 4);
  });

  it("finds invalid sequences: overlong, surrogate, stray continuation", () => {
    assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0xc0, 0xaf])), 1);
    assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0);
    assert.equal(firstInvalidUtf8(Buffer.from([0x41, 0x80])), 1);
    assert.equal(firstInvalidUtf8(Buffer.from("ok é ☕ 𝄞", "utf8")), Buffer.byteLength("ok é ☕ 𝄞"));
  });

  it("accepts CRLF files with a BOM", async () => {
    const text = `\ufeff${CSV_HEADER}\r\nj1,usmf,GenJrn,V1,2026-11-30,601100,1.00,,USD\r\nj1,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD\r\n`;
    const result = await readText("a.csv", text);
    assert.deepEqual(result.errors, []);
    assert.equal(result.journals.length, 1);
  });
});

describe("streaming", () => {
  it("hands out each journal before the rest of the file has been read", async () => {
    let chunksRead = 0;
    const journals = 1000;
    async function* chunks() {
      yield Buffer.from(`${CSV_HEADER}\n`);
      for (let i = 0; i < journals; i++) {
        chunksRead++;
        yield Buffer.from(
          `k${i},usmf,GenJrn,V1,2026-11-30,601100,1.00,,USD\nk${i},usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD\n`,
        );
      }
    }
    let seen = 0;
    for await (const event of readCsv("stream.csv", chunks())) {
      assert.equal(event.kind, "journal");
      seen++;
      // Journal i is complete once the first row of journal i+1 arrived: at most two chunks behind.
      assert.ok(chunksRead <= seen + 2, `journal ${seen} arrived only after ${chunksRead} chunks`);
    }
    assert.equal(seen, journals);
  });
});
