import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { appToken, call, startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
let token: string;
before(async () => {
  emulator = await startTestEmulator({ scenario: "csrf-gateway" });
  token = await appToken(emulator);
});
after(() => emulator.close());

const ENTRY = "/data/GeneralJournalAccountEntry";
/** The report's payload: JournalBatchNumber, JournalName, AccountType, LedgerAccount, currency, amounts. */
const payload = (batch: string, account: string, side: "DebitAmount" | "CreditAmount") =>
  `{"JournalBatchNumber":"${batch}","JournalName":"GenJrn","AccountType":"Ledger","LedgerAccount":"${account}","TransactionCurrencyCode":"USD","${side}":1200.00,"TransDate":"2026-11-30T00:00:00Z","dataAreaId":"usmf"}`;

describe("the original report, replayed with plain HTTP on the csrf-gateway scenario", () => {
  let csrf = "";
  let cookie = "";
  let batch = "";

  it("1. GET on the entity works with the bearer token alone", async () => {
    const answer = await call(emulator, "GET", ENTRY, { token });
    assert.equal(answer.status, 200);
  });

  it("2. POST with the same token gets 401 and X-CSRF-Token: Required", async () => {
    const answer = await call(emulator, "POST", ENTRY, { token, body: payload("", "601500", "DebitAmount") });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers["x-csrf-token"], "Required");
    assert.equal((await emulator.admin.journals()).length, 0);
  });

  it("3. GET with X-CSRF-Token: Fetch hands out a token and a session cookie", async () => {
    const answer = await call(emulator, "GET", ENTRY, { token, headers: { "x-csrf-token": "Fetch" } });
    assert.equal(answer.status, 200);
    csrf = String(answer.headers["x-csrf-token"]);
    cookie = String(answer.headers["set-cookie"]).split(";")[0] as string;
    assert.match(csrf, /^[A-Za-z0-9_-]{20,}$/);
    assert.match(cookie, /^gateway-session=/);
  });

  it("4. POST with the token and the cookie creates the entry (201); the next POST reuses them", async () => {
    const first = await call(emulator, "POST", ENTRY, {
      token,
      headers: { "x-csrf-token": csrf, cookie },
      body: payload("", "601500", "DebitAmount"),
    });
    assert.equal(first.status, 201, first.body);
    batch = first.json().JournalBatchNumber;
    const second = await call(emulator, "POST", ENTRY, {
      token,
      headers: { "x-csrf-token": csrf, cookie },
      body: payload(batch, "200400", "CreditAmount"),
    });
    assert.equal(second.status, 201, second.body);
    const journals = await emulator.admin.journals();
    assert.equal(journals.length, 1);
    assert.deepEqual(
      journals[0]?.lines.map((line) => [line.AccountDisplayValue, line.DebitAmount, line.CreditAmount]),
      [
        ["601500", "1200", "0"],
        ["200400", "0", "1200"],
      ],
    );
  });

  it("5. a stale token gets 403 and X-CSRF-Token: Required; a new fetch makes writes work again", async () => {
    await emulator.admin.call("POST", "csrf/expire");
    const stale = await call(emulator, "POST", ENTRY, {
      token,
      headers: { "x-csrf-token": csrf, cookie },
      body: payload(batch, "601500", "DebitAmount"),
    });
    assert.equal(stale.status, 403);
    assert.equal(stale.headers["x-csrf-token"], "Required");
    const fetched = await call(emulator, "GET", ENTRY, {
      token,
      headers: { "x-csrf-token": "Fetch", cookie },
    });
    const fresh = String(fetched.headers["x-csrf-token"]);
    const retried = await call(emulator, "POST", ENTRY, {
      token,
      headers: { "x-csrf-token": fresh, cookie },
      body: payload(batch, "601500", "DebitAmount"),
    });
    assert.equal(retried.status, 201);
  });

  it("6. a token without its session cookie is stale (403)", async () => {
    const answer = await call(emulator, "POST", ENTRY, {
      token,
      headers: { "x-csrf-token": csrf },
      body: payload(batch, "601500", "DebitAmount"),
    });
    assert.equal(answer.status, 403);
  });

  it("7. the lines filed through the flat entity post through the posting service like any journal", async () => {
    const fetched = await call(emulator, "GET", ENTRY, { token, headers: { "x-csrf-token": "Fetch" } });
    const headers = {
      "x-csrf-token": String(fetched.headers["x-csrf-token"]),
      cookie: String(fetched.headers["set-cookie"]).split(";")[0] as string,
    };
    await call(emulator, "POST", ENTRY, { token, headers, body: payload(batch, "200400", "CreditAmount") });
    const posted = await call(
      emulator,
      "POST",
      "/api/services/LedgerBridgeServices/JournalPostingService/post",
      {
        token,
        headers,
        body: JSON.stringify({ dataAreaId: "usmf", journalBatchNumber: batch }),
      },
    );
    assert.equal(posted.status, 200, posted.body);
    assert.equal((await emulator.admin.ledger()).length, 4);
  });
});

