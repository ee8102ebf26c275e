import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parse } from "@sap-ux/edmx-parser";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { appToken, call, startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
let token: string;

const get = (path: string, headers: Record<string, string> = {}) =>
  call(emulator, "GET", path, { token, headers });
const filter = (set: string, expression: string, extra = "") =>
  get(`/data/${set}?$filter=${encodeURIComponent(expression)}${extra}`);
const descriptions = (answer: { json(): any }) => answer.json().value.map((row: any) => row.Description);

const DESCRIPTIONS = [
  "Payroll November",
  "Payroll December",
  "O'Brien & Sons",
  "rent * march",
  "Invoices 2026/11#7?x&$expand=y",
];

before(async () => {
  emulator = await startTestEmulator();
  token = await appToken(emulator);
  for (const description of DESCRIPTIONS) {
    const created = await call(emulator, "POST", "/data/LedgerJournalHeaders", {
      token,
      body: JSON.stringify({ JournalName: "GenJrn", Description: description }),
    });
    assert.equal(created.status, 201, created.body);
  }
  const usrt = await call(emulator, "POST", "/data/LedgerJournalHeaders", {
    token,
    body: JSON.stringify({ dataAreaId: "usrt", JournalName: "GenJrn", Description: "Retail journal" }),
  });
  assert.equal(usrt.status, 201, usrt.body);
});
after(() => emulator.close());

describe("OData service document and $metadata", () => {
  it("lists the entity sets in the service document", async () => {
    const doc = (await get("/data")).json();
    const names = doc.value.map((entry: any) => entry.name);
    for (const set of [
      "LedgerJournalHeaders",
      "LedgerJournalLines",
      "MainAccounts",
      "JournalNames",
      "Currencies",
      "LegalEntities",
      "Ledgers",
      "GeneralJournalAccountEntryBiEntities",
      "FiscalPeriods",
      "LedgerFiscalPeriods",
      "SysAADClients",
    ]) {
      assert.ok(names.includes(set), `${set} in the service document`);
    }
    assert.ok(
      !names.includes("GeneralJournalAccountEntry"),
      "the flat entity exists only behind the CSRF gateway",
    );
  });

  it("serves CSDL that a third-party OData metadata parser reads, with F&O's keys and types", async () => {
    const answer = await get("/data/$metadata");
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers["content-type"]), /xml/);
    const metadata: any = parse(answer.body);
    assert.equal(metadata.version, "4.0");
    const lines = metadata.schema.entityTypes.find((type: any) => type.name === "LedgerJournalLine");
    assert.deepEqual(
      lines.keys.map((key: any) => key.name),
      ["dataAreaId", "JournalBatchNumber", "LineNumber"],
    );
    const debit = lines.entityProperties.find((property: any) => property.name === "DebitAmount");
    assert.equal(debit.type, "Edm.Decimal");
    const accountType = lines.entityProperties.find((property: any) => property.name === "AccountType");
    assert.equal(accountType.type, "Microsoft.Dynamics.DataEntities.LedgerJournalACType");
    assert.ok(
      metadata.schema.entitySets.some((set: any) => set.name === "GeneralJournalAccountEntryBiEntities"),
    );
  });
});

