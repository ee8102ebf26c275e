/**
 * Nothing is sent before the whole journal is known to fit the target: a journal the target cannot
 * carry is refused where it is stored (post, the API) with file, line and field, and — stored before
 * the configuration changed — dead at claim time before any request. The emulator's journals and
 * request log are counted before and after.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Journal } from "../../src/core/journal.js";
import type { D365Client } from "../../src/d365/client.js";
import { createTarget, REPORT_FLAT_ENTITY } from "../../src/d365/targets/index.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { openStore } from "../../src/outbox/open.js";
import type { SqlOutboxStore } from "../../src/outbox/sql.js";
import { ApiStore } from "../../src/server/api-store.js";
import { buildApp } from "../../src/server/app.js";
import { cli } from "../helpers/cli.js";
import { clientFor } from "../helpers/client.js";
import { connectionEnv, startTestEmulator } from "../helpers/emulator.js";
import { readText } from "../helpers/read.js";
import { ENGINES } from "../helpers/stores.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
const HEADER =
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountType,AccountDisplayValue,OffsetAccountType,OffsetAccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode";

let plain: RunningEmulator;
let gateway: RunningEmulator;
before(async () => {
  plain = await startTestEmulator();
  gateway = await startTestEmulator({ scenario: "csrf-gateway" });
});
after(async () => {
  await plain.close();
  await gateway.close();
});

function dir(): string {
  return mkdtempSync(join(tmpdir(), "lb-preflight-"));
}

function envFor(emulator: RunningEmulator, target?: unknown): Record<string, string> {
  const home = dir();
  const config = join(home, "ledger-bridge.config.json");
  writeFileSync(config, JSON.stringify(target === undefined ? {} : { target }));
  return {
    ...connectionEnv(emulator),
    LEDGER_BRIDGE_HOME: home,
    LEDGER_BRIDGE_CONFIG: config,
  };
}

function csv(rows: string[]): string {
  const path = join(dir(), "journals.csv");
  writeFileSync(path, `${[HEADER, ...rows].join("\n")}\n`);
  return path;
}

/** Data writes the emulator received since `since` (POST, PATCH, DELETE to /data or /api). */
async function writesSince(emulator: RunningEmulator, since: number) {
  return (await emulator.admin.requests(since)).filter(
    (request) => request.kind === "fno" && request.method !== "GET",
  );
}

async function lastSeq(emulator: RunningEmulator): Promise<number> {
  return (await emulator.admin.requests()).at(-1)?.seq ?? 0;
}

async function journalsOf(text: string): Promise<Journal[]> {
  return (await readText("stored.csv", text)).journals;
}

