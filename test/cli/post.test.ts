/**
 * `post` on a run larger than a screen: stored in chunks under a run id, settled by one store query,
 * reported as a summary by state plus the journals not delivered (every row only with --table).
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TABLE_UP_TO } from "../../src/cli/commands/post.js";
import { cli } from "../helpers/cli.js";

const HEADER =
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode";

function journalRows(key: string, date = "2026-11-30", amount = "10.00"): string[] {
  return [
    `${key},usmf,GenJrn,V1,${date},601100,${amount},,USD`,
    `${key},usmf,GenJrn,V1,${date},110110,,${amount},USD`,
  ];
}

describe("post: a summary for many journals, conflicts reported per journal", () => {
  it("delivers the rest when one journal is dead and another conflicts with a stored one; --table and --json agree", async () => {
    const env = { LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-post-")) };
    const dir = mkdtempSync(join(tmpdir(), "lb-post-files-"));
    const earlier = join(dir, "earlier.csv");
    writeFileSync(earlier, [HEADER, ...journalRows("clash-1", "2026-11-30", "1.00")].join("\n"));
    assert.equal((await cli(["post", earlier], { env })).code, 0);

    const count = TABLE_UP_TO + 20;
    const keys = Array.from({ length: count }, (_, index) => `gen-${String(index).padStart(3, "0")}`);
    const file = join(dir, "many.csv");
    writeFileSync(
      file,
      [
        HEADER,
        ...keys.flatMap((key) => journalRows(key)),
        ...journalRows("closed-1", "2025-12-15"),
        // The same key as earlier.csv's journal with another amount: refused, the others go on.
        ...journalRows("clash-1", "2026-11-30", "2.00"),
      ].join("\n"),
    );
    const run = await cli(["post", file, "--post"], { env });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`${count + 1} journals queued\\.`));
    assert.match(run.stdout, /OUTBOX_CONFLICT/);
    assert.match(run.stdout, /Journal clash-1 is stored from .*earlier\.csv/);
    assert.match(run.stdout, /closed-1 .* dead/);
    assert.match(run.stdout, /D365_BUSINESS_RULE: .*The period for 2025-12-15 is closed/);
    assert.match(run.stdout, new RegExp(`By state: posted ${count}, dead 1`));
    assert.match(run.stdout, new RegExp(`${count} of ${count + 1} journals delivered`));
    assert.doesNotMatch(run.stdout, /gen-000/, "delivered journals are counted, not listed");

    const table = await cli(["post", file, "--post", "--table"], { env });
    assert.equal(table.code, 1);
    assert.match(table.stdout, new RegExp(`0 journals queued, ${count + 1} already stored`));
    assert.equal(table.stdout.match(/^gen-\d+ .* posted$/gm)?.length, count, table.stdout);

    const json = await cli(["post", file, "--post", "--json"], { env });
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.total, count + 1);
    assert.deepEqual(doc.states, { posted: count, dead: 1 });
    assert.deepEqual(
      doc.undelivered.map((journal: { key: string; state: string }) => [journal.key, journal.state]),
      [["closed-1", "dead"]],
    );
    assert.equal(doc.journals, undefined);
    assert.equal(doc.files[0].errors[0].code, "OUTBOX_CONFLICT");
    assert.equal(doc.files[0].errors[0].journalKey, "clash-1");
    assert.equal(doc.delivered, false);
  });
});
