import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { importPKCS8, SignJWT } from "jose";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { appToken, call, mintToken, startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
beforeEach(() => emulator.admin.reset());
after(() => emulator.close());

const read = (token: string) => call(emulator, "GET", "/data/LedgerJournalHeaders?$top=1", { token });

/** Reads with the token, expects F&O's 401 and returns the reason the emulator logged. */
async function refused(token: string | undefined): Promise<string | undefined> {
  const answer = await call(
    emulator,
    "GET",
    "/data/LedgerJournalHeaders?$top=1",
    token === undefined ? {} : { token },
  );
  assert.equal(answer.status, 401);
  assert.deepEqual(answer.json(), {
    Message: "Authentication failed.",
    StackTrace: null,
    ExceptionType: "System.InvalidOperationException",
  });
  const log = await emulator.admin.requests();
  return log.at(-1)?.authFailure;
}

describe("F&O token checks (401, as F&O checks tokens)", () => {
  it("accepts a token whose aud is exactly the environment URL", async () => {
    assert.equal((await read(await appToken(emulator))).status, 200);
  });

  it("refuses no token, a trailing slash in aud, capitals in aud, another tenant, no oid", async () => {
    assert.equal(await refused(undefined), "no-bearer-token");
    assert.equal(
      await refused(await appToken(emulator, `${emulator.d365Url}//.default`)),
      "audience-mismatch",
    );
    assert.equal(
      await refused(await appToken(emulator, `${emulator.d365Url.toUpperCase()}/.default`)),
      "audience-mismatch",
    );
    assert.equal(
      await refused(await mintToken(emulator, { tid: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" })),
      "tenant-mismatch",
    );
    assert.equal(await refused(await mintToken(emulator, { oid: undefined })), "no-oid");
    assert.equal(
      await refused(await mintToken(emulator, { aud: "00000015-0000-0000-c000-000000000000" })),
      "audience-mismatch",
      "the Microsoft.ERP app id is no longer a valid audience",
    );
  });

  it("refuses an expired token, a forced expiry and a token signed by another key", async () => {
    assert.equal(await refused(await mintToken(emulator, {}, -600)), "token-expired");
    const token = await appToken(emulator);
    assert.equal((await read(token)).status, 200);
    await emulator.admin.expireTokens();
    assert.equal(await refused(token), "token-expired");
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    const forged = await new SignJWT({
      aud: emulator.d365Url,
      tid: emulator.tenantId,
      oid: "x",
      appid: emulator.clientId,
    })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(await importPKCS8(privateKey, "RS256"));
    assert.equal(await refused(forged), "token-invalid");
  });

  it("refuses a client id missing from the Microsoft Entra applications list, and a disabled mapped user", async () => {
    const token = await appToken(emulator);
    await emulator.admin.call("DELETE", `fno/apps/${emulator.clientId}`);
    assert.equal(await refused(token), "app-not-registered");
    await emulator.admin.call("PUT", `fno/apps/${emulator.clientId}`, {
      name: "ledger-bridge",
      userId: "svc-ledger-bridge",
    });
    assert.equal((await read(token)).status, 200);
    await emulator.admin.call("PUT", "fno/users/svc-ledger-bridge", { enabled: false });
    assert.equal(await refused(token), "user-disabled");
  });

  it("logs requests without credentials", async () => {
    const token = await appToken(emulator);
    await read(token);
    const text = JSON.stringify(await emulator.admin.requests());
    assert.ok(!text.includes(token), "no bearer token in the log");
    assert.ok(!text.includes(emulator.clientSecret), "no client secret in the log");
    assert.match(text, /"authorization":"Bearer \[redacted\]"/);
  });
});

describe("F&O privileges (403)", () => {
  it("refuses reads and writes the mapped user's roles do not grant", async () => {
    await emulator.admin.call("PUT", "fno/roles/ReadOnlyJournals", {
      entities: { LedgerJournalHeaders: "read" },
    });
    await emulator.admin.call("PUT", "fno/users/svc-ledger-bridge", { roles: ["ReadOnlyJournals"] });
    const token = await appToken(emulator);
    assert.equal((await read(token)).status, 200);
    const write = await call(emulator, "POST", "/data/LedgerJournalHeaders", {
      token,
      body: '{"JournalName":"GenJrn"}',
    });
    assert.equal(write.status, 403);
    assert.match(
      write.json().error.message,
      /does not have the privilege to write to 'LedgerJournalHeaders'/,
    );
    assert.equal((await call(emulator, "GET", "/data/MainAccounts", { token })).status, 403);
  });

  it("refuses journal names the role may not use", async () => {
    await emulator.admin.call("PUT", "fno/roles/Accountant", {
      entities: { LedgerJournalHeaders: "write", LedgerJournalLines: "write" },
      journalNames: ["GenJrn"],
      services: ["JournalPostingService"],
    });
    const token = await appToken(emulator);
    const payroll = await call(emulator, "POST", "/data/LedgerJournalHeaders", {
      token,
      body: '{"JournalName":"Payroll"}',
    });
    assert.equal(payroll.status, 500);
    assert.match(payroll.json().error.innererror.message, /not authorized to use journal name 'Payroll'/);
    assert.equal(
      (
        await call(emulator, "POST", "/data/LedgerJournalHeaders", {
          token,
          body: '{"JournalName":"GenJrn"}',
        })
      ).status,
      201,
    );
  });

  it("guards the admin API with its own key", async () => {
    const answer = await call(emulator, "GET", "/_emulator/config", {
      headers: { "x-emulator-key": "wrong" },
    });
    assert.equal(answer.status, 401);
    const token = await appToken(emulator);
    assert.equal((await call(emulator, "GET", "/_emulator/requests", { token })).status, 401);
  });
});