describe("preflight: refused where it is stored, nothing sent", () => {
  it("post: dimensions without a dimension format (a configured D365_URL, no target.dimensionFormat)", async () => {
    await plain.admin.reset();
    const env = envFor(plain);
    const since = await lastSeq(plain);
    const run = await cli(["post", join(EXAMPLES, "journals.csv"), "--json"], { env });
    assert.equal(run.code, 1, run.stderr);
    const out = JSON.parse(run.stdout);
    const errors = out.files[0].errors;
    assert.deepEqual(
      errors.map((error: { code: string; line: number; field: string }) => [
        error.code,
        error.line,
        error.field,
      ]),
      [
        ["TARGET_DIMENSION_FORMAT_MISSING", 2, "Dim.Department"],
        ["TARGET_DIMENSION_FORMAT_MISSING", 3, "Dim.Department"],
        ["TARGET_DIMENSION_FORMAT_MISSING", 8, "Dim.Department"],
      ],
    );
    assert.match(errors[0].message, /Set target\.dimensionFormat in the config file/);
    // The two journals with dimensions are not stored and nothing of them reached F&O.
    assert.deepEqual(out.journals, []);
    assert.deepEqual(await writesSince(plain, since), []);
    assert.deepEqual(await plain.admin.journals(), []);
  });

  it("post on a flat entity: an offset account and a Vend line are refused at their line and field", async () => {
    await gateway.admin.reset();
    const env = envFor(gateway, { kind: "flat-entity" });
    const since = await lastSeq(gateway);
    const file = csv([
      "offset-1,usmf,GenJrn,V1,2026-11-30,Ledger,618500,Ledger,110110,89.50,,USD",
      "vendor-1,usmf,GenJrn,V1,2026-11-30,Vend,US-101,,,,250.00,USD",
      "vendor-1,usmf,GenJrn,V1,2026-11-30,Ledger,601500,,,250.00,,USD",
    ]);
    const run = await cli(["post", file, "--json"], { env });
    assert.equal(run.code, 1, run.stderr);
    const errors = JSON.parse(run.stdout).files[0].errors;
    assert.deepEqual(
      errors.map((error: { code: string; line: number; field: string }) => [
        error.code,
        error.line,
        error.field,
      ]),
      [
        ["TARGET_FIELD_UNSUPPORTED", 2, "OffsetAccountDisplayValue"],
        ["TARGET_ACCOUNT_TYPE_UNSUPPORTED", 3, "AccountType"],
      ],
    );
    assert.deepEqual(await writesSince(gateway, since), []);
    assert.deepEqual(await gateway.admin.journals(), []);
  });

  it("post on a flat entity without a field that can carry the marker refuses to start: nothing stored, nothing sent", async () => {
    await gateway.admin.reset();
    const env = envFor(gateway, { kind: "flat-entity", fields: { marker: "Voucher" } });
    const since = await lastSeq(gateway);
    const run = await cli(["post", join(EXAMPLES, "original-report.csv")], { env });
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stderr, /CONFIG_INVALID/);
    assert.match(run.stderr, /Exactly-once delivery needs one/);
    assert.deepEqual(await writesSince(gateway, since), []);
    const status = await cli(["status", "report-accrual-1", "--json"], { env });
    assert.notEqual(status.code, 0, "the journal was not stored");
  });

  it("the API refuses an upload the target cannot carry with the line and field, and stores nothing", async () => {
    const store = await openStore(join(dir(), "outbox.db"));
    const apiStore = new ApiStore((store as SqlOutboxStore).database);
    const key = (await apiStore.createKey("submit", null, "submitter", Date.now())).key;
    const app = await buildApp({ store, apiStore, target: createTarget({ kind: "ledger-journal" }) });
    try {
      const answer = await app.inject({
        method: "POST",
        url: "/v1/journals",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        payload: JSON.stringify({
          key: "api-dims",
          company: "usmf",
          journalName: "GenJrn",
          lines: [
            {
              voucher: "V1",
              transDate: "2026-11-30",
              account: "601100",
              debit: "5.00",
              currency: "USD",
              dimensions: { Department: "022" },
            },
            { voucher: "V1", transDate: "2026-11-30", account: "110110", credit: "5.00", currency: "USD" },
          ],
        }),
      });
      assert.equal(answer.statusCode, 400, answer.body);
      assert.equal(answer.json().error.code, "VALIDATION_FAILED");
      const errors = answer.json().error.errors;
      assert.deepEqual(
        errors.map((error: { code: string; field: string }) => [error.code, error.field]),
        [["TARGET_DIMENSION_FORMAT_MISSING", "lines[0].dimensions.Department"]],
      );
      assert.equal(await store.get("api-dims"), undefined);
    } finally {
      await app.close();
      await store.close();
    }
  });
});

describe("preflight again at claim time: the configuration changed after the journal was stored", () => {
  for (const engine of ENGINES) {
    it(`on ${engine.name}: dead with the target's code before any request`, async (t) => {
      const skip = await engine.skip();
      if (skip !== undefined) return t.skip(skip);
      await plain.admin.reset();
      const test = await engine.open();
      const { client } = clientFor(plain);
      try {
        // Stored while a dimension format was configured; it has been removed since.
        const text = `${HEADER},Dim.Department\nclaim-dims,usmf,GenJrn,V1,2026-11-30,Ledger,601100,,,5.00,,USD,022\nclaim-dims,usmf,GenJrn,V1,2026-11-30,Ledger,110110,,,,5.00,USD,\n`;
        await enqueueJournals(test.store, await journalsOf(text), { source: "before", post: true });
        const since = await lastSeq(plain);
        const delivery = new DeliveryEngine({
          store: test.store,
          client: client as D365Client,
          target: createTarget({ kind: "ledger-journal" }),
        });
        await delivery.runUntilIdle();
        const stored = await test.store.get("claim-dims");
        assert.equal(stored?.state, "dead");
        assert.equal(stored?.lastErrorCode, "TARGET_DIMENSION_FORMAT_MISSING");
        assert.match(String(stored?.lastError), /^line 1: The line carries financial dimensions/);
        assert.deepEqual(await writesSince(plain, since), [], "no request was made for it");
        assert.deepEqual(await plain.admin.journals(), []);
      } finally {
        client.close();
        await test.cleanup();
      }
    });
  }
});

