import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AuthError } from "../../src/auth/errors.js";
import { connect, loginCacheFile } from "../../src/config/connect.js";
import { loadConfig } from "../../src/config/index.js";
import { Entities } from "../../src/d365/entities.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { cli } from "../helpers/cli.js";
import { startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
let env: Record<string, string>;
before(async () => {
  emulator = await startTestEmulator();
  env = {
    D365_URL: emulator.d365Url,
    AZURE_TENANT_ID: emulator.tenantId,
    AZURE_CLIENT_ID: emulator.publicClientId,
    AZURE_AUTHORITY_HOST: emulator.authorityHost,
    LEDGER_BRIDGE_CA_CERT: emulator.caCertPath,
    LEDGER_BRIDGE_CACHE_KEY: "a-long-enough-cache-key-for-tests",
    LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-home-")),
    LEDGER_BRIDGE_CREDENTIAL: "login",
  };
});
after(() => emulator.close());

/** Plays the user: approves the device code as soon as the emulator has one. */
async function approveWhenAsked(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const pending = await emulator.admin.call<Array<{ userCode: string; status: string }>>(
      "GET",
      "devicecodes",
    );
    const code = pending.find((entry) => entry.status === "pending");
    if (code) {
      await emulator.admin.approveDeviceCode(code.userCode);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("no device code appeared");
}

describe("ledger-bridge login (device code, encrypted cache)", () => {
  it("signs in once, keeps the sign-in encrypted, and later runs use it silently", async () => {
    const [run] = await Promise.all([cli(["login"], { env }), approveWhenAsked()]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /enter the code [A-Z0-9]+/);
    assert.match(run.stdout, /Signed in as accountant@contoso\.onmicrosoft\.com/);

    const config = loadConfig(env);
    const cache = readFileSync(loginCacheFile(config), "utf8");
    assert.match(cache, /"v":1/);
    assert.doesNotMatch(cache, /RefreshToken|refresh_token|accountant@/, "the cache is encrypted");

    const since = (await emulator.admin.requests()).at(-1)?.seq ?? 0;
    const client = connect(config, config.environment as NonNullable<typeof config.environment>);
    const rows = await new Entities(client).queryAll("JournalNames");
    assert.equal(rows.length, 2);
    const grants = (await emulator.admin.requests(since))
      .filter((entry) => entry.grantType !== undefined)
      .map((entry) => entry.grantType);
    assert.deepEqual(grants, [], "the stored access token was still good: no token request at all");
    client.close();
  });

  it("says to run login again when the stored sign-in can no longer be renewed", async () => {
    // The emulator forgets every refresh token on reset; the stored access token is then refused.
    await emulator.admin.reset();
    await emulator.admin.expireTokens();
    const config = loadConfig(env);
    const client = connect(config, config.environment as NonNullable<typeof config.environment>);
    await assert.rejects(new Entities(client).queryAll("JournalNames"), (error: unknown) => {
      assert.ok(error instanceof AuthError, String(error));
      assert.equal(error.code, "AUTH_LOGIN_REQUIRED");
      assert.match(error.message, /Run `ledger-bridge login` again/);
      return true;
    });
    client.close();
  });

  it("needs a cache key, and names it", async () => {
    const { LEDGER_BRIDGE_CACHE_KEY: _dropped, ...withoutKey } = env;
    const run = await cli(["login"], { env: withoutKey });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /CONFIG_MISSING: Signing in needs LEDGER_BRIDGE_CACHE_KEY/);
  });
});
