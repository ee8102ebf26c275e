import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { SignJWT } from "jose";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { clientCertificate } from "../helpers/certs.js";
import { cli } from "../helpers/cli.js";
import { connectionEnv, startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
let csrfEmulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
  csrfEmulator = await startTestEmulator({ scenario: "csrf-gateway" });
});
beforeEach(async () => {
  await emulator.admin.reset();
});
after(async () => {
  await emulator.close();
  await csrfEmulator.close();
});

const HEADER =
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode";

function file(rows: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), "lb-doctor-")), "journals.csv");
  writeFileSync(path, `${[HEADER, ...rows].join("\n")}\n`);
  return path;
}

/** A config file with the emulator's dimension format (the examples' lines carry a Department). */
function configFile(
  target: unknown = { kind: "ledger-journal", dimensionFormat: ["BusinessUnit", "Department", "CostCenter"] },
): string {
  const path = join(mkdtempSync(join(tmpdir(), "lb-doctor-config-")), "ledger-bridge.config.json");
  writeFileSync(path, JSON.stringify({ target }));
  return path;
}

function env(
  target: RunningEmulator = emulator,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const base: Record<string, string | undefined> = {
    ...connectionEnv(target),
    LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-doctor-home-")),
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

interface Report {
  ok: boolean;
  checks: Array<{
    id: string;
    status: string;
    evidence: Record<string, unknown>;
    cause?: { code: string; summary: string; fix: string; docs: string };
  }>;
}

async function doctor(
  environment: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; report: Report }> {
  const run = await cli(["doctor", "--json", ...args], { env: environment });
  assert.notEqual(run.stdout, "", run.stderr);
  return { code: run.code, report: JSON.parse(run.stdout) as Report };
}

/** The first check that did not pass names the cause; the fix text is there, and the secret is not. */
async function expectCause(
  environment: Record<string, string>,
  code: string,
  fix: RegExp,
  ...args: string[]
): Promise<Report> {
  const { code: exit, report } = await doctor(environment, ...args);
  const first = report.checks.find((check) => check.status === "fail" || check.status === "warn");
  assert.equal(
    first?.cause?.code,
    code,
    JSON.stringify(report.checks.map((check) => [check.id, check.status, check.cause?.code])),
  );
  assert.match(first?.cause?.fix ?? "", fix);
  assert.match(first?.cause?.docs ?? "", /^docs\/troubleshooting\.md#[a-z_]+$/);
  assert.equal(exit, report.ok ? 0 : 1);
  assert.ok(!JSON.stringify(report).includes(emulator.clientSecret), "no secret in the report");
  return report;
}

describe("ledger-bridge doctor: a healthy environment", () => {
  it("passes every check in order, with evidence and no secret", async () => {
    const { code, report } = await doctor(
      env(emulator, { LEDGER_BRIDGE_CONFIG: configFile() }),
      "--write-probe",
      "--file",
      join(import.meta.dirname, "..", "..", "examples", "journals.csv"),
    );
    assert.equal(code, 0);
    assert.deepEqual(
      report.checks.map((check) => [check.id, check.status]),
      [
        ["configuration", "pass"],
        ["reachability", "pass"],
        ["token", "pass"],
        ["claims", "pass"],
        ["read", "pass"],
        ["write-token", "pass"],
        ["target", "pass"],
        ["package-api", "skipped"],
        ["target-fit", "pass"],
        ["write", "pass"],
        ["posting", "pass"],
        ["write-probe", "pass"],
        ["master-data", "pass"],
        ["throttling", "pass"],
        ["store", "pass"],
      ],
    );
    assert.equal(report.checks[3]?.evidence.aud, emulator.d365Url);
  });

  it("--file names every journal line the target cannot carry, before anything is sent", async () => {
    // The report's first experience: a configured D365_URL without target.dimensionFormat.
    const before = (await emulator.admin.journals()).length;
    const { code, report } = await doctor(
      env(),
      "--file",
      join(import.meta.dirname, "..", "..", "examples", "journals.csv"),
    );
    assert.equal(code, 1);
    const fit = report.checks.find((check) => check.id === "target-fit");
    assert.equal(fit?.status, "fail");
    assert.equal(fit?.cause?.code, "JOURNALS_DO_NOT_FIT_TARGET");
    assert.equal(fit?.evidence.problems, 3, "each line with dimensions, not just the first");
    assert.match(
      String(fit?.evidence.problem1),
      /^TARGET_DIMENSION_FORMAT_MISSING at .*journals\.csv, line 2, Dim\.Department: /,
    );
    assert.equal((await emulator.admin.journals()).length, before, "nothing written to F&O");
  });

  it("fails the target check for a flat entity without a field that can carry the marker", async () => {
    const { code, report } = await doctor(
      env(csrfEmulator, {
        LEDGER_BRIDGE_CONFIG: configFile({ kind: "flat-entity", fields: { marker: "Voucher" } }),
      }),
    );
    assert.equal(code, 1);
    const target = report.checks.find((check) => check.id === "target");
    assert.equal(target?.cause?.code, "TARGET_NOT_EXACTLY_ONCE");
    assert.match(
      String(target?.evidence.problem),
      /no text field that can carry ledger-bridge's marker \('Voucher' is Edm\.String of 20 characters\)/,
    );
  });

  it("skips the checks that depend on a failed one, and says so", async () => {
    const { report } = await doctor(env(emulator, { AZURE_CLIENT_SECRET: "wrong" }));
    const skipped = report.checks
      .filter((check) => check.status === "skipped")
      .map((check) => [check.id, check.evidence.reason]);
    assert.deepEqual(skipped.slice(0, 2), [
      ["claims", "skipped: no token"],
      ["read", "skipped: the token is not usable"],
    ]);
  });
});

describe("ledger-bridge doctor: each cause, produced for real", () => {
  it("URL_NOT_CANONICAL: a trailing slash in D365_URL", async () => {
    await expectCause(
      env(emulator, { D365_URL: `${emulator.d365Url}/` }),
      "URL_NOT_CANONICAL",
      /nothing after the host/,
    );
  });
  it("TENANT_ID_MALFORMED", async () => {
    await expectCause(
      env(emulator, { AZURE_TENANT_ID: "not a tenant!" }),
      "TENANT_ID_MALFORMED",
      /Directory \(tenant\) ID/,
    );
  });
  it("TENANT_NOT_SPECIFIC: AZURE_TENANT_ID=common", async () => {
    await expectCause(
      env(emulator, { AZURE_TENANT_ID: "common" }),
      "TENANT_NOT_SPECIFIC",
      /Directory \(tenant\) ID/,
    );
  });
  it("SECRET_MISSING: the secret variable forgotten; the token check lists what each credential tried", async () => {
    const report = await expectCause(
      env(emulator, { AZURE_CLIENT_SECRET: undefined }),
      "SECRET_MISSING",
      /AZURE_CLIENT_SECRET/,
    );
    const token = report.checks.find((check) => check.id === "token");
    assert.equal(token?.status, "fail");
    assert.equal(token?.cause?.code, "SECRET_MISSING");
    assert.match(
      String(token?.evidence.tried1),
      /EnvironmentCredential is unavailable/,
      JSON.stringify(token?.evidence),
    );
    assert.ok(Object.keys(token?.evidence ?? {}).filter((name) => name.startsWith("tried")).length >= 2);
  });
  it("CREDENTIAL_INCOMPLETE: the secret credential without a secret", async () => {
    await expectCause(
      env(emulator, { AZURE_CLIENT_SECRET: undefined, LEDGER_BRIDGE_CREDENTIAL: "secret" }),
      "CREDENTIAL_INCOMPLETE",
      /setting named/,
    );
  });
  it("TLS_UNTRUSTED: the emulator's CA not trusted", async () => {
    await expectCause(
      env(emulator, { LEDGER_BRIDGE_CA_CERT: undefined }),
      "TLS_UNTRUSTED",
      /LEDGER_BRIDGE_CA_CERT/,
    );
  });
  it("ENVIRONMENT_UNREACHABLE: nothing listens there", async () => {
    await expectCause(
      env(emulator, { D365_URL: "https://127.0.0.1:1" }),
      "ENVIRONMENT_UNREACHABLE",
      /environment is running/,
    );
  });
  it("SECRET_INVALID", async () => {
    await expectCause(
      env(emulator, { AZURE_CLIENT_SECRET: "wrong" }),
      "SECRET_INVALID",
      /Certificates & secrets/,
    );
  });

  it("SECRET_EXPIRED", async () => {
    await emulator.admin.call("PUT", "entra/apps/aaaaaaaa-0000-4000-8000-000000000001", {
      secrets: [{ value: "old-secret", expiresAt: 1_600_000_000 }],
    });
    await expectCause(
      env(emulator, {
        AZURE_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000001",
        AZURE_CLIENT_SECRET: "old-secret",
      }),
      "SECRET_EXPIRED",
      /new secret/,
    );
  });

  it("CERTIFICATE_NOT_UPLOADED", async () => {
    const { certPem, keyPem } = clientCertificate();
    const path = join(mkdtempSync(join(tmpdir(), "lb-cert-")), "client.pem");
    writeFileSync(path, `${keyPem}${certPem}`);
    await expectCause(
      env(emulator, { AZURE_CLIENT_SECRET: undefined, AZURE_CLIENT_CERTIFICATE_PATH: path }),
      "CERTIFICATE_NOT_UPLOADED",
      /Certificates & secrets > Certificates/,
    );
  });

  it("APP_NOT_FOUND", async () => {
    await expectCause(
      env(emulator, { AZURE_CLIENT_ID: "99999999-0000-4000-8000-000000000000" }),
      "APP_NOT_FOUND",
      /Application \(client\) ID/,
    );
  });
  it("TENANT_NOT_FOUND", async () => {
    await expectCause(
      env(emulator, { AZURE_TENANT_ID: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" }),
      "TENANT_NOT_FOUND",
      /Directory \(tenant\) ID/,
    );
  });
  it("RESOURCE_NOT_FOUND: D365_URL names another host than the environment", async () => {
    await expectCause(
      env(emulator, { D365_URL: emulator.d365Url.replace("127.0.0.1", "localhost") }),
      "RESOURCE_NOT_FOUND",
      /environment URL exactly/,
    );
  });

  it("NO_OID: a multitenant app without a service principal", async () => {
    await emulator.admin.call("PUT", `entra/apps/${emulator.clientId}`, { hasServicePrincipal: false });
    await expectCause(env(), "NO_OID", /service principal/);
  });

  it("APP_NOT_REGISTERED_OR_USER_DISABLED: the client id missing from Microsoft Entra applications", async () => {
    await emulator.admin.call("DELETE", `fno/apps/${emulator.clientId}`);
    await expectCause(
      env(),
      "APP_NOT_REGISTERED_OR_USER_DISABLED",
      /System administration > Setup > Microsoft Entra applications/,
    );
  });

  it("APP_NOT_REGISTERED_OR_USER_DISABLED: the mapped user disabled", async () => {
    await emulator.admin.call("PUT", "fno/users/svc-ledger-bridge", { enabled: false });
    await expectCause(env(), "APP_NOT_REGISTERED_OR_USER_DISABLED", /enabled user/);
  });

  it("NO_READ_PRIVILEGE", async () => {
    await emulator.admin.call("PUT", "fno/roles/Accountant", { entities: { Currencies: "read" } });
    await expectCause(env(), "NO_READ_PRIVILEGE", /Assign roles/);
  });

  it("CSRF_GATEWAY: the original report's gateway — explained, and handled (a warning, not a failure)", async () => {
    const report = await expectCause(
      env(csrfEmulator),
      "CSRF_GATEWAY",
      /ledger-bridge fetches the token when asked/,
    );
    assert.equal(report.ok, true);
    const check = report.checks.find((each) => each.id === "write-token");
    assert.equal(check?.status, "warn");
    assert.match(check?.cause?.summary ?? "", /F&O itself does not use CSRF tokens/);
  });

  it("CSRF_GATEWAY with LEDGER_BRIDGE_CSRF=never is a failure", async () => {
    const { report } = await doctor(env(csrfEmulator, { LEDGER_BRIDGE_CSRF: "never" }));
    const check = report.checks.find((each) => each.id === "write-token");
    assert.equal(check?.status, "fail");
    assert.equal(report.ok, false);
  });

  it("TARGET_MISSING: the report's GeneralJournalAccountEntry on a real (default) environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-doctor-config-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ target: { kind: "flat-entity" } }));
    const report = await expectCause(
      env(emulator, { LEDGER_BRIDGE_CONFIG: join(dir, "config.json") }),
      "TARGET_MISSING",
      /use the ledger-journal target/,
    );
    assert.match(
      report.checks.find((check) => check.id === "target")?.cause?.fix ?? "",
      /the posted ledger \(GeneralJournalAccountEntryBiEntities\) is read-only/,
    );
  });

  it("NO_WRITE_PRIVILEGE: a plain doctor names it (the write check, rolled back) and leaves no journal in F&O", async () => {
    await emulator.admin.call("PUT", "fno/roles/Accountant", {
      entities: { LedgerJournalHeaders: "read", LedgerJournalLines: "read", JournalNames: "read" },
    });
    const before = (await emulator.admin.journals()).length;
    const report = await expectCause(env(), "NO_WRITE_PRIVILEGE", /write access to General journals/);
    const write = report.checks.find((check) => check.id === "write");
    assert.match(String(write?.evidence.did), /changeset.*rolls both back/, "it says what it did");
    assert.equal((await emulator.admin.journals()).length, before, "nothing left in F&O");
    assert.equal(
      report.checks.find((check) => check.id === "write-probe")?.status,
      "skipped",
      "the create-and-delete probe runs only when asked",
    );
  });

  it("a plain doctor with write access passes the write check and leaves nothing behind", async () => {
    const before = (await emulator.admin.journals()).length;
    const { code, report } = await doctor(env());
    assert.equal(code, 0, JSON.stringify(report.checks.map((check) => [check.id, check.status])));
    const write = report.checks.find((check) => check.id === "write");
    assert.equal(write?.status, "pass");
    assert.equal(write?.evidence.rolledBack, true);
    assert.equal((await emulator.admin.journals()).length, before, "the changeset was rolled back");
  });

  it("TARGET_READ_ONLY: the posted ledger as a flat target is named as read-only, beside the fields it lacks", async () => {
    const { code, report } = await doctor(
      env(emulator, {
        LEDGER_BRIDGE_CONFIG: configFile({
          kind: "flat-entity",
          entitySet: "GeneralJournalAccountEntryBiEntities",
          fields: { marker: "Description" },
        }),
      }),
    );
    assert.equal(code, 1);
    const write = report.checks.find((check) => check.id === "write");
    assert.equal(
      write?.status,
      "fail",
      JSON.stringify(report.checks.map((check) => [check.id, check.status])),
    );
    assert.equal(write?.cause?.code, "TARGET_READ_ONLY");
    assert.match(write?.cause?.fix ?? "", /LedgerJournalHeaders and LedgerJournalLines/);
    assert.equal(write?.evidence.status, 405);
  });

  it("the package path: the package API answers and the data management privilege is there", async () => {
    const { report } = await doctor(
      env(emulator, { LEDGER_BRIDGE_CONFIG: configFile({ kind: "dmf-package" }) }),
    );
    const check = report.checks.find((each) => each.id === "package-api");
    assert.equal(check?.status, "pass", JSON.stringify(check));
    assert.equal(check?.evidence.definitionGroup, "ledger-bridge-general-journal");
  });

  it("PACKAGE_API_FORBIDDEN: the package path without the data management role", async () => {
    await emulator.admin.call("PUT", "fno/users/svc-ledger-bridge", { roles: ["Accountant"] });
    try {
      await expectCause(
        env(emulator, { LEDGER_BRIDGE_CONFIG: configFile({ kind: "auto" }) }),
        "PACKAGE_API_FORBIDDEN",
        /Data management/,
      );
    } finally {
      await emulator.admin.call("PUT", "fno/users/svc-ledger-bridge", {
        roles: ["Accountant", "DataManagementOperationsUser"],
      });
    }
  });

  it("POSTING_SERVICE_FORBIDDEN: the service privilege removed", async () => {
    await emulator.admin.call("PUT", "fno/roles/Accountant", { entities: { "*": "write" }, services: [] });
    await expectCause(env(), "POSTING_SERVICE_FORBIDDEN", /privilege/);
  });

  it("POSTING_CONTRACT_MISMATCH: a service written with _journalBatchNumber, which the contract's key does not bind to", async () => {
    await emulator.admin.configure({
      postingParameters: { company: "_dataAreaId", journal: "_journalBatchNumber" },
    });
    const report = await expectCause(env(), "POSTING_CONTRACT_MISMATCH", /docs\/posting-service\.md/);
    const posting = report.checks.find((check) => check.id === "posting");
    assert.equal(posting?.evidence.missing, "dataAreaId, journalBatchNumber");
    assert.equal(posting?.evidence.parameters, "_dataAreaId, _journalBatchNumber");
  });

  it("POSTING_SERVICE_MISSING: a posting path where no service is", async () => {
    await expectCause(
      env(emulator, { LEDGER_BRIDGE_POSTING_PATH: "/api/services/LedgerBridgeServices/NoSuchService/post" }),
      "POSTING_SERVICE_MISSING",
      /LEDGER_BRIDGE_POSTING_PATH/,
    );
  });

  it("JOURNAL_NAME_NOT_ALLOWED (the write check with the file's journal name)", async () => {
    await emulator.admin.call("PUT", "fno/roles/Accountant", {
      entities: { "*": "write" },
      journalNames: ["GenJrn"],
    });
    const journals = file([
      "p1,usmf,Payroll,V1,2026-11-30,601100,1.00,,USD",
      "p1,usmf,Payroll,V1,2026-11-30,110110,,1.00,USD",
    ]);
    await expectCause(env(), "JOURNAL_NAME_NOT_ALLOWED", /journal name/, "--file", journals);
  });

  it("JOURNAL_NAME_MISSING (master data)", async () => {
    await expectCause(
      env(),
      "JOURNAL_NAME_MISSING",
      /Journal names/,
      "--file",
      file(["j1,usmf,Nope,V1,2026-11-30,601100,1.00,,USD", "j1,usmf,Nope,V1,2026-11-30,110110,,1.00,USD"]),
    );
  });
  it("ACCOUNT_MISSING (master data)", async () => {
    await expectCause(
      env(),
      "ACCOUNT_MISSING",
      /Main accounts/,
      "--file",
      file([
        "j1,usmf,GenJrn,V1,2026-11-30,999000,1.00,,USD",
        "j1,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD",
      ]),
    );
  });
  it("ACCOUNT_BLOCKED (master data): a suspended account", async () => {
    await expectCause(
      env(),
      "ACCOUNT_BLOCKED",
      /Suspended/,
      "--file",
      file([
        "j1,usmf,GenJrn,V1,2026-11-30,199999,1.00,,USD",
        "j1,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD",
      ]),
    );
  });
  it("CURRENCY_MISSING (master data)", async () => {
    await expectCause(
      env(),
      "CURRENCY_MISSING",
      /Currencies/,
      "--file",
      file([
        "j1,usmf,GenJrn,V1,2026-11-30,601100,1.00,,CHF",
        "j1,usmf,GenJrn,V1,2026-11-30,110110,,1.00,CHF",
      ]),
    );
  });

  it("PERIOD_NOT_OPEN (master data): a date in the closed December 2025", async () => {
    await expectCause(
      env(),
      "PERIOD_NOT_OPEN",
      /Ledger calendars/,
      "--file",
      file([
        "j1,usmf,GenJrn,V1,2025-12-15,601100,1.00,,USD",
        "j1,usmf,GenJrn,V1,2025-12-15,110110,,1.00,USD",
      ]),
    );
  });

  it("--file with five different problems names every one, with its cause and where it is used", async () => {
    const { code, report } = await doctor(
      env(),
      "--file",
      file([
        "a1,usmf,GenJrn,V1,2026-11-30,999000,1.00,,USD",
        "a1,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD",
        "b1,usmf,GenJrn,V1,2026-11-30,199999,2.00,,USD",
        "b1,usmf,GenJrn,V1,2026-11-30,110110,,2.00,USD",
        "c1,usmf,GenJrn,V1,2026-11-30,601100,3.00,,CHF",
        "c1,usmf,GenJrn,V1,2026-11-30,110110,,3.00,CHF",
        "d1,usmf,Nope,V1,2026-11-30,601100,4.00,,USD",
        "d1,usmf,Nope,V1,2026-11-30,110110,,4.00,USD",
        "e1,usmf,GenJrn,V1,2025-12-15,601100,5.00,,USD",
        "e1,usmf,GenJrn,V1,2025-12-15,110110,,5.00,USD",
      ]),
    );
    assert.equal(code, 1);
    const master = report.checks.find((check) => check.id === "master-data") as Report["checks"][number] & {
      more?: Array<{ code: string }>;
    };
    assert.equal(master.evidence.problems, 5, JSON.stringify(master.evidence));
    assert.deepEqual([master.cause?.code, ...(master.more ?? []).map((cause) => cause.code)].sort(), [
      "ACCOUNT_BLOCKED",
      "ACCOUNT_MISSING",
      "CURRENCY_MISSING",
      "JOURNAL_NAME_MISSING",
      "PERIOD_NOT_OPEN",
    ]);
    const problems = Object.entries(master.evidence)
      .filter(([name]) => name.startsWith("problem"))
      .map(([, text]) => String(text));
    assert.ok(
      problems.some((text) => /^ACCOUNT_MISSING: account 999000 does not exist \(a1 line 1\)$/.test(text)),
      problems.join("\n"),
    );
    assert.ok(
      problems.some((text) =>
        /^CURRENCY_MISSING: currency CHF does not exist \(c1 line 1, c1 line 2\)$/.test(text),
      ),
    );
  });

  it("COUNTERPARTY_MISSING and COUNTERPARTY_BLOCKED: customers, vendors and bank accounts of the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-doctor-file-"));
    const path = join(dir, "counterparties.csv");
    writeFileSync(
      path,
      [
        "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountType,AccountDisplayValue,OffsetAccountType,OffsetAccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
        "p1,usmf,GenJrn,V1,2026-11-30,Vend,US-101,Bank,USMF OPER,10.00,,USD",
        "p2,usmf,GenJrn,V1,2026-11-30,Cust,US-404,Ledger,401100,10.00,,USD",
        "p3,usmf,GenJrn,V1,2026-11-30,Vend,US-109,Bank,USMF OLD,10.00,,USD",
      ].join("\n"),
    );
    const { code, report } = await doctor(env(), "--file", path);
    assert.equal(code, 1);
    const master = report.checks.find((check) => check.id === "master-data") as Report["checks"][number] & {
      more?: Array<{ code: string }>;
    };
    assert.deepEqual([master.cause?.code, ...(master.more ?? []).map((cause) => cause.code)].sort(), [
      "COUNTERPARTY_BLOCKED",
      "COUNTERPARTY_MISSING",
    ]);
    const problems = Object.entries(master.evidence)
      .filter(([name]) => /^problem\d+$/.test(name))
      .map(([, text]) => String(text))
      .sort();
    assert.deepEqual(problems, [
      "COUNTERPARTY_BLOCKED: bank account USMF OLD is inactive (usmf) (p3 line 1)",
      "COUNTERPARTY_BLOCKED: vendor US-109 is on hold for all transactions (usmf) (p3 line 1)",
      "COUNTERPARTY_MISSING: customer US-404 does not exist in usmf (p2 line 1)",
    ]);
  });

  it("DIMENSION_VALUE_MISSING and DIMENSION_VALUE_BLOCKED: every dimension value of the file, before anything is sent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-doctor-file-"));
    const path = join(dir, "dimensions.csv");
    writeFileSync(
      path,
      [
        "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode,Dim.Department",
        "d1,usmf,GenJrn,V1,2026-11-30,601100,10.00,,USD,099",
        "d1,usmf,GenJrn,V1,2026-11-30,110110,,10.00,USD,",
        "d2,usmf,GenJrn,V1,2026-11-30,601100,10.00,,USD,024",
        "d2,usmf,GenJrn,V1,2026-11-30,110110,,10.00,USD,",
        "d3,usmf,GenJrn,V1,2026-11-30,601100-009-022,10.00,,USD,",
        "d3,usmf,GenJrn,V1,2026-11-30,110110,,10.00,USD,",
      ].join("\n"),
    );
    const before = (await emulator.admin.journals()).length;
    const { code, report } = await doctor(
      env(emulator, { LEDGER_BRIDGE_CONFIG: configFile() }),
      "--file",
      path,
    );
    assert.equal(code, 1);
    const master = report.checks.find((check) => check.id === "master-data");
    const problems = Object.entries(master?.evidence ?? {})
      .filter(([name]) => /^problem\d+$/.test(name))
      .map(([, text]) => String(text))
      .sort();
    assert.deepEqual(problems, [
      "DIMENSION_VALUE_BLOCKED: value 024 of dimension Department is suspended (d2 line 1)",
      "DIMENSION_VALUE_MISSING: value 009 of dimension BusinessUnit does not exist (d3 line 1)",
      "DIMENSION_VALUE_MISSING: value 099 of dimension Department does not exist (d1 line 1)",
    ]);
    assert.equal((await emulator.admin.journals()).length, before, "nothing was sent");
  });

  it("STORE_UNREACHABLE: a PostgreSQL store that does not answer", async () => {
    const { code, report } = await doctor(
      env(emulator, { LEDGER_BRIDGE_STORE: "postgres://nobody@127.0.0.1:1/nothing?connect_timeout=2" }),
    );
    assert.equal(code, 1);
    const store = report.checks.find((check) => check.id === "store");
    assert.equal(store?.status, "fail");
    assert.equal(store?.cause?.code, "STORE_UNREACHABLE");
  });

  it("THROTTLED: F&O answered 429 during the checks", async () => {
    await emulator.admin.configure({ retryAfterSeconds: 0 });
    await emulator.admin.addFault({ kind: "429", entitySet: "LedgerJournalHeaders", remaining: 1 });
    await expectCause(env(), "THROTTLED", /Throttling priority mapping/);
  });
});

