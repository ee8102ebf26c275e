/**
 * Bytes to text for every reader: UTF-8 only (a BOM is accepted and dropped), with the exact line of
 * the first byte that is not UTF-8, a NUL, or a UTF-16 file named as such.
 */
import { issue } from "../core/errors/issue.js";
import { SourceProblem } from "./problem.js";

export class Utf8Decoder {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  private first = true;
  /** Line number (1-based) of the first byte of the next chunk. */
  private line = 1;
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  push(chunk: Buffer): string {
    if (this.first) {
      this.first = false;
      if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
        throw this.problem("FILE_ENCODING_UTF16", "The file starts with a UTF-16 byte order mark.", 1);
      }
    }
    const nul = chunk.indexOf(0);
    if (nul >= 0) {
      const line = this.line + countNewlines(chunk, 0, nul, this.tail.at(-1));
      // UTF-16 text of ASCII characters has a NUL in every other byte, right from the start.
      if (line === 1 && nul <= 1) {
        throw this.problem(
          "FILE_ENCODING_UTF16",
          "The file looks like UTF-16 (every other byte is NUL).",
          line,
        );
      }
      throw this.problem("FILE_NUL_BYTE", `The file has a NUL byte on line ${line}.`, line);
    }
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      const joined = Buffer.concat([this.tail, chunk]);
      const bad = firstInvalidUtf8(joined);
      const line = this.line + countNewlines(joined, this.tail.length, Math.max(bad, this.tail.length));
      const shown = joined
        .subarray(bad, bad + 1)
        .toString("hex")
        .toUpperCase();
      throw this.problem("FILE_INVALID_UTF8", `Byte 0x${shown} on line ${line} is not valid UTF-8.`, line);
    }
    this.line += countNewlines(chunk, 0, chunk.length, this.tail.at(-1));
    this.tail = chunk.subarray(Math.max(0, chunk.length - 3));
    return text;
  }

  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw this.problem("FILE_INVALID_UTF8", "The file ends inside a UTF-8 character.", this.line);
    }
  }

  private problem(
    code: "FILE_ENCODING_UTF16" | "FILE_NUL_BYTE" | "FILE_INVALID_UTF8",
    detail: string,
    line: number,
  ) {
    return new SourceProblem(issue(code, detail, { file: this.file, line }));
  }
}

/**
 * Line breaks in bytes[from, to): LF, CRLF and CR alone each end a line (as the CSV reader reads them).
 * `previous` is the byte before `bytes` (the previous chunk's last), so a CRLF split across chunks
 * counts once.
 */
function countNewlines(bytes: Buffer, from: number, to: number, previous = -1): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0d, from); at >= 0 && at < to; at = bytes.indexOf(0x0d, at + 1)) count++;
  for (let at = bytes.indexOf(0x0a, from); at >= 0 && at < to; at = bytes.indexOf(0x0a, at + 1))
    if ((at > 0 ? bytes[at - 1] : previous) !== 0x0d) count++;
  return count;
}

/** Index of the first byte that starts an invalid UTF-8 sequence (bytes.length if none). */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    let codePoint = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const next = bytes[i + k];
      // A sequence cut by the end of the buffer is not invalid yet: the next chunk may complete it.
      if (next === undefined) return bytes.length;
      if ((next & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
