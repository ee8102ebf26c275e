/**
 * The data package and F&O's package API as the emulator serves it: the package ledger-bridge builds
 * (layout, encodings, field maps, exact amounts), and what the emulator refuses as F&O does —
 * over real HTTPS with a real token, the package API called by hand (no ledger-bridge client code
 * beyond the package builder).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readZip, writeZip } from "../../src/common/zip.js";
import type { Journal } from "../../src/core/journal.js";
import { decimal } from "../../src/core/money.js";
import {
  buildPackage,
  COLUMNS,
  DATA_FILE,
  manifestXml,
  packageHeaderXml,
  placeholderFor,
  utf16,
} from "../../src/d365/dmf/package.js";
import { parseErrorKeys, parseExecutionErrors } from "../../src/d365/dmf/package-api.js";
import { createTarget, targetSettings } from "../../src/d365/targets/index.js";
import { call, useEmulator } from "../helpers/emulator.js";

const ACTIONS = "/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.";

function journal(key: string, account = "110110", amount = "1234567890123456.78"): Journal {
  return {
    key,
    company: "usmf",
    journalName: "GenJrn",
    description: 'Month end, "accruals"',
    lines: [
      {
        transDate: "2026-11-30",
        accountType: "Ledger",
        account: "601100",
        debit: decimal(amount),
        currency: "USD",
        text: "a, b",
      },
      { transDate: "2026-11-30", accountType: "Ledger", account, credit: decimal(amount), currency: "USD" },
    ],
  };
}

function packaged(execution: string, journals: Journal[]) {
  return buildPackage(
    "ledger-bridge-general-journal",
    journals.map((each) => ({
      journal: each,
      marker: `lb:${each.key}`,
      dimensions: [],
      placeholder: placeholderFor(execution, each.key),
    })),
  );
}

describe("the data package", () => {
  it("holds Manifest.xml, PackageHeader.xml and the data file, UTF-16 LE with BOM, CRLF, exact amounts", async () => {
    const built = packaged("exec-1", [journal("k-1"), journal("k-2")]);
    const entries = await readZip(built.zip);
    assert.deepEqual([...entries.keys()], ["Manifest.xml", "PackageHeader.xml", DATA_FILE]);
    for (const bytes of entries.values()) assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xfe]);
    const manifest = (entries.get("Manifest.xml") as Buffer).subarray(2).toString("utf16le");
    assert.match(manifest, /^<DataManagementPackageManifest /, "no XML declaration");
    assert.match(manifest, /xmlns="http:\/\/schemas.microsoft.com\/dynamics\/2015\/01\/DataManagement"/);
    assert.match(manifest, /<EntityName>General journal<\/EntityName>/);
    assert.match(manifest, /<SourceFormat>CSV-Unicode<\/SourceFormat>/);
    assert.equal([...manifest.matchAll(/<XMLField>/g)].length, COLUMNS.length, "every column mapped");
    const data = (entries.get(DATA_FILE) as Buffer).subarray(2).toString("utf16le");
    const rows = data.split("\r\n");
    assert.equal(rows.at(-1), "", "CRLF after the last row");
    assert.equal(rows[0], COLUMNS.join(","));
    assert.equal(rows.length - 2, 4);
    assert.equal(data.includes("\n") && !/[^\r]\n/.test(data), true, "no bare LF");
    assert.ok(data.includes("1234567890123456.78"), "amounts as written, not through a number");
    assert.ok(data.includes('"lb:k-1 Month end, ""accruals"""'), "the marker opens the description, quoted");
    assert.equal(built.lines, 4);
  });

  it("gives each journal a placeholder batch number that depends on the execution and the key only", () => {
    assert.equal(placeholderFor("e", "k"), placeholderFor("e", "k"));
    assert.notEqual(placeholderFor("e", "k"), placeholderFor("e2", "k"));
    assert.match(placeholderFor("e", "k"), /^LB[0-9A-Z]{8}$/);
  });

  it("reads F&O's execution errors, also when a message breaks the JSON inside the string", () => {
    assert.deepEqual(parseExecutionErrors('[{"RecordId":"5","Field":"F","ErrorMessage":"m"}]'), [
      { recordId: "5", field: "F", message: "m" },
    ]);
    const broken = '[{"RecordId":"7","Field":"ACCOUNT","ErrorMessage":"Account "x" is\nblocked"}]';
    assert.deepEqual(parseExecutionErrors(broken), [
      { recordId: "7", field: "ACCOUNT", message: 'Account "x" is\nblocked' },
    ]);
  });
});

describe("target settings for the package path", () => {
  it("fills the defaults and refuses what cannot work, naming the setting", () => {
    const dmf = targetSettings({ kind: "dmf-package" });
    assert.equal(dmf.kind, "dmf-package");
    assert.equal("threshold" in dmf && dmf.threshold, 1);
    const auto = targetSettings({ kind: "auto", threshold: 50 });
    assert.equal("threshold" in auto && auto.threshold, 50);
    assert.throws(() => targetSettings({ kind: "auto", threshold: 0 }), /target\.threshold/);
    assert.throws(() => targetSettings({ kind: "dmf-package", threshold: 5 }), /target\.threshold belongs/);
    assert.throws(() => targetSettings({ kind: "dmf-package", pollDelaysMs: [] }), /target\.pollDelaysMs/);
    assert.throws(
      () => targetSettings({ kind: "dmf-package", parallelImports: "yes" }),
      /target\.parallelImports/,
    );
    assert.throws(
      () => targetSettings({ kind: "dmf-package", definitionGroup: "" }),
      /target\.definitionGroup/,
    );
  });

  it("refuses a journal that names its batch number before anything is sent", () => {
    const target = createTarget(targetSettings({ kind: "dmf-package" }));
    const result = target.compile({ ...journal("k"), journalBatchNumber: "USMF-000001" }, "lb:k");
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.problems[0]?.code, "TARGET_BATCH_NUMBER_UNSUPPORTED");
  });
});

describe("the emulator's package API", () => {
  const env = useEmulator({ resetEachTest: true });

  async function action(name: string, body: unknown, token?: string) {
    return call(env.emulator, "POST", `${ACTIONS}${name}`, {
      token: token ?? env.token,
      body: JSON.stringify(body),
    });
  }

  async function upload(zip: Buffer, name = "p.zip"): Promise<string> {
    const written = await action("GetAzureWriteUrl", { uniqueFileName: name });
    assert.equal(written.status, 200);
    const url = JSON.parse(written.json().value).BlobUrl as string;
    const put = await call(env.emulator, "PUT", url, {
      headers: { "x-ms-blob-type": "BlockBlob" },
      body: zip,
    });
    assert.equal(put.status, 201);
    return url;
  }

  async function importPackage(url: string, executionId: string, extra: Record<string, unknown> = {}) {
    return action("ImportFromPackage", {
      packageUrl: url,
      definitionGroupId: "project",
      executionId,
      execute: true,
      overwrite: true,
      legalEntityId: "USMF",
      ...extra,
    });
  }

  it("imports a package into journals with F&O's numbers; a refused journal is left out with its message", async () => {
    const url = await upload(packaged("e1", [journal("ok"), journal("bad", "999999")]).zip);
    const started = await importPackage(url, "e1");
    assert.equal(started.status, 200, started.body);
    assert.equal(started.json().value, "e1");
    assert.equal(
      (await action("GetExecutionSummaryStatus", { executionId: "e1" })).json().value,
      "PartiallySucceeded",
    );
    const errors = parseExecutionErrors(
      (await action("GetExecutionErrors", { executionId: "e1" })).json().value,
    );
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.recordId, placeholderFor("e1", "bad"));
    assert.match(errors[0]?.message ?? "", /999999/);
    // The error keys file: asked for, empty while F&O writes it, then a URL of the failed records' keys.
    const entity = { executionId: "e1", entityName: "General journal" };
    assert.equal((await action("GenerateImportTargetErrorKeysFile", entity)).json().value, true);
    assert.equal((await action("GetImportTargetErrorKeysFileUrl", entity)).json().value, "");
    const keysUrl = (await action("GetImportTargetErrorKeysFileUrl", entity)).json().value as string;
    const keys = await call(env.emulator, "GET", keysUrl);
    assert.equal(keys.status, 200);
    assert.deepEqual(
      [...parseErrorKeys(keys.body)],
      [placeholderFor("e1", "bad")],
      "the refused journal's records, by its batch number",
    );
    const journals = await env.emulator.admin.journals();
    const mine = journals.filter((header) => String(header.Description).startsWith("lb:ok"));
    assert.equal(mine.length, 1);
    assert.match(
      String(mine[0]?.JournalBatchNumber),
      /^USMF-/,
      "numbered from F&O's sequence, not the placeholder",
    );
    assert.equal(mine[0]?.lines.length, 2);
    assert.equal(journals.filter((header) => String(header.Description).startsWith("lb:bad")).length, 0);
  });

  it("runs an import over time: NotRun, Executing, then Succeeded", async () => {
    await env.emulator.admin.configure({
      packageImport: { startDelayMs: 150, recordsPerSecond: 4, parallel: false },
    });
    const url = await upload(packaged("e2", [journal("slow")]).zip);
    assert.equal((await importPackage(url, "e2")).status, 200);
    const status = async () =>
      (await action("GetExecutionSummaryStatus", { executionId: "e2" })).json().value;
    assert.equal(await status(), "NotRun");
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await status(), "Executing");
    // A second import of the same project while one runs: refused (DMF2025).
    const other = await upload(packaged("e3", [journal("other")]).zip, "q.zip");
    const refused = await importPackage(other, "e3");
    assert.equal(refused.status, 400);
    assert.match(refused.body, /Enhanced parallel package import/);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(await status(), "Succeeded");
  });

  it("answers as F&O does for an unknown execution, a re-used id and an existing project without overwrite", async () => {
    const unknown = await action("GetExecutionSummaryStatus", { executionId: "nope" });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /Execution details were not found for execution id: nope/);
    const url = await upload(packaged("e4", [journal("once")]).zip);
    assert.equal((await importPackage(url, "e4")).status, 200);
    assert.match((await importPackage(url, "e4")).body, /already exists/);
    assert.match(
      (await importPackage(url, "e5", { overwrite: false })).body,
      /exists and overwrite has not been specified/,
    );
  });

  it("refuses packages F&O refuses: wrong entity label, UTF-8 or LF-only data, no header; no field map imports nothing", async () => {
    const rows = `${COLUMNS.join(",")}\r\nX,1,GenJrn,lb:x,V1,2026-11-30,Ledger,601100,,,1.00,,USD,,,\r\n`;
    const pack = (manifest: string, data: Buffer) =>
      writeZip([
        { name: "Manifest.xml", data: utf16(manifest) },
        { name: "PackageHeader.xml", data: utf16(packageHeaderXml("project")) },
        { name: DATA_FILE, data },
      ]);
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        "label",
        pack(manifestXml("project").replace("General journal<", "LedgerJournalEntity<"), utf16(rows)),
        /does not exist in the target environment/,
      ],
      ["utf8", pack(manifestXml("project"), Buffer.from(rows, "utf8")), /not Unicode/],
      ["lf", pack(manifestXml("project"), utf16(rows.replaceAll("\r\n", "\n"))), /mapping is incorrect/],
      ["header", pack(manifestXml("project"), utf16("")), /header row is missing/],
    ];
    for (const [name, zip, expected] of cases) {
      const url = await upload(zip, `${name}.zip`);
      const answer = await importPackage(url, `bad-${name}`);
      assert.equal(answer.status, 400, name);
      assert.match(answer.body, expected, name);
    }
    const before = (await env.emulator.admin.journals()).length;
    const noMaps = pack(
      manifestXml("project").replace(/<EntityMapList>.*<\/EntityMapList>/, "<EntityMapList />"),
      utf16(rows),
    );
    const url = await upload(noMaps, "nomaps.zip");
    assert.equal((await importPackage(url, "nomaps")).status, 200);
    assert.equal(
      (await action("GetExecutionSummaryStatus", { executionId: "nomaps" })).json().value,
      "Succeeded",
    );
    assert.equal((await env.emulator.admin.journals()).length, before, "succeeded with no rows, as F&O does");
  });

  it("keeps the write URL to its signature and the upload to block blobs", async () => {
    const written = await action("GetAzureWriteUrl", { uniqueFileName: "s.zip" });
    const url = new URL(JSON.parse(written.json().value).BlobUrl);
    assert.equal(url.pathname, "/dmf/s.zip");
    const unsigned = `${url.origin}${url.pathname}?sig=wrong`;
    assert.equal(
      (await call(env.emulator, "PUT", unsigned, { headers: { "x-ms-blob-type": "BlockBlob" }, body: "x" }))
        .status,
      403,
    );
    assert.equal((await call(env.emulator, "PUT", url.toString(), { body: "x" })).status, 400);
  });

  it("needs the data management privilege", async () => {
    // The service user without its Data management role: F&O refuses the package API.
    await env.emulator.admin.call("PUT", "fno/users/svc-ledger-bridge", { roles: ["Accountant"] });
    const refused = await action("GetAzureWriteUrl", { uniqueFileName: "x" });
    assert.equal(refused.status, 403);
  });
});
