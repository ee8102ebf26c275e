/**
 * `cleanup` against the emulator, on each target: a journal dead after its opening write (F&O
 * refused its lines), one cancelled while in doubt with its lines in F&O, and one cancelled whose
 * journal a person then posted by hand. The dry run lists all three; --yes deletes the two unposted
 * ones (with their lines) and only them; delivered journals are untouched; the trail says what went.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Journal } from "../../src/core/journal.js";
import { postJournal } from "../../src/d365/posting.js";
import {
  createTarget,
  markerFor,
  REPORT_FLAT_ENTITY,
  type TargetSettings,
} from "../../src/d365/targets/index.js";
import { cleanup } from "../../src/delivery/cleanup.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import type { ScenarioName } from "../../src/emulator/scenarios/index.js";
import { readJournalText } from "../../src/ingest/source.js";
import { openStore } from "../../src/outbox/open.js";
import { clientFor } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";

const CASES: ReadonlyArray<{ name: string; scenario: ScenarioName; settings: TargetSettings }> = [
  { name: "ledger-journal", scenario: "default", settings: { kind: "ledger-journal" } },
  { name: "flat-entity", scenario: "csrf-gateway", settings: REPORT_FLAT_ENTITY },
];

async function journals(prefix: string): Promise<Journal[]> {
  const line = (key: string, account: string, debit: string, credit: string) =>
    `${prefix}-${key},usmf,GenJrn,V1,2026-11-30,${account},${debit},${credit},USD`;
  const rows = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
    line("ok", "601100", "10.00", ""),
    line("ok", "110110", "", "10.00"),
    // No such main account on the second line: F&O refuses the lines after the journal was opened.
    line("dead", "601100", "20.00", ""),
    line("dead", "999999", "", "20.00"),
    line("cancel", "601100", "30.00", ""),
    line("cancel", "110110", "", "30.00"),
    line("hand", "601100", "40.00", ""),
    line("hand", "110110", "", "40.00"),
  ];
  const out: Journal[] = [];
  for await (const event of readJournalText(`${prefix}.csv`, `${rows.join("\n")}\n`))
    if (event.kind === "journal" && event.read.journal) out.push(event.read.journal);
  return out;
}

for (const target of CASES) {
  describe(`cleanup on the ${target.name} target`, () => {
    let emulator: RunningEmulator;
    before(async () => {
      emulator = await startTestEmulator({ scenario: target.scenario });
    });
    after(() => emulator.close());

    it("lists what dead and cancelled journals left; --yes deletes only the unposted ones", async () => {
      const store = await openStore(join(mkdtempSync(join(tmpdir(), "lb-cleanup-")), "outbox.db"));
      const { client } = clientFor(emulator);
      try {
        const prefix = `clean-${target.name}`;
        await enqueueJournals(store, await journals(prefix), { source: "cleanup", post: true });
        // The two to cancel stop after their lines are recorded: the round fails there, in doubt.
        const engine = new DeliveryEngine({
          store,
          client,
          target: createTarget(target.settings),
          random: () => 0,
          failpoint: (point, key) => {
            if (point === "after-lines-recorded" && /-(cancel|hand)$/.test(key))
              throw new Error("stopped here by the test");
          },
        });
        await engine.round();
        const state = async (key: string) => (await store.get(`${prefix}-${key}`))?.state;
        assert.equal(await state("dead"), "dead");
        assert.equal(await state("cancel"), "in_doubt");
        const cancelled = await store.cancel([`${prefix}-cancel`, `${prefix}-hand`], "test", Date.now());
        assert.equal(cancelled.cancelled.length, 2);
        const hand = await store.get(`${prefix}-hand`);
        // A person posts that one in F&O by hand.
        await postJournal(client, "usmf", String(hand?.journalBatchNumber));
        const posted = await new DeliveryEngine({
          store,
          client,
          target: createTarget(target.settings),
        }).runUntilIdle();
        assert.ok(posted >= 0);
        assert.equal(await state("ok"), "posted");

        const dry = await cleanup(store, client, createTarget(target.settings), {
          delete: false,
          actor: "test",
          now: Date.now,
        });
        const listed = Object.fromEntries(
          dry.leftovers.map((each) => [each.key.slice(prefix.length + 1), each]),
        );
        assert.deepEqual(Object.keys(listed).sort(), ["cancel", "dead", "hand"]);
        assert.equal(listed.cancel?.lines, 2);
        assert.equal(listed.hand?.posted, true);
        assert.equal(listed.dead?.posted, false);
        assert.deepEqual(dry.deleted, [], "a dry run deletes nothing");

        const done = await cleanup(store, client, createTarget(target.settings), {
          delete: true,
          actor: "test",
          now: Date.now,
        });
        assert.deepEqual(done.failed, []);
        assert.deepEqual(
          [...done.deleted].sort(),
          [listed.cancel?.batchNumber, listed.dead?.batchNumber].sort(),
        );
        const inFno = (await emulator.admin.journals()).map(
          (header) => String(header.Description).split(" ")[0],
        );
        assert.ok(!inFno.includes(markerFor(`${prefix}-cancel`)), "the cancelled journal's lines are gone");
        assert.ok(!inFno.includes(markerFor(`${prefix}-dead`)));
        assert.ok(inFno.includes(markerFor(`${prefix}-hand`)), "the posted one is never touched");
        assert.ok(inFno.includes(markerFor(`${prefix}-ok`)), "delivered journals are not cleanup's");
        const trail = await store.events(`${prefix}-cancel`);
        assert.equal(trail.at(-1)?.detail.cleanup, true);
        assert.equal(trail.at(-1)?.detail.deleted, listed.cancel?.batchNumber);

        const again = await cleanup(store, client, createTarget(target.settings), {
          delete: true,
          actor: "test",
          now: Date.now,
        });
        assert.deepEqual(
          again.leftovers.map((each) => [each.key.slice(prefix.length + 1), each.posted]),
          [["hand", true]],
          "only the posted one is left",
        );
      } finally {
        client.close();
        await store.close();
      }
    });
  });
}
