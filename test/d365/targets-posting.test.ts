import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Journal } from "../../src/core/journal.js";
import { sendBatch } from "../../src/d365/batch.js";
import { Entities } from "../../src/d365/entities.js";
import { D365Error } from "../../src/d365/errors.js";
import { postJournal } from "../../src/d365/posting.js";
import { flatPayload, headerPayload, linePayload, REPORT_FLAT_ENTITY } from "../../src/d365/targets.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { openJournalFile } from "../../src/ingest/source.js";
import { clientFor } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

async function journalsOf(file: string): Promise<Journal[]> {
  const journals: Journal[] = [];
  for await (const event of await openJournalFile(join(EXAMPLES, file))) {
    if (event.kind === "journal" && event.read.journal) journals.push(event.read.journal);
  }
  return journals;
}

describe("ledger-journal target: header, lines in one changeset, posting", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  it("delivers the bundled example journals and posts them, every amount exact in the ledger", async () => {
    const { client } = clientFor(emulator);
    const entities = new Entities(client);
    const target = { kind: "ledger-journal" as const, dimensionFormat: ["Department"] };
    for (const journal of await journalsOf("journals.csv")) {
      const header = await entities.create(
        "LedgerJournalHeaders",
        headerPayload(journal, `lb:${journal.key}`),
      );
      const batch = String(header.JournalBatchNumber);
      const [result] = await sendBatch(client, [
        {
          operations: journal.lines.map((line) => ({
            method: "POST" as const,
            path: "/data/LedgerJournalLines",
            body: linePayload(journal, line, batch, target),
          })),
        },
      ]);
      assert.ok(result?.ok, result?.ok ? "" : result?.error.message);
      const vouchers = await postJournal(client, journal.company, batch);
      assert.ok(vouchers.length >= 1);
    }
    const ledger = await emulator.admin.ledger();
    const payroll = ledger.filter((entry) => entry.JournalNumber === "USMF-000001");
    assert.deepEqual(
      payroll.map((entry) => entry.TransactionCurrencyAmount),
      ["48250", "3691.13", "-9650", "-7382.26", "-34908.87"],
    );
    const lines = (await emulator.admin.journals())[0]?.lines ?? [];
    assert.equal(lines[0]?.DefaultDimensionDisplayValue, "022");
    assert.equal(lines[0]?.TransDate, "2026-11-27T00:00:00Z");
    client.close();
  });

  it("reports posting twice as a business-rule failure with the Infolog", async () => {
    const { client } = clientFor(emulator);
    await assert.rejects(postJournal(client, "usmf", "USMF-000001"), (error: unknown) => {
      assert.ok(error instanceof D365Error);
      assert.equal(error.code, "D365_BUSINESS_RULE");
      assert.deepEqual(error.infolog, [
        { level: "Error", text: "Journal USMF-000001 has already been posted" },
      ]);
      return true;
    });
    client.close();
  });

  it("refuses to send dimensions without a configured dimension format", async () => {
    const [journal] = await journalsOf("journals.csv");
    assert.throws(
      () =>
        linePayload(journal as Journal, (journal as Journal).lines[0] as Journal["lines"][number], "X", {
          kind: "ledger-journal",
        }),
      /dimension format/,
    );
  });
});

describe("flat-entity target: the original report's entity behind its gateway", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startTestEmulator({ scenario: "csrf-gateway" });
  });
  after(() => emulator.close());

  it("files the report's journal through GeneralJournalAccountEntry and posts it", async () => {
    const { client } = clientFor(emulator);
    const entities = new Entities(client);
    const [journal] = await journalsOf("original-report.csv");
    assert.ok(journal);
    const [first, ...rest] = journal.lines;
    const created = await entities.create(
      REPORT_FLAT_ENTITY.entitySet,
      flatPayload(journal, first as Journal["lines"][number], undefined, REPORT_FLAT_ENTITY),
    );
    const batch = String(created.JournalBatchNumber);
    const [result] = await sendBatch(client, [
      {
        operations: rest.map((line) => ({
          method: "POST" as const,
          path: `/data/${REPORT_FLAT_ENTITY.entitySet}`,
          body: flatPayload(journal, line, batch, REPORT_FLAT_ENTITY),
        })),
      },
    ]);
    assert.ok(result?.ok);
    const vouchers = await postJournal(client, journal.company, batch);
    assert.deepEqual(
      vouchers.map((voucher) => voucher.voucher),
      ["ACR-1"],
    );
    assert.deepEqual(
      (await emulator.admin.ledger()).map((entry) => [entry.LedgerAccount, entry.TransactionCurrencyAmount]),
      [
        ["601500", "1200"],
        ["200400", "-1200"],
      ],
    );
    client.close();
  });
});
