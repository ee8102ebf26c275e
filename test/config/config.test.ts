import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/index.js";
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
