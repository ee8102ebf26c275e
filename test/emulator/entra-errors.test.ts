import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { decodeJwt } from "jose";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { call, startTestEmulator, tokenRequest } from "../helpers/emulator.js";

let emulator: RunningEmulator;
before(async () => {
  emulator = await startTestEmulator();
});
after(() => emulator.close());

const clientCredentials = (overrides: Record<string, string> = {}) => ({
  grant_type: "client_credentials",
  client_id: emulator.clientId,
  client_secret: emulator.clientSecret,
  scope: `${emulator.d365Url}/.default`,
  ...overrides,
});

/** Asserts an Entra-shaped error with the given status, OAuth error and AADSTS code. */
async function expectAadError(
  answer: Promise<{ status: number; json(): any }>,
  status: number,
  error: string,
  code: number,
) {
  const result = await answer;
  assert.equal(result.status, status);
  const body = result.json();
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [code]);
  assert.match(
    body.error_description,
    new RegExp(`^AADSTS${code}: .+ Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: `),
  );
  assert.match(body.trace_id, /^[0-9a-f-]{36}$/);
  return body;
}

describe("Entra ID token service: discovery and token shapes", () => {
  it("builds discovery URLs from the Host header, as MSAL requires", async () => {
    const viaLocalhost = await call(
      emulator,
      "GET",
      `/${emulator.tenantId}/v2.0/.well-known/openid-configuration`,
      {
        headers: { host: `localhost:${new URL(emulator.d365Url).port}` },
      },
    );
    const doc = viaLocalhost.json();
    assert.equal(doc.issuer, `https://localhost:${new URL(emulator.d365Url).port}/${emulator.tenantId}/v2.0`);
    assert.equal(
      doc.token_endpoint,
      `https://localhost:${new URL(emulator.d365Url).port}/${emulator.tenantId}/oauth2/v2.0/token`,
    );
    assert.ok(doc.device_authorization_endpoint.endsWith("/oauth2/v2.0/devicecode"));
    const keys = (await call(emulator, "GET", `/${emulator.tenantId}/discovery/v2.0/keys`)).json();
    assert.equal(keys.keys[0].kty, "RSA");
    assert.equal(keys.keys[0].alg, "RS256");
  });

  it("answers the v2 endpoint with numbers and the v1 endpoint with strings and the resource", async () => {
    const v2 = (await tokenRequest(emulator, clientCredentials())).json();
    assert.equal(typeof v2.expires_in, "number");
    assert.equal(v2.token_type, "Bearer");
    const v1 = await tokenRequest(
      emulator,
      {
        grant_type: "client_credentials",
        client_id: emulator.clientId,
        client_secret: emulator.clientSecret,
        resource: emulator.d365Url,
      },
      `/${emulator.tenantId}/oauth2/token`,
    );
    const body = v1.json();
    assert.equal(v1.status, 200);
    assert.equal(typeof body.expires_in, "string");
    assert.equal(body.resource, emulator.d365Url);
    assert.match(body.expires_on, /^\d+$/);
    assert.equal(decodeJwt(body.access_token).aud, emulator.d365Url);
  });

  it("puts the scope minus /.default in aud verbatim, so a trailing slash or capitals reach F&O as they were asked", async () => {
    const slash = (
      await tokenRequest(emulator, clientCredentials({ scope: `${emulator.d365Url}//.default` }))
    ).json();
    assert.equal(decodeJwt(slash.access_token).aud, `${emulator.d365Url}/`);
    const upper = emulator.d365Url.replace("https://", "HTTPS://");
    const capitals = (await tokenRequest(emulator, clientCredentials({ scope: `${upper}/.default` }))).json();
    assert.equal(decodeJwt(capitals.access_token).aud, upper);
  });

  it("gives app tokens roles when the app has application permissions, and no oid without a service principal", async () => {
    const clientId = "22222222-3333-4444-8555-666666666666";
    await emulator.admin.call("PUT", `entra/apps/${clientId}`, {
      secrets: [{ value: "s3cret" }],
      appRoles: ["Odata.ReadWrite"],
      hasServicePrincipal: false,
    });
    const token = (
      await tokenRequest(emulator, clientCredentials({ client_id: clientId, client_secret: "s3cret" }))
    ).json();
    const claims = decodeJwt(token.access_token);
    assert.deepEqual(claims.roles, ["Odata.ReadWrite"]);
    assert.equal(claims.oid, undefined);
  });
});

