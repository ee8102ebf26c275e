/**
 * Finding a damaged SQLite outbox before it is used. Two checks (measured: docs/benchmarks.md,
 * npm run bench:store-check):
 *
 * - `scanPages`, at every open: reads the file once and checks that every page is what a page of an
 *   SQLite file can be — a b-tree page whose header and cell pointers are consistent, a page of an
 *   overflow chain (its first four bytes a page number of the file), or a page of the freelist. Bytes
 *   overwritten anywhere (a bad block, a copy cut short, another program writing into the file)
 *   strike at least one page's head, which no longer passes. It does not follow the b-trees, so it
 *   cannot see a page of the wrong table or a broken chain of pointers; that is:
 * - `quickCheck`, SQLite's own `PRAGMA quick_check`: every b-tree walked, every record checked. It
 *   runs in `ledger-bridge store check` and in the doctor, and at every open of a small store.
 *
 * Either finds OUTBOX_CORRUPT; the fix is a backup restored, then `reconcile` (docs/reliability.md).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type Database from "better-sqlite3";
import { BridgeError } from "../core/errors/bridge-error.js";

const HEADER = Buffer.from("SQLite format 3\0", "latin1");
const BTREE_TYPES = new Set([2, 5, 10, 13]);

/** What the scan found wrong, with the page and its offset in the file. */
export interface PageProblem {
  readonly page: number;
  readonly offset: number;
  readonly problem: string;
}

/** Why a b-tree page's header is not consistent, or undefined when it is. */
function btreeProblem(page: Buffer, start: number, usable: number, pageCount: number): string | undefined {
  const type = page[start] as number;
  if (!BTREE_TYPES.has(type)) return `page type ${type}`;
  const interior = type === 2 || type === 5;
  const headerEnd = start + (interior ? 12 : 8);
  const firstFreeblock = page.readUInt16BE(start + 1);
  const cells = page.readUInt16BE(start + 3);
  const contentStart = page.readUInt16BE(start + 5) || 65_536;
  const pointersEnd = headerEnd + 2 * cells;
  if (pointersEnd > usable || (cells > 0 && contentStart < pointersEnd) || contentStart > usable)
    return `cell layout (${cells} cells, content at ${contentStart})`;
  if (firstFreeblock !== 0 && (firstFreeblock < pointersEnd || firstFreeblock >= usable))
    return `freeblock at ${firstFreeblock}`;
  if (interior) {
    const right = page.readUInt32BE(start + 8);
    if (right === 0 || right > pageCount) return `right child ${right}`;
  }
  for (let cell = 0; cell < cells; cell++) {
    const pointer = page.readUInt16BE(headerEnd + 2 * cell);
    if (pointer < contentStart || pointer >= usable) return `cell pointer ${pointer}`;
  }
  return undefined;
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
function readAt(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

/** The freelist's pages: trunk pages and the leaves they list (content of leaves is arbitrary). */
function freelistPages(fd: number, pageSize: number, firstTrunk: number, pageCount: number): Set<number> {
  const pages = new Set<number>();
  for (let trunk = firstTrunk; trunk !== 0 && trunk <= pageCount && !pages.has(trunk); ) {
    pages.add(trunk);
    const page = readAt(fd, pageSize, (trunk - 1) * pageSize);
    if (page.length < 8) break;
    const leaves = Math.min(page.readUInt32BE(4), pageSize / 4 - 2);
    for (let leaf = 0; leaf < leaves; leaf++) pages.add(page.readUInt32BE(8 + 4 * leaf));
    trunk = page.readUInt32BE(0);
  }
  return pages;
}

/**
 * Every page of the file checked for what it can be (see above); the first problems found (at most
 * `limit`), none for a sound file. A file shorter than its header says is a problem too.
 */
export function scanPages(path: string, limit = 10): PageProblem[] {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return [];
    const header = readAt(fd, 100, 0);
    if (header.length < 100 || !header.subarray(0, 16).equals(HEADER))
      return [{ page: 1, offset: 0, problem: "not an SQLite file header" }];
    const pageSize = header.readUInt16BE(16) === 1 ? 65_536 : header.readUInt16BE(16);
    const usable = pageSize - (header[20] as number);
    const pageCount = Math.floor(size / pageSize);
    const autovacuum = header.readUInt32BE(52) !== 0;
    const free = freelistPages(fd, pageSize, header.readUInt32BE(32), pageCount);
    // The page holding the byte at 1 GiB is SQLite's lock page: never written.
    const lockPage = Math.floor(0x40000000 / pageSize) + 1;
    const problems: PageProblem[] = [];
    const chunkPages = Math.max(1, Math.floor((4 * 2 ** 20) / pageSize));
    for (let first = 1; first <= pageCount && problems.length < limit; first += chunkPages) {
      const chunk = readAt(fd, chunkPages * pageSize, (first - 1) * pageSize);
      for (let index = 0; index * pageSize < chunk.length && problems.length < limit; index++) {
        const number = first + index;
        if (free.has(number) || number === lockPage || autovacuum) continue;
        const page = chunk.subarray(index * pageSize, (index + 1) * pageSize);
        if (page.length < pageSize) break;
        const problem = pageProblem(page, number, usable, pageCount);
        if (problem !== undefined) problems.push({ page: number, offset: (number - 1) * pageSize, problem });
      }
    }
    return problems;
  } finally {
    closeSync(fd);
  }
}

function pageProblem(page: Buffer, number: number, usable: number, pageCount: number): string | undefined {
  const btree = btreeProblem(page, number === 1 ? 100 : 0, usable, pageCount);
  if (btree === undefined) return undefined;
  // Not a b-tree page: it may be a page of an overflow chain, which starts with the next page's
  // number (0 at the chain's end). Text payloads never fill a page with zeros: a page of zeros is lost.
  const next = page.readUInt32BE(0);
  if (next <= pageCount && next !== number && !isZero(page)) return undefined;
  return isZero(page) ? "a page of zeros" : btree;
}

function isZero(page: Buffer): boolean {
  for (let index = 0; index < page.length; index += 8) if (page.readBigUInt64LE(index) !== 0n) return false;
  return true;
}

/** SQLite's quick_check: the problems it reports, none for a sound store. */
export function quickCheck(db: Database.Database): string[] {
  const rows = db.pragma("quick_check") as { quick_check: string }[];
  return rows.map((row) => row.quick_check).filter((line) => line !== "ok");
}

/** OUTBOX_CORRUPT for what a check found, with where. */
export function corruptError(path: string, found: readonly string[], how: string): BridgeError {
  const shown = found.slice(0, 5).join("; ");
  const more = found.length > 5 ? ` (and ${found.length - 5} more)` : "";
  return new BridgeError("OUTBOX_CORRUPT", `The SQLite store ${path} is damaged (${how}): ${shown}${more}.`);
}

export function describePages(problems: readonly PageProblem[]): string[] {
  return problems.map((problem) => `page ${problem.page} at byte ${problem.offset}: ${problem.problem}`);
}
