import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PlainJson } from "../../src/common/json.js";
import type { Journal } from "../../src/core/journal.js";
import { sendBatch } from "../../src/d365/batch.js";
import { Entities } from "../../src/d365/entities.js";
import { D365Error } from "../../src/d365/errors.js";
import { postJournal } from "../../src/d365/posting.js";
import {
  type CompiledJournal,
  createTarget,
  markerFor,
  REPORT_FLAT_ENTITY,
} from "../../src/d365/targets/index.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { openJournalFile } from "../../src/ingest/source.js";
import { clientFor } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");

function compiled(compile: ReturnType<ReturnType<typeof createTarget>["compile"]>): CompiledJournal {
  assert.ok(compile.ok, compile.ok ? "" : JSON.stringify(compile.problems));
  return compile.compiled;
}

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
    const target = createTarget({
      kind: "ledger-journal",
      dimensionFormat: ["BusinessUnit", "Department", "CostCenter"],
    });
    for (const journal of await journalsOf("journals.csv")) {
      const plan = compiled(target.compile(journal, markerFor(journal.key)));
      const header = await entities.create(
        "LedgerJournalHeaders",
        plan.opening.body as Record<string, unknown>,
      );
      const batch = plan.batchNumberOf(header);
      const [result] = await sendBatch(client, [{ operations: plan.rest(batch) }]);
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
    // The emulator's format for integrating applications: BusinessUnit-Department-CostCenter.
    assert.equal(lines[0]?.DefaultDimensionDisplayValue, "-022-");
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

  it("refuses to compile dimensions without a configured dimension format, naming the line", async () => {
    const [journal] = await journalsOf("journals.csv");
    const result = createTarget({ kind: "ledger-journal" }).compile(journal as Journal, "lb:x");
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.ok ? [] : result.problems.map((problem) => [problem.code, problem.line, problem.field]),
      (journal as Journal).lines.flatMap((line, index) =>
        line.dimensions === undefined
          ? []
          : [["TARGET_DIMENSION_FORMAT_MISSING", index, "dimensions.Department"]],
      ),
    );
  });

  it("answers without a JournalBatchNumber are D365_INVALID_RESPONSE, never the text 'undefined'", async () => {
    const [journal] = await journalsOf("journals.csv");
    const plan = compiled(
      createTarget({
        kind: "ledger-journal",
        dimensionFormat: ["BusinessUnit", "Department", "CostCenter"],
      }).compile(journal as Journal, "lb:x"),
    );
    for (const answer of [
      undefined,
      {},
      { JournalBatchNumber: null },
      { JournalBatchNumber: "" },
    ] as PlainJson[])
      assert.throws(
        () => plan.batchNumberOf(answer),
        (error: unknown) => {
          assert.ok(error instanceof D365Error);
          assert.equal(error.code, "D365_INVALID_RESPONSE");
          return true;
        },
      );
    assert.equal(plan.batchNumberOf({ JournalBatchNumber: "USMF-000007" }), "USMF-000007");
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
    const target = createTarget(REPORT_FLAT_ENTITY);
    await target.prepare(client);
    const marker = markerFor(journal.key);
    const plan = compiled(target.compile(journal, marker));
    const created = await entities.create(
      REPORT_FLAT_ENTITY.entitySet,
      plan.opening.body as Record<string, unknown>,
    );
    const batch = plan.batchNumberOf(created);
    const [result] = await sendBatch(client, [{ operations: plan.rest(batch) }]);
    assert.ok(result?.ok);
    // Every row carries the marker in the entity's Description; the journal is found again by it.
    assert.deepEqual(await target.find(entities, journal.company, marker, journal.key), {
      batchNumber: batch,
      company: journal.company,
    });
    assert.equal((await target.lines(entities, journal.company, batch)).count, journal.lines.length);
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