describe("flat entity marker field", () => {
  it("the report's entity carries the marker in Description; a too short field refuses at prepare", async () => {
    const { client } = clientFor(gateway);
    try {
      await createTarget(REPORT_FLAT_ENTITY).prepare(client);
      await assert.rejects(
        createTarget({
          ...REPORT_FLAT_ENTITY,
          fields: { ...REPORT_FLAT_ENTITY.fields, marker: "JournalName" },
        }).prepare(client),
        /no text field that can carry ledger-bridge's marker \('JournalName' is Edm\.String of 10 characters\)/,
      );
      await assert.rejects(
        createTarget({
          ...REPORT_FLAT_ENTITY,
          fields: { ...REPORT_FLAT_ENTITY.fields, debit: "Debit" },
        }).prepare(client),
        /has no property target\.fields\.debit = 'Debit'/,
      );
    } finally {
      client.close();
    }
  });

  it("takes the first candidate field long enough for a marker, not the first text field", async () => {
    const metadata = (description: number) =>
      `<EntitySet Name="Flat" EntityType="NS.FlatType"/><EntityType Name="FlatType">${["dataAreaId", "JournalBatchNumber", "JournalName", "AccountType", "LedgerAccount", "TransactionCurrencyCode", "DebitAmount", "CreditAmount", "TransDate", "Voucher"].map((name) => `<Property Name="${name}" Type="Edm.String"/>`).join("")}<Property Name="Description" Type="Edm.String" MaxLength="${description}"/><Property Name="Text" Type="Edm.String" MaxLength="60"/></EntityType>`;
    const stub = (xml: string) =>
      ({
        request: async () => ({ status: 200, headers: {}, body: Buffer.from(xml), requestId: "r" }),
      }) as unknown as D365Client;
    const [journal] = await journalsOf(
      `${HEADER}\nshort-desc,usmf,GenJrn,V1,2026-11-30,Ledger,601100,,,5.00,,USD\nshort-desc,usmf,GenJrn,V1,2026-11-30,Ledger,110110,,,,5.00,USD\n`,
    );
    const target = createTarget({ ...REPORT_FLAT_ENTITY, entitySet: "Flat" });
    await target.prepare(stub(metadata(20)));
    const result = target.compile(journal as Journal, "lb:short-desc");
    assert.ok(result.ok);
    assert.equal(
      (result.compiled.opening.body as Record<string, unknown>).Text,
      "lb:short-desc",
      "Description holds 20: Text carries it",
    );
  });

  it("a marker longer than its field is refused with TARGET_MARKER_TOO_LONG at the key", async () => {
    // An entity whose text field holds 30 characters: enough for hashed markers, not for every plain one.
    const metadata = `<EntitySet Name="Flat" EntityType="NS.FlatType"/><EntityType Name="FlatType"><Property Name="dataAreaId" Type="Edm.String"/><Property Name="JournalBatchNumber" Type="Edm.String"/><Property Name="JournalName" Type="Edm.String"/><Property Name="AccountType" Type="Edm.String"/><Property Name="LedgerAccount" Type="Edm.String"/><Property Name="TransactionCurrencyCode" Type="Edm.String"/><Property Name="DebitAmount" Type="Edm.Decimal"/><Property Name="CreditAmount" Type="Edm.Decimal"/><Property Name="TransDate" Type="Edm.DateTimeOffset"/><Property Name="Voucher" Type="Edm.String"/><Property Name="Description" Type="Edm.String" MaxLength="30"/></EntityType>`;
    const metadataOnly = {
      request: async () => ({ status: 200, headers: {}, body: Buffer.from(metadata), requestId: "r" }),
    } as unknown as D365Client;
    const target = createTarget({ ...REPORT_FLAT_ENTITY, entitySet: "Flat" });
    await target.prepare(metadataOnly);
    const [journal] = await journalsOf(
      `${HEADER}\nkey-of-thirty-two-characters-xx,usmf,GenJrn,V1,2026-11-30,Ledger,601100,,,5.00,,USD\nkey-of-thirty-two-characters-xx,usmf,GenJrn,V1,2026-11-30,Ledger,110110,,,,5.00,USD\n`,
    );
    const result = target.compile(journal as Journal, "lb:key-of-thirty-two-characters-xx");
    assert.deepEqual(result.ok ? [] : result.problems.map((problem) => [problem.code, problem.field]), [
      ["TARGET_MARKER_TOO_LONG", "key"],
    ]);
  });
});
