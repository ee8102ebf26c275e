/**
 * A damaged SQLite store is refused when it is opened, before anything reads or writes it: 4 KB
 * overwritten in the middle or at the end of the file (random bytes, or zeros), the test making the
 * file. `store check` and the doctor's check report it; a sound store passes.
 */
import assert from "node:assert/strict";
import { closeSync, copyFileSync, mkdtempSync, openSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { isBridgeError } from "../../src/core/errors/bridge-error.js";
import { checkStore } from "../../src/outbox/check.js";
import { openStore } from "../../src/outbox/open.js";
import type { NewJournal } from "../../src/outbox/store.js";
import { cli } from "../helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "lb-integrity-"));
const sound = join(dir, "sound.db");

function journal(index: number): NewJournal {
  const key = `integrity-${index}`;
  return {
    key,
    company: "usmf",
    journalName: "GenJrn",
    source: "integrity.csv",
    contentHash: `hash-${index}`,
    payload: JSON.stringify({
      key,
      lines: [
        { account: "601100", debit: `${index}.25` },
        { account: "110110", credit: `${index}.25` },
      ],
    }),
    lineCount: 2,
    post: true,
    marker: `lb:${key}`,
  };
}

/** A copy of the sound store with `bytes` written at `offset`. */
function damaged(name: string, offset: (size: number) => number, bytes: Buffer): string {
  const file = join(dir, `${name}.db`);
  copyFileSync(sound, file);
  const fd = openSync(file, "r+");
  writeSync(fd, bytes, 0, bytes.length, offset(statSync(file).size));
  closeSync(fd);
  return file;
}

/** Bytes that look like nothing SQLite writes, the same every run. */
function noise(length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let seed = 20261201;
  for (let index = 0; index < length; index++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    buffer[index] = seed >> 16;
  }
  return buffer;
}

async function refusal(file: string): Promise<unknown> {
  try {
    const store = await openStore(file);
    await store.close();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("a damaged SQLite store", () => {
  before(async () => {
    const store = await openStore(sound);
    for (let from = 0; from < 3000; from += 500)
      await store.enqueueAll(
        Array.from({ length: 500 }, (_, index) => journal(from + index)),
        Date.parse("2026-11-30T12:00:00Z"),
      );
    await store.close();
  });

  it("a sound store opens, and passes store check", async () => {
    assert.equal(await refusal(sound), undefined);
    const report = await checkStore(sound);
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.deepEqual(
      report.checks.map((check) => check.name),
      ["page scan", "quick_check"],
    );
  });

  const cases = [
    {
      name: "4 KB of noise in the middle",
      offset: (size: number) => Math.floor(size / 2 / 4096) * 4096,
      bytes: noise(4096),
    },
    {
      name: "4 KB of noise in the middle, not on a page boundary",
      offset: (size: number) => Math.floor(size / 2) + 1000,
      bytes: noise(4096),
    },
    { name: "4 KB of noise at the end", offset: (size: number) => size - 4096, bytes: noise(4096) },
    {
      name: "4 KB of zeros in the middle",
      offset: (size: number) => Math.floor(size / 3 / 4096) * 4096,
      bytes: Buffer.alloc(4096),
    },
    { name: "4 KB of zeros at the end", offset: (size: number) => size - 4096, bytes: Buffer.alloc(4096) },
  ];
  for (const [index, damage] of cases.entries()) {
    it(`${damage.name}: refused at open with OUTBOX_CORRUPT naming the page; store check fails`, async () => {
      const file = damaged(`damaged-${index}`, damage.offset, damage.bytes);
      const error = await refusal(file);
      assert.ok(isBridgeError(error), `refused: ${String(error)}`);
      assert.equal(error.code, "OUTBOX_CORRUPT");
      assert.match(error.message, /page \d+ at byte \d+/);
      const report = await checkStore(file);
      assert.equal(report.ok, false);
    });
  }

  it("the CLI says so with the code and what to do, no stack trace; store check exits 1", async () => {
    const file = damaged("damaged-cli", (size) => Math.floor(size / 2 / 4096) * 4096, noise(4096));
    const env = {
      LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-integrity-home-")),
      LEDGER_BRIDGE_STORE: file,
    };
    const status = await cli(["status"], { env });
    assert.equal(status.code, 1);
    assert.match(status.stderr, /OUTBOX_CORRUPT/);
    assert.match(status.stderr, /restore the latest backup/);
    assert.doesNotMatch(status.stderr, /\n\s+at /, "no stack trace");
    const check = await cli(["store", "check"], { env });
    assert.equal(check.code, 1);
    assert.match(check.stdout, /FAIL page scan/);
    assert.match(check.stdout, /FAIL quick_check/);
    const doctor = await cli(["doctor", "--json"], { env });
    const store = JSON.parse(doctor.stdout).checks.find((check: { id: string }) => check.id === "store");
    assert.equal(store?.status, "fail");
    assert.equal(store?.cause?.code, "STORE_CORRUPT");
    const healthy = await cli(["store", "check", "--json"], { env: { ...env, LEDGER_BRIDGE_STORE: sound } });
    assert.equal(healthy.code, 0);
    assert.equal(JSON.parse(healthy.stdout).ok, true);
  });
});
