import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULTS } from "../../src/config/defaults.js";
import { loadConfig } from "../../src/config/index.js";
import { ENVIRONMENT } from "../../src/config/schema.js";
import { BridgeError } from "../../src/core/errors/bridge-error.js";

const fails = (env: Record<string, string>, code: string, setting: string, cwd = tmpdir()) =>
  assert.throws(
    () => loadConfig(env, cwd),
    (error: unknown) =>
      error instanceof BridgeError && error.code === code && error.message.includes(setting),
  );

describe("configuration", () => {
  it("runs on embedded defaults with nothing set: no F&O means the built-in emulator", () => {
    const config = loadConfig({}, tmpdir());
    assert.equal(config.environment, undefined);
    assert.equal(config.csrf, "auto");
    assert.equal(config.concurrency, 8);
    assert.deepEqual(config.target, { kind: "ledger-journal" });
  });

  it("reads Azure's own variable names and infers the credential kind", () => {
    const config = loadConfig(
      {
        D365_URL: "https://Contoso.operations.dynamics.com/",
        AZURE_TENANT_ID: "t",
        AZURE_CLIENT_ID: "c",
        AZURE_CLIENT_SECRET: "s",
      },
      tmpdir(),
    );
    assert.equal(config.environment?.url, "https://contoso.operations.dynamics.com");
    assert.equal(config.auth.kind, "secret");
    assert.equal(config.warnings.length, 2, "a trailing slash and capitals were dropped, with warnings");
  });

  it("names the setting that is wrong or missing", () => {
    fails({ LEDGER_BRIDGE_CONCURRENCY: "lots" }, "CONFIG_INVALID", "LEDGER_BRIDGE_CONCURRENCY");
    fails({ LEDGER_BRIDGE_CSRF: "sometimes" }, "CONFIG_INVALID", "LEDGER_BRIDGE_CSRF");
    fails({ LEDGER_BRIDGE_CREDENTIAL: "password" }, "CONFIG_INVALID", "LEDGER_BRIDGE_CREDENTIAL");
    fails({ D365_URL: "http://contoso" }, "CONFIG_INVALID", "D365_URL");
    fails(
      { D365_URL: "https://contoso.operations.dynamics.com", AZURE_CLIENT_SECRET: "s" },
      "CONFIG_MISSING",
      "AZURE_TENANT_ID",
    );
    fails({ LEDGER_BRIDGE_CA_CERT: "/nonexistent/ca.pem" }, "CONFIG_INVALID", "LEDGER_BRIDGE_CA_CERT");
  });

  it("takes the journal target from the config file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-config-"));
    writeFileSync(
      join(dir, "ledger-bridge.config.json"),
      JSON.stringify({ target: { kind: "flat-entity", fields: { account: "MainAccount" } } }),
    );
    const config = loadConfig({}, dir);
    assert.equal(config.target.kind, "flat-entity");
    assert.equal(config.target.kind === "flat-entity" ? config.target.fields.account : "", "MainAccount");
    assert.equal(
      config.target.kind === "flat-entity" ? config.target.fields.currency : "",
      "TransactionCurrencyCode",
    );
    writeFileSync(join(dir, "bad.json"), "{ not json");
    fails({ LEDGER_BRIDGE_CONFIG: join(dir, "bad.json") }, "CONFIG_INVALID", "LEDGER_BRIDGE_CONFIG", dir);
  });
});

describe("the settings schema", () => {
  const bad: Record<string, string> = {};
  for (const [name, spec] of Object.entries(ENVIRONMENT)) {
    // A value no check of the table takes: words for numbers and choices (text takes any).
    if (!spec.schema.safeParse("not-a-valid-value-%").success) bad[name] = "not-a-valid-value-%";
  }

  it("refuses a bad value of each checked environment variable, naming it and the value", () => {
    assert.ok(Object.keys(bad).length >= 12, `checked settings: ${Object.keys(bad).join(", ")}`);
    for (const [name, value] of Object.entries(bad))
      assert.throws(
        () => loadConfig({ [name]: value }, tmpdir()),
        (error: unknown) =>
          error instanceof BridgeError &&
          error.code === "CONFIG_INVALID" &&
          error.message.startsWith(`${name} must be`) &&
          error.message.includes(`it is '${value}'`),
        name,
      );
  });

  it("takes every default from the one table, which the engine and the client share", () => {
    const config = loadConfig({}, tmpdir());
    assert.equal(config.leaseMs, DEFAULTS.leaseMs);
    assert.equal(config.batchSize, DEFAULTS.batchSize);
    assert.equal(config.concurrency, DEFAULTS.concurrency);
    assert.equal(config.timeoutMs, DEFAULTS.timeoutMs);
    assert.equal(config.postWaitMs, DEFAULTS.postWaitMs);
    assert.equal(config.apiRateLimit, DEFAULTS.apiRateLimit);
    assert.equal(config.csrf, DEFAULTS.csrf);
  });

  it("documents every environment variable of the table in docs/configuration.md, with its default", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "configuration.md"), "utf8");
    for (const [name, spec] of Object.entries(ENVIRONMENT)) {
      const row = doc.split("\n").find((line) => line.startsWith("| `") && line.includes(`\`${name}\``));
      assert.ok(row !== undefined, `${name} is documented`);
      const fallback = (spec as { default?: unknown }).default;
      if (typeof fallback === "number")
        assert.ok(
          row.replaceAll(",", "").includes(String(fallback)),
          `${name}: the documented default is ${fallback}`,
        );
    }
  });

  it("names a wrong or unknown key of the config file by its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "lb-config-keys-"));
    const cases: Array<[unknown, RegExp]> = [
      [{ targets: {} }, /^targets is not a setting/],
      [
        { target: { kind: "ledger-journal", dimensionFormats: [] } },
        /^target\.dimensionFormats is not a setting/,
      ],
      [
        { target: { kind: "flat-entity", fields: { acount: "X" } } },
        /^target\.fields\.acount is not a setting/,
      ],
      [
        { target: { kind: "flat-entity", fields: { account: "1x" } } },
        /^target\.fields\.account must be a property name; it is '1x'/,
      ],
      [
        { target: { kind: "flat-entity", accountTypes: ["Ledger", "Asset"] } },
        /^target\.accountTypes\.1 must be one of Ledger, Cust, Vend, Bank; it is 'Asset'/,
      ],
      [
        { target: { kind: "auto", threshold: 0 } },
        /^target\.threshold must be a whole number of at least 1; it is 0/,
      ],
      [
        { target: { kind: "dmf-package", parallelImports: "yes" } },
        /^target\.parallelImports must be true or false/,
      ],
      [{ input: { locale: { date: "yyyy/mm/dd" } } }, /^input\.locale\.date must be one of/],
      [{ input: { defaults: { currency: "USD" } } }, /^input\.defaults\.currency is not a setting/],
      [{ input: { columns: { Konto: "Account" } } }, /^input\.columns\.Konto must name a model column/],
    ];
    for (const [content, expected] of cases) {
      const path = join(dir, "config.json");
      writeFileSync(path, JSON.stringify(content));
      assert.throws(
        () => loadConfig({ LEDGER_BRIDGE_CONFIG: path }, dir),
        (error: unknown) =>
          error instanceof BridgeError && error.code === "CONFIG_INVALID" && expected.test(error.message),
        `${JSON.stringify(content)} → ${expected}`,
      );
    }
  });
});
