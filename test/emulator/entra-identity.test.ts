import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ClientCertificateCredential, ClientSecretCredential, DeviceCodeCredential } from "@azure/identity";
import { ConfidentialClientApplication } from "@azure/msal-node";
import { decodeJwt } from "jose";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { clientCertificate } from "../helpers/certs.js";
import { call, startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
after(() => emulator.close());

/** Options every credential needs against a local authority: its host, no instance discovery, its CA. */
const local = () => ({
  authorityHost: emulator.authorityHost,
  disableInstanceDiscovery: true,
  tlsOptions: { ca: emulator.caCertPem },
});

const tokenRequests = async (since: number) =>
  (await emulator.admin.requests(since)).filter(
    (entry) => entry.kind === "entra" && entry.path.includes("/token"),
  );
const lastSeq = async () => (await emulator.admin.requests()).at(-1)?.seq ?? 0;

describe("the real @azure/identity against the emulated Entra ID", () => {
  it("ClientSecretCredential gets a token for F&O, and the second call is served from its cache", async () => {
    const since = await lastSeq();
    const credential = new ClientSecretCredential(
      emulator.tenantId,
      emulator.clientId,
      emulator.clientSecret,
      local(),
    );
    const first = await credential.getToken(`${emulator.d365Url}/.default`);
    const second = await credential.getToken(`${emulator.d365Url}/.default`);
    assert.equal(second.token, first.token);
    const requests = await tokenRequests(since);
    assert.equal(requests.length, 1, "one token request for two getToken calls");
    assert.equal(requests[0]?.grantType, "client_credentials");
    const claims = decodeJwt(first.token);
    assert.equal(claims.aud, emulator.d365Url);
    assert.equal(claims.tid, emulator.tenantId);
    assert.equal(claims.appid, emulator.clientId);
    assert.equal(claims.iss, `https://sts.windows.net/${emulator.tenantId}/`);
    assert.equal(typeof claims.oid, "string");
    assert.equal(typeof claims.jti, "string");
    assert.equal((claims.exp as number) - (claims.iat as number), 3599);
    const read = await call(emulator, "GET", "/data/LedgerJournalHeaders?$top=1", { token: first.token });
    assert.equal(read.status, 200);
  });

  it("ClientCertificateCredential signs an assertion the emulator verifies against the uploaded certificate", async () => {
    const { certPem, keyPem } = clientCertificate();
    const clientId = "11111111-2222-4333-8444-555555555555";
    await emulator.admin.call("PUT", `entra/apps/${clientId}`, {
      displayName: "cert app",
      certificates: [certPem],
    });
    const credential = new ClientCertificateCredential(
      emulator.tenantId,
      clientId,
      { certificate: `${keyPem}${certPem}` },
      local(),
    );
    const token = await credential.getToken(`${emulator.d365Url}/.default`);
    const claims = decodeJwt(token.token);
    assert.equal(claims.appid, clientId);
    assert.equal(claims.appidacr, "2", "certificate authentication");

    const stranger = clientCertificate("not uploaded");
    const refused = new ClientCertificateCredential(
      emulator.tenantId,
      clientId,
      { certificate: `${stranger.keyPem}${stranger.certPem}` },
      local(),
    );
    await assert.rejects(refused.getToken(`${emulator.d365Url}/.default`), /AADSTS700027/);
  });

  it("DeviceCodeCredential signs a user in once the code is approved, then renews silently", async () => {
    const since = await lastSeq();
    const credential = new DeviceCodeCredential({
      tenantId: emulator.tenantId,
      clientId: emulator.publicClientId,
      ...local(),
      userPromptCallback: (info) => {
        void emulator.admin.approveDeviceCode(info.userCode);
      },
    });
    const token = await credential.getToken(`${emulator.d365Url}/.default`);
    const claims = decodeJwt(token.token);
    assert.equal(claims.upn, "accountant@contoso.onmicrosoft.com");
    assert.match(String(claims.scp), /Odata\.FullAccess/);
    const read = await call(emulator, "GET", "/data/JournalNames", { token: token.token });
    assert.equal(read.status, 200, read.body);
    const again = await credential.getToken(`${emulator.d365Url}/.default`);
    assert.equal(again.token, token.token, "served from cache");
    const grants = (await tokenRequests(since)).map((entry) => entry.grantType);
    assert.ok(grants.includes("device_code"), `grants seen: ${grants.join(", ")}`);
  });

  it("wrong secret fails with AADSTS7000215 in the library's error", async () => {
    const credential = new ClientSecretCredential(
      emulator.tenantId,
      emulator.clientId,
      "not-the-secret",
      local(),
    );
    await assert.rejects(credential.getToken(`${emulator.d365Url}/.default`), /AADSTS7000215/);
  });
});

describe("the real @azure/msal-node against the emulated Entra ID", () => {
  it("ConfidentialClientApplication gets a token and answers the second call from its cache", async () => {
    const host = new URL(emulator.authorityHost).host;
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
        authority: `${emulator.authorityHost}/${emulator.tenantId}`,
        knownAuthorities: [host],
      },
      system: {
        networkClient: {
          sendGetRequestAsync: (url, options) => send(url, "GET", options),
          sendPostRequestAsync: (url, options) => send(url, "POST", options),
        },
      },
    });
    const first = await app.acquireTokenByClientCredential({ scopes: [`${emulator.d365Url}/.default`] });
    const second = await app.acquireTokenByClientCredential({ scopes: [`${emulator.d365Url}/.default`] });
    assert.equal(first?.fromCache, false);
    assert.equal(second?.fromCache, true);
    assert.equal(decodeJwt(first?.accessToken ?? "").aud, emulator.d365Url);
  });
});

/** A network module for msal-node that trusts the emulator's CA. */
async function send(
  url: string,
  method: "GET" | "POST",
  options?: { headers?: Record<string, string>; body?: string },
) {
  const answer = await call(emulator, method, url, {
    ...(options?.body === undefined ? {} : { body: options.body }),
    headers: {
      ...options?.headers,
      ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded;charset=utf-8" } : {}),
    },
  });
  return { status: answer.status, headers: answer.headers as Record<string, string>, body: answer.json() };
}