describe("fault rules fire only on requests that reach the operation", () => {
  it("a 401 from the gateway (no write token) does not use up a drop-after-commit rule", async () => {
    await emulator.admin.reset();
    const rule = await emulator.admin.addFault({
      kind: "drop-after-commit",
      entitySet: "GeneralJournalAccountEntry",
      method: "POST",
      remaining: 1,
    });
    const refused = await call(emulator, "POST", ENTRY, {
      token,
      body: payload("", "601500", "DebitAmount"),
    });
    assert.equal(refused.status, 401);
    const unauthenticated = await call(emulator, "POST", ENTRY, {
      body: payload("", "601500", "DebitAmount"),
    });
    assert.equal(unauthenticated.status, 401);
    const [still] = (await emulator.admin.call("GET", "faults")) as Array<{ id: string; remaining: number }>;
    assert.deepEqual([still?.id, still?.remaining], [rule.id, 1], "neither refusal used the rule up");
    const fetched = await call(emulator, "GET", ENTRY, { token, headers: { "x-csrf-token": "Fetch" } });
    const headers = {
      "x-csrf-token": String(fetched.headers["x-csrf-token"]),
      cookie: String(fetched.headers["set-cookie"]).split(";")[0] as string,
    };
    await assert.rejects(
      call(emulator, "POST", ENTRY, { token, headers, body: payload("", "601500", "DebitAmount") }),
    );
    assert.equal((await emulator.admin.journals()).length, 1, "carried out, then the answer dropped");
    await emulator.admin.clearFaults();
  });
});

describe("csrf-gateway hands out tokens as SAP-style gateways do", () => {
  for (const method of ["GET", "HEAD"]) {
    for (const path of ["/data", "/data/", ENTRY, `${ENTRY}/`]) {
      it(`${method} ${path} with X-CSRF-Token: Fetch gives a token that writes`, async () => {
        const fetched = await call(emulator, method, path, { token, headers: { "x-csrf-token": "Fetch" } });
        assert.equal(fetched.status, 200, fetched.body);
        if (method === "HEAD") assert.equal(fetched.body, "", "HEAD answers without a body");
        const csrf = String(fetched.headers["x-csrf-token"]);
        assert.match(csrf, /^[A-Za-z0-9_-]{20,}$/);
        const cookie = String(fetched.headers["set-cookie"]).split(";")[0] as string;
        const written = await call(emulator, "POST", ENTRY, {
          token,
          headers: { "x-csrf-token": csrf, cookie },
          body: payload("", "601500", "DebitAmount"),
        });
        assert.equal(written.status, 201, written.body);
      });
    }
  }

  it("the SAP Cloud SDK's default CSRF handling writes unchanged (its HEAD fetch, token and cookie)", async () => {
    const { executeHttpRequest } = await import("@sap-cloud-sdk/http-client");
    const before = (await emulator.admin.journals()).length;
    const answer = await executeHttpRequest(
      {
        url: emulator.d365Url,
        trustStoreCertificate: {
          name: "emulator-ca.pem",
          type: "CERTIFICATE",
          content: Buffer.from(emulator.caCertPem).toString("base64"),
        },
      },
      {
        method: "post",
        url: ENTRY,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        data: payload("", "601500", "DebitAmount"),
      },
    );
    assert.equal(answer.status, 201);
    assert.equal((await emulator.admin.journals()).length, before + 1);
    const fetches = (await emulator.admin.requests()).filter(
      (entry: any) => entry.method === "HEAD" && /GeneralJournalAccountEntry\/?$/.test(entry.path),
    );
    assert.ok(fetches.length > 0, "the SDK fetched its token with HEAD");
  });
});