describe("Entra ID token service: errors with the real AADSTS codes", () => {
  it("7000215 for a wrong secret", () =>
    expectAadError(
      tokenRequest(emulator, clientCredentials({ client_secret: "wrong" })),
      401,
      "invalid_client",
      7000215,
    ));

  it("7000222 for an expired secret", async () => {
    const clientId = "33333333-4444-4555-8666-777777777777";
    await emulator.admin.call("PUT", `entra/apps/${clientId}`, {
      secrets: [{ value: "old", expiresAt: 1_600_000_000 }],
    });
    await expectAadError(
      tokenRequest(emulator, clientCredentials({ client_id: clientId, client_secret: "old" })),
      401,
      "invalid_client",
      7000222,
    );
  });

  it("700016 for an unknown application", () =>
    expectAadError(
      tokenRequest(emulator, clientCredentials({ client_id: "99999999-0000-4000-8000-000000000000" })),
      400,
      "unauthorized_client",
      700016,
    ));

  it("90002 for an unknown tenant", () =>
    expectAadError(
      tokenRequest(emulator, clientCredentials(), "/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee/oauth2/v2.0/token"),
      400,
      "invalid_request",
      90002,
    ));

  it("500011 for a resource the tenant does not know (a misspelt environment URL)", async () => {
    const body = await expectAadError(
      tokenRequest(
        emulator,
        clientCredentials({ scope: "https://contoso-prod.operations.dynamics.com/.default" }),
      ),
      400,
      "invalid_resource",
      500011,
    );
    assert.match(
      body.error_description,
      /resource principal named https:\/\/contoso-prod\.operations\.dynamics\.com was not found/,
    );
  });

  it("1002012 for a scope that is not resource/.default in the client credentials flow (as Entra answers)", () =>
    expectAadError(
      tokenRequest(emulator, clientCredentials({ scope: `${emulator.d365Url}/Odata.FullAccess` })),
      400,
      "invalid_scope",
      1002012,
    ));

  it("65001 when the user or an administrator has not consented", async () => {
    const clientId = "44444444-5555-4666-8777-888888888888";
    await emulator.admin.call("PUT", `entra/apps/${clientId}`, { publicClient: true, consented: false });
    const start = await call(emulator, "POST", `/${emulator.tenantId}/oauth2/v2.0/devicecode`, {
      body: new URLSearchParams({
        client_id: clientId,
        scope: `${emulator.d365Url}/.default offline_access`,
      }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const { device_code: deviceCode, user_code: userCode } = start.json();
    const poll = () =>
      tokenRequest(emulator, { grant_type: "device_code", client_id: clientId, device_code: deviceCode });
    await expectAadError(poll(), 400, "authorization_pending", 70016);
    await emulator.admin.approveDeviceCode(userCode);
    await expectAadError(poll(), 400, "invalid_grant", 65001);
  });

  it("700027 for a certificate assertion whose certificate was never uploaded", () =>
    expectAadError(
      tokenRequest(emulator, {
        grant_type: "client_credentials",
        client_id: emulator.clientId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "eyJhbGciOiJQUzI1NiIsIng1dCNTMjU2IjoiYWJjIn0.eyJzdWIiOiJ4In0.c2ln",
        scope: `${emulator.d365Url}/.default`,
      }),
      401,
      "invalid_client",
      700027,
    ));

  it("refuses grants it does not know", () =>
    expectAadError(
      tokenRequest(emulator, clientCredentials({ grant_type: "password" })),
      400,
      "unsupported_grant_type",
      70003,
    ));
});

describe("Entra ID token service: user grants", () => {
  it("authorization code with PKCE, then refresh_token, each issuing a user token for F&O", async () => {
    const verifier = "a-verifier-of-enough-length-to-be-valid-0123456789";
    const { createHash } = await import("node:crypto");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const authorize = await call(
      emulator,
      "GET",
      `/${emulator.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({
        client_id: emulator.publicClientId,
        redirect_uri: "http://localhost",
        scope: `${emulator.d365Url}/.default offline_access`,
        state: "xyz",
        code_challenge: challenge,
        code_challenge_method: "S256",
        login_hint: "accountant@contoso.onmicrosoft.com",
      })}`,
    );
    assert.equal(authorize.status, 302);
    const location = new URL(String(authorize.headers.location));
    assert.equal(location.searchParams.get("state"), "xyz");
    const code = location.searchParams.get("code") ?? "";
    const wrongVerifier = await tokenRequest(emulator, {
      grant_type: "authorization_code",
      client_id: emulator.publicClientId,
      code,
      redirect_uri: "http://localhost",
      code_verifier: "not-the-verifier",
    });
    assert.equal(wrongVerifier.status, 400);
    const authorize2 = await call(
      emulator,
      "GET",
      `/${emulator.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({
        client_id: emulator.publicClientId,
        redirect_uri: "http://localhost",
        scope: `${emulator.d365Url}/.default offline_access`,
        code_challenge: challenge,
      })}`,
    );
    const code2 = new URL(String(authorize2.headers.location)).searchParams.get("code") ?? "";
    const redeemed = await tokenRequest(emulator, {
      grant_type: "authorization_code",
      client_id: emulator.publicClientId,
      code: code2,
      redirect_uri: "http://localhost",
      code_verifier: verifier,
    });
    assert.equal(redeemed.status, 200, redeemed.body);
    const tokens = redeemed.json();
    assert.equal(decodeJwt(tokens.access_token).upn, "accountant@contoso.onmicrosoft.com");
    const refreshed = await tokenRequest(emulator, {
      grant_type: "refresh_token",
      client_id: emulator.publicClientId,
      refresh_token: tokens.refresh_token,
      scope: `${emulator.d365Url}/.default offline_access`,
    });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.json().access_token, tokens.access_token);
    const reused = await tokenRequest(emulator, {
      grant_type: "refresh_token",
      client_id: emulator.publicClientId,
      refresh_token: tokens.refresh_token,
    });
    assert.equal(reused.status, 400, "a refresh token is used once");
  });

  it("refuses a redirect URI the application does not have (AADSTS50011)", async () => {
    const answer = await call(
      emulator,
      "GET",
      `/${emulator.tenantId}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: emulator.publicClientId, redirect_uri: "https://evil.example", scope: `${emulator.d365Url}/.default` })}`,
    );
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.json().error_codes, [50011]);
  });
});
