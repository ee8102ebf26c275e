import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { importPKCS8, SignJWT } from "jose";
import { openStore } from "../../src/outbox/open.js";
import type { SqlOutboxStore } from "../../src/outbox/sql.js";
import type { OutboxStore } from "../../src/outbox/store.js";
import { ApiStore } from "../../src/server/api-store.js";
import { buildApp } from "../../src/server/app.js";
import { call, mintToken, useEmulator } from "../helpers/emulator.js";

const AUDIENCE = "api://ledger-bridge";
const list = (token: string) =>
  app.inject({ method: "GET", url: "/v1/journals", headers: { authorization: `Bearer ${token}` } });
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

let store: OutboxStore;
let app: FastifyInstance;

describe("HTTP API: Entra ID bearer tokens", () => {
  const env = useEmulator();

  before(async () => {
    store = await openStore(join(mkdtempSync(join(tmpdir(), "lb-entra-")), "outbox.db"));
    const { emulator } = env;
    // The real path: the tenant's keys fetched over HTTPS from the (emulated) authority.
    app = await buildApp({
      store,
      apiStore: new ApiStore((store as SqlOutboxStore).database),
      rateLimit: 1000,
      entra: {
        authorityHost: emulator.authorityHost,
        tenantId: emulator.tenantId,
        audiences: [AUDIENCE],
        caCertPem: emulator.caCertPem,
      },
    });
  });
  after(async () => {
    await app.close();
    await store.close();
  });

  it("accepts a token for our audience and maps app roles to scopes", async () => {
    const reader = await mintToken(env.emulator, { aud: AUDIENCE, roles: ["LedgerBridge.Read"] });
    assert.equal((await list(reader)).statusCode, 200);
    const submit = await app.inject({
      method: "POST",
      url: "/v1/journals",
      headers: { authorization: `Bearer ${reader}`, "content-type": "application/json" },
      payload: "[]",
    });
    assert.equal(submit.statusCode, 403, "read role cannot submit");
    const admin = await mintToken(env.emulator, { aud: AUDIENCE, roles: ["LedgerBridge.Admin"] });
    assert.equal(
      (await app.inject({ method: "GET", url: "/metrics", headers: { authorization: `Bearer ${admin}` } }))
        .statusCode,
      200,
    );
    const noRoles = await mintToken(env.emulator, { aud: AUDIENCE });
    assert.equal((await list(noRoles)).statusCode, 403);
  });

  it("refuses expired, wrong-audience, wrong-issuer, wrong-tenant, unsigned and forged tokens: 0 successes", async () => {
    const { emulator } = env;
    const roles = ["LedgerBridge.Admin"];
    const otherTenant = "11111111-2222-4333-8444-555555555555";
    const kid = (await (await call(emulator, "GET", `/${emulator.tenantId}/discovery/v2.0/keys`)).json())
      .keys[0].kid;
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const forgedKey = await importPKCS8(
      privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      "RS256",
    );
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: AUDIENCE,
      iss: `https://sts.windows.net/${emulator.tenantId}/`,
      tid: emulator.tenantId,
      roles,
      oid: "00000000-0000-4000-8000-000000000009",
      iat: now,
      nbf: now,
      exp: now + 3600,
    };
    const refused: Array<[string, string]> = [
      ["expired", await mintToken(emulator, { aud: AUDIENCE, roles }, -3600)],
      ["F&O's audience", await mintToken(emulator, { roles })],
      [
        "another issuer",
        await mintToken(emulator, { aud: AUDIENCE, roles, iss: `https://sts.windows.net/${otherTenant}/` }),
      ],
      ["another tenant's tid", await mintToken(emulator, { aud: AUDIENCE, roles, tid: otherTenant })],
      ["alg none", `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`],
      [
        "forged signature",
        await new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(forgedKey),
      ],
      ["garbage", "not.a.token"],
    ];
    for (const [name, token] of refused) {
      const answer = await list(token);
      assert.equal(answer.statusCode, 401, name);
      assert.equal(answer.json().error.code, "UNAUTHENTICATED");
      assert.equal(answer.body.includes(token), false, "the token is never echoed");
    }
  });
});