describe("ledger-bridge doctor: exit codes and output", () => {
  it("exits 2 when the configuration itself cannot be read", async () => {
    const run = await cli(["doctor"], {
      env: { D365_URL: "http://not-https.example", LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-")) },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /CONFIG_INVALID/);
  });

  it("prints a readable table without colours when not on a terminal", async () => {
    const run = await cli(["doctor"], { env: env(emulator, { AZURE_CLIENT_SECRET: "wrong" }) });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /FAIL {4}Token from Entra ID/);
    assert.match(
      run.stdout,
      /SECRET_INVALID: Entra ID refused the client secret \(AADSTS7000215\)\.\n {8}Fix: Copy the secret's Value/,
    );
    assert.doesNotMatch(run.stdout, /\u001b\[/);
  });
});

describe("ledger-bridge doctor --token: a token another client obtained", () => {
  const sign = async (claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      aud: emulator.d365Url,
      iss: `https://sts.windows.net/${emulator.tenantId}/`,
      tid: emulator.tenantId,
      appid: emulator.clientId,
      oid: "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
      idtyp: "app",
      ver: "1.0",
      exp: now + 3600,
      nbf: now - 60,
      ...claims,
    })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("a key only this test knows, 32 bytes+"));
  };
  const withToken = async (token: string, viaStdin = false) => {
    const file = join(mkdtempSync(join(tmpdir(), "lb-doctor-token-")), "token.txt");
    writeFileSync(file, `Bearer ${token}\n`);
    const run = await cli(["doctor", "--json", "--token", viaStdin ? "-" : file], {
      env: env(),
      ...(viaStdin ? { stdin: token } : {}),
    });
    assert.ok(!run.stdout.includes(token) && !run.stderr.includes(token), "the token is never printed");
    return { code: run.code, report: JSON.parse(run.stdout) as Report };
  };
  const causeOfCheck = (report: Report, id: string) =>
    report.checks.find((check) => check.id === id)?.cause?.code;
  /** ledger-bridge's own user may read F&O's Entra applications list (a System administrator's right). */
  const mayReadEntraApps = async () => {
    await emulator.admin.call("PUT", "fno/roles/EntraAppsReader", { entities: { SysAADClients: "read" } });
    await emulator.admin.call("PUT", "fno/users/svc-ledger-bridge", {
      roles: ["Accountant", "EntraAppsReader"],
    });
  };

  it("passes a token F&O accepts, and finds its client id in F&O's Entra applications", async () => {
    await mayReadEntraApps();
    const { code, report } = await withToken(await sign({}));
    assert.equal(code, 0, JSON.stringify(report.checks.map((check) => [check.id, check.status])));
    assert.equal(report.checks.find((check) => check.id === "token-app")?.evidence.registered, true);
  });

  it("names a trailing slash in aud (AUDIENCE_MISMATCH), read from standard input", async () => {
    const { code, report } = await withToken(await sign({ aud: `${emulator.d365Url}/` }), true);
    assert.equal(code, 1);
    assert.equal(causeOfCheck(report, "token-audience"), "AUDIENCE_MISMATCH");
    assert.equal(
      report.checks.find((check) => check.id === "token-audience")?.evidence.difference,
      "a trailing slash",
    );
  });

  it("names another tenant, an expired token, a delegated token without the OData scope, an unregistered app", async () => {
    const other = "11111111-2222-3333-4444-555555555555";
    const tenant = await withToken(await sign({ tid: other, iss: `https://sts.windows.net/${other}/` }));
    assert.equal(causeOfCheck(tenant.report, "token-tenant"), "TENANT_MISMATCH");
    const now = Math.floor(Date.now() / 1000);
    const expired = await withToken(await sign({ exp: now - 3600, nbf: now - 7200 }));
    assert.equal(causeOfCheck(expired.report, "token-lifetime"), "TOKEN_EXPIRED");
    const delegated = await withToken(
      await sign({ idtyp: "user", scp: "AX.FullAccess", upn: "anna@contoso.com" }),
    );
    assert.equal(causeOfCheck(delegated.report, "token-kind"), "DELEGATED_SCOPE_MISSING");
    await mayReadEntraApps();
    const unregistered = await withToken(await sign({ appid: "99999999-8888-7777-6666-555555555555" }));
    assert.equal(causeOfCheck(unregistered.report, "token-app"), "APP_NOT_REGISTERED_OR_USER_DISABLED");
    for (const run of [tenant, expired, delegated, unregistered]) assert.equal(run.code, 1);
  });

  it("skips the registration check when ledger-bridge's own user may not read the list", async () => {
    const { report } = await withToken(await sign({}));
    const app = report.checks.find((check) => check.id === "token-app");
    assert.equal(app?.status, "skipped");
    assert.match(String(app?.evidence.reason), /D365_FORBIDDEN/);
  });

  it("names a token that is not valid yet (TOKEN_NOT_YET_VALID): a clock far ahead", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { code, report } = await withToken(await sign({ nbf: now + 3600, exp: now + 7200 }));
    assert.equal(code, 1);
    assert.equal(causeOfCheck(report, "token-lifetime"), "TOKEN_NOT_YET_VALID");
  });

  it("names something that is not a JWT (TOKEN_NOT_A_JWT)", async () => {
    const { code, report } = await withToken("not-a-token-at-all");
    assert.equal(code, 1);
    assert.equal(causeOfCheck(report, "token-format"), "TOKEN_NOT_A_JWT");
  });
});
