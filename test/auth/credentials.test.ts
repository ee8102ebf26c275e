import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCredential, tokenProviderFor } from "../../src/auth/credentials.js";
import { normalizeEnvironmentUrl } from "../../src/auth/environment-url.js";
import { AuthError } from "../../src/auth/errors.js";
import { inspectToken } from "../../src/auth/token-claims.js";
import { TokenProvider } from "../../src/auth/token-provider.js";
import { BridgeError } from "../../src/core/errors/bridge-error.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { clientCertificate } from "../helpers/certs.js";
import { startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
after(() => emulator.close());

const local = () => ({
  tenantId: emulator.tenantId,
  authorityHost: emulator.authorityHost,
  caCertPem: emulator.caCertPem,
});

describe("environment URL", () => {
  it("takes a clean URL as it is", () => {
    const url = normalizeEnvironmentUrl("https://contoso.operations.dynamics.com");
    assert.deepEqual(url, {
      url: "https://contoso.operations.dynamics.com",
      scope: "https://contoso.operations.dynamics.com/.default",
      warnings: [],
    });
  });

  it("drops a trailing slash, a path and capitals, and warns about each", () => {
    const slash = normalizeEnvironmentUrl("https://contoso.operations.dynamics.com/");
    assert.equal(slash.url, "https://contoso.operations.dynamics.com");
    assert.match(slash.warnings[0] ?? "", /ended with '\/'/);
    const path = normalizeEnvironmentUrl("https://Contoso.Operations.Dynamics.com/data/");
    assert.equal(path.url, "https://contoso.operations.dynamics.com");
    assert.equal(path.warnings.length, 2);
    assert.match(path.warnings.join(" "), /path '\/data\/'/);
    assert.match(path.warnings.join(" "), /capitals/);
  });

  it("refuses http, garbage and credentials in the URL with CONFIG_INVALID naming the setting", () => {
    for (const raw of [
      "http://contoso.operations.dynamics.com",
      "contoso",
      "https://user:pw@contoso.operations.dynamics.com",
    ]) {
      assert.throws(
        () => normalizeEnvironmentUrl(raw),
        (error: unknown) =>
          error instanceof BridgeError &&
          error.code === "CONFIG_INVALID" &&
          error.message.includes("D365_URL"),
      );
    }
  });
});

describe("credentials against the emulated Entra ID", () => {
  it("client secret", async () => {
    const credential = createCredential({
      kind: "secret",
      ...local(),
      clientId: emulator.clientId,
      clientSecret: emulator.clientSecret,
    });
    const claims = inspectToken(await new TokenProvider(credential, `${emulator.d365Url}/.default`).token());
    assert.equal(claims?.aud, emulator.d365Url);
    assert.equal(claims?.appid, emulator.clientId);
  });

  it("client certificate from AZURE_CLIENT_CERTIFICATE_PATH (key and certificate in one PEM)", async () => {
    const { certPem, keyPem } = clientCertificate();
    const clientId = "55555555-6666-4777-8888-999999999999";
    await emulator.admin.call("PUT", `entra/apps/${clientId}`, { certificates: [certPem] });
    const path = join(mkdtempSync(join(tmpdir(), "cert-")), "client.pem");
    writeFileSync(path, `${keyPem}${certPem}`);
    const credential = createCredential({ kind: "certificate", ...local(), clientId, certificatePath: path });
    const claims = inspectToken(await new TokenProvider(credential, `${emulator.d365Url}/.default`).token());
    assert.equal(claims?.appid, clientId);
  });

  it("the AZURE_* environment variables (EnvironmentCredential)", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AZURE_TENANT_ID: emulator.tenantId,
      AZURE_CLIENT_ID: emulator.clientId,
      AZURE_CLIENT_SECRET: emulator.clientSecret,
      AZURE_AUTHORITY_HOST: emulator.authorityHost,
    });
    try {
      const credential = createCredential({
        kind: "environment",
        authorityHost: emulator.authorityHost,
        caCertPem: emulator.caCertPem,
      });
      const claims = inspectToken(
        await new TokenProvider(credential, `${emulator.d365Url}/.default`).token(),
      );
      assert.equal(claims?.tid, emulator.tenantId);
    } finally {
      for (const name of [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_AUTHORITY_HOST",
      ]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it("says which setting is missing before any request", () => {
    assert.throws(
      () => createCredential({ kind: "secret", ...local(), clientId: emulator.clientId }),
      (error: unknown) =>
        error instanceof BridgeError &&
        error.code === "CONFIG_MISSING" &&
        error.message.includes("AZURE_CLIENT_SECRET"),
    );
    assert.throws(
      () =>
        createCredential({
          kind: "certificate",
          ...local(),
          clientId: emulator.clientId,
          certificatePath: "/nonexistent/cert.pem",
        }),
      (error: unknown) => error instanceof BridgeError && error.code === "CONFIG_INVALID",
    );
  });
});

describe("token failures, named", () => {
  const provider = (overrides: {
    clientId?: string;
    clientSecret?: string;
    tenantId?: string;
    scopeUrl?: string;
  }) =>
    tokenProviderFor(
      {
        kind: "secret",
        ...local(),
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
        ...overrides,
      },
      `${overrides.scopeUrl ?? emulator.d365Url}/.default`,
    );
  const expectCode = async (tokens: TokenProvider, code: string, aadsts?: number) => {
    await assert.rejects(tokens.token(), (error: unknown) => {
      assert.ok(error instanceof AuthError, String(error));
      assert.equal(error.code, code);
      assert.equal(error.aadsts, aadsts);
      return true;
    });
  };

  it("maps AADSTS codes to causes with the screen to fix them", async () => {
    await expectCode(provider({ clientSecret: "wrong" }), "AUTH_INVALID_SECRET", 7000215);
    await expectCode(
      provider({ clientId: "99999999-0000-4000-8000-000000000000" }),
      "AUTH_APP_NOT_FOUND",
      700016,
    );
    await expectCode(
      provider({ scopeUrl: "https://contoso-prod.operations.dynamics.com" }),
      "AUTH_RESOURCE_NOT_FOUND",
      500011,
    );
    await expectCode(
      provider({ tenantId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" }),
      "AUTH_TENANT_NOT_FOUND",
      90002,
    );
  });

  it("says an untrusted certificate is a trust problem, not a password problem", async () => {
    const untrusted = tokenProviderFor(
      {
        kind: "secret",
        tenantId: emulator.tenantId,
        authorityHost: emulator.authorityHost,
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
      },
      `${emulator.d365Url}/.default`,
    );
    await expectCode(untrusted, "AUTH_UNTRUSTED_CERTIFICATE");
  });
});

describe("inspectToken", () => {
  it("decodes the claims F&O checks, and nothing for a non-token", async () => {
    const token = await new TokenProvider(
      createCredential({
        kind: "secret",
        ...local(),
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
      }),
      `${emulator.d365Url}/.default`,
    ).token();
    const claims = inspectToken(token);
    assert.deepEqual(Object.keys(claims ?? {}).sort(), [
      "appid",
      "aud",
      "exp",
      "iat",
      "idtyp",
      "iss",
      "nbf",
      "oid",
      "tid",
      "ver",
    ]);
    assert.equal(inspectToken("not a token"), undefined);
  });
});