describe("OData queries", () => {
  it("filters with eq, ne, and, or, not and parentheses, case-insensitively like F&O's collation", async () => {
    assert.deepEqual(
      descriptions(await filter("LedgerJournalHeaders", "Description eq 'PAYROLL NOVEMBER'")),
      ["Payroll November"],
    );
    const either = descriptions(
      await filter(
        "LedgerJournalHeaders",
        "(Description eq 'Payroll November' or Description eq 'Payroll December') and not (Description eq 'Payroll December')",
      ),
    );
    assert.deepEqual(either, ["Payroll November"]);
    assert.equal(
      (await filter("LedgerJournalHeaders", "Description ne 'Payroll November'")).json().value.length,
      DESCRIPTIONS.length - 1,
    );
  });

  it("treats * in an eq string as a wildcard, as F&O does", async () => {
    assert.deepEqual(
      descriptions(
        await filter("LedgerJournalHeaders", "Description eq 'Payroll*'", "&$orderby=Description"),
      ),
      ["Payroll December", "Payroll November"],
    );
    assert.deepEqual(descriptions(await filter("LedgerJournalHeaders", "Description eq '*NOVEMBER'")), [
      "Payroll November",
    ]);
  });

  it("parses '' escapes exactly and finds only the literal record", async () => {
    assert.deepEqual(descriptions(await filter("LedgerJournalHeaders", "Description eq 'O''Brien & Sons'")), [
      "O'Brien & Sons",
    ]);
    assert.deepEqual(
      descriptions(await filter("LedgerJournalHeaders", "Description eq 'Invoices 2026/11#7?x&$expand=y'")),
      ["Invoices 2026/11#7?x&$expand=y"],
    );
    const injection = await filter("LedgerJournalHeaders", "Description eq ''' or 1 eq 1 or '''");
    assert.equal(injection.status, 200);
    assert.deepEqual(injection.json().value, []);
  });

  it("refuses has, in, contains() and startswith() with 400, as F&O does", async () => {
    for (const expression of [
      "IsPosted has Microsoft.Dynamics.DataEntities.NoYes'No'",
      "Description in ('a','b')",
      "contains(Description,'Pay')",
      "startswith(Description,'Pay')",
    ]) {
      const answer = await filter("LedgerJournalHeaders", expression);
      assert.equal(answer.status, 400, expression);
      assert.equal(answer.json().error.code, "");
    }
  });

  it("compares enums only with enum literals", async () => {
    const ok = await filter("LedgerJournalHeaders", "IsPosted eq Microsoft.Dynamics.DataEntities.NoYes'No'");
    assert.equal(ok.json().value.length, DESCRIPTIONS.length);
    assert.equal((await filter("LedgerJournalHeaders", "IsPosted eq 'No'")).status, 400);
  });

  it("applies $select, $orderby, $top, $skip and $count", async () => {
    const answer = await get(
      "/data/LedgerJournalHeaders?$select=Description,JournalBatchNumber&$orderby=Description desc&$top=2&$skip=1&$count=true",
    );
    const body = answer.json();
    assert.equal(body["@odata.count"], DESCRIPTIONS.length);
    assert.deepEqual(Object.keys(body.value[0]).sort(), ["@odata.etag", "Description", "JournalBatchNumber"]);
    // F&O's weak ETag: base64 of 'version,recId' with the single quotes (a real one: W/"JzAsMjI1NjU0ODg4NzAn").
    const [, inner] = /^W\/"([^"]+)"$/.exec(body.value[0]["@odata.etag"]) ?? [];
    assert.match(Buffer.from(String(inner), "base64").toString("latin1"), /^'\d+,\d+'$/);
    const sorted = [...DESCRIPTIONS].sort((a, b) => b.toLowerCase().localeCompare(a.toLowerCase()));
    assert.deepEqual(descriptions(answer), sorted.slice(1, 3));
  });

  it("shows the user's default company unless cross-company=true", async () => {
    const own = (await get("/data/LedgerJournalHeaders")).json().value;
    assert.ok(own.every((row: any) => row.dataAreaId === "usmf"));
    const all = (await get("/data/LedgerJournalHeaders?cross-company=true")).json().value;
    assert.equal(all.length, DESCRIPTIONS.length + 1);
    const usrt = await filter("LedgerJournalHeaders", "dataAreaId eq 'usrt'", "&cross-company=true");
    assert.deepEqual(descriptions(usrt), ["Retail journal"]);
  });

  it("pages with @odata.nextLink at the configured page size (F&O: 10,000)", async () => {
    await emulator.admin.configure({ pageSize: 2 });
    try {
      const seen: string[] = [];
      let next: string | undefined = "/data/LedgerJournalHeaders?$orderby=Description";
      let pages = 0;
      while (next !== undefined) {
        const body: any = (await get(next)).json();
        seen.push(...body.value.map((row: any) => row.Description));
        next = body["@odata.nextLink"];
        pages++;
        if (next !== undefined) assert.ok(next.startsWith(`${emulator.d365Url}/data/LedgerJournalHeaders?`));
      }
      assert.equal(pages, 3);
      assert.deepEqual(
        seen,
        [...DESCRIPTIONS].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
      );
    } finally {
      await emulator.admin.configure({ pageSize: 10_000 });
    }
  });

  it("reads an entity by its full key, with %2F-encoded key values", async () => {
    const [first] = (await filter("LedgerJournalHeaders", "Description eq 'Payroll November'")).json().value;
    const one = await get(
      `/data/LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='${encodeURIComponent(first.JournalBatchNumber)}')`,
    );
    assert.equal(one.status, 200);
    assert.equal(one.json().Description, "Payroll November");
    const partial = await get(`/data/LedgerJournalHeaders(JournalBatchNumber='${first.JournalBatchNumber}')`);
    assert.equal(partial.status, 400, "all key fields are needed");
    const missing = await get("/data/LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='NOPE%2F1')");
    assert.equal(missing.status, 404);
  });

  it("answers 404 for an unknown entity set (set names are case-sensitive) and 400 for an unknown property", async () => {
    assert.equal((await get("/data/ledgerjournalheaders")).status, 404);
    assert.equal((await get("/data/GeneralJournalAccountEntry")).status, 404);
    const unknown = await filter("LedgerJournalHeaders", "Nope eq 'x'");
    assert.equal(unknown.status, 400);
    assert.match(unknown.json().error.message, /Could not find a property named 'Nope'/);
  });

  it("refuses what it does not implement with a clear 'not supported by the emulator'", async () => {
    const expand = await get("/data/LedgerJournalHeaders?$expand=Lines");
    assert.equal(expand.status, 501);
    assert.match(expand.json().error.message, /not supported by the emulator/);
    const fn = await filter("LedgerJournalHeaders", "length(Description) eq 3");
    assert.equal(fn.status, 501);
  });

  it("filters with arithmetic on numbers (add sub mul div mod), which F&O supports", async () => {
    // Every seeded header has totals of 0; a line of 25.50 debit gives one journal a total.
    const batch = (
      await call(emulator, "POST", "/data/LedgerJournalHeaders", {
        token,
        body: JSON.stringify({ JournalName: "GenJrn", Description: "Arithmetic" }),
      })
    ).json().JournalBatchNumber;
    const line = await call(emulator, "POST", "/data/LedgerJournalLines", {
      token,
      body: JSON.stringify({
        JournalBatchNumber: batch,
        AccountType: "Ledger",
        AccountDisplayValue: "601100",
        DebitAmount: 25.5,
        CurrencyCode: "USD",
        TransDate: "2026-11-02T12:00:00Z",
        Voucher: "V1",
      }),
    });
    assert.equal(line.status, 201, line.body);
    for (const expression of [
      "JournalTotalDebit add 1 eq 26.5",
      "JournalTotalDebit sub JournalTotalCredit gt 25",
      "JournalTotalDebit mul 2 eq 51",
      "JournalTotalDebit div 2 eq 12.75",
      "JournalTotalDebit mod 10 eq 5.5",
      "(JournalTotalDebit add 4.5) div 3 eq 10",
      "JournalTotalDebit add 1 eq 26.5 and Description eq 'Arithmetic'",
    ]) {
      const answer = await filter("LedgerJournalHeaders", expression);
      assert.equal(answer.status, 200, `${expression}: ${answer.body}`);
      assert.deepEqual(descriptions(answer), ["Arithmetic"], expression);
    }
    const text = await filter("LedgerJournalHeaders", "Description add 1 eq 2");
    assert.equal(text.status, 400, "arithmetic on a string is the client's error");
    assert.match(text.json().error.message, /incompatible types/);
    const zero = await filter("LedgerJournalHeaders", "JournalTotalDebit div 0 eq 1");
    assert.equal(zero.status, 400);
    await call(
      emulator,
      "DELETE",
      `/data/LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='${batch}')`,
      {
        token,
      },
    );
  });

  it("serves master data: 40+ main accounts with one blocked and one without manual entry, four currencies", async () => {
    const accounts = (await get("/data/MainAccounts")).json().value;
    assert.ok(accounts.length >= 40);
    assert.equal(accounts.filter((row: any) => row.IsSuspended === "Yes").length, 1);
    assert.equal(accounts.filter((row: any) => row.DoNotAllowManualEntry === "Yes").length, 1);
    const currencies = (await get("/data/Currencies?$orderby=CurrencyCode"))
      .json()
      .value.map((row: any) => row.CurrencyCode);
    assert.deepEqual(currencies, ["EUR", "GBP", "JPY", "USD"]);
    const names = (await get("/data/JournalNames"))
      .json()
      .value.map((row: any) => row.Name)
      .sort();
    assert.deepEqual(names, ["GenJrn", "Payroll"]);
    assert.equal(
      (await get("/data/SysAADClients")).status,
      403,
      "the Accountant role cannot read the Entra applications list",
    );
  });
});
