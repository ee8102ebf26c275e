import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { openStore } from "../../src/outbox/open.js";
import type { SqlOutboxStore } from "../../src/outbox/sql.js";
import { STATES } from "../../src/outbox/states.js";
import type { OutboxStore } from "../../src/outbox/store.js";
import { API_ERRORS } from "../../src/server/api-errors.js";
import { ApiStore } from "../../src/server/api-store.js";
import { buildApp } from "../../src/server/app.js";
import { OPENAPI } from "../../src/server/openapi.js";

let store: OutboxStore;
let apiStore: ApiStore;
let app: FastifyInstance;
const keys: Record<string, string> = {};

const journal = (key: string, company = "usmf", amount = "10.00") => ({
  key,
  company,
  journalName: "GenJrn",
  lines: [
    { voucher: "V1", transDate: "2026-11-30", account: "601100", debit: amount, currency: "USD" },
    { voucher: "V1", transDate: "2026-11-30", account: "110110", credit: amount, currency: "USD" },
  ],
});

before(async () => {
  store = await openStore(join(mkdtempSync(join(tmpdir(), "lb-api-")), "outbox.db"));
  apiStore = new ApiStore((store as SqlOutboxStore).database);
  const now = Date.now();
  keys.submit = (await apiStore.createKey("submit", null, "submitter", now)).key;
  keys.read = (await apiStore.createKey("read", null, "reader", now)).key;
  keys.admin = (await apiStore.createKey("admin", null, "admin", now)).key;
  keys.readUsrt = (await apiStore.createKey("read", ["usrt"], "usrt reader", now)).key;
  keys.submitUsrt = (await apiStore.createKey("submit", ["USRT"], "usrt submitter", now)).key;
  const revoked = await apiStore.createKey("admin", null, "revoked", now);
  await apiStore.revokeKey(revoked.record.id, now);
  keys.revoked = revoked.key;
  app = await buildApp({ store, apiStore, rateLimit: 1000 });
});
after(async () => {
  await app.close();
  await store.close();
});

const keyId = (key: string | undefined) => key?.split("_")[1];
const bearer = (key: string | undefined): Record<string, string> =>
  key === undefined ? {} : { authorization: `Bearer ${key}` };
const submit = (body: unknown, key = keys.submit, headers: Record<string, string> = {}) =>
  app.inject({
    method: "POST",
    url: "/v1/journals",
    headers: { ...bearer(key), "content-type": "application/json", ...headers },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("HTTP API: submitting journals", () => {
  it("accepts a valid journal with 202 only after it is stored, and says a resubmission is a duplicate", async () => {
    const first = await submit(journal("api-1"));
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json(), { accepted: [{ key: "api-1", state: "ready", duplicate: false }] });
    assert.equal((await store.get("api-1"))?.state, "ready");
    const again = await submit(journal("api-1"));
    assert.deepEqual(again.json().accepted[0].duplicate, true);
  });

  it("accepts a list, and refuses the same key with other content as a conflict naming both", async () => {
    const list = await submit([journal("api-2"), journal("api-3")]);
    assert.equal(list.statusCode, 202);
    assert.equal(list.json().accepted.length, 2);
    const conflict = await submit(journal("api-2", "usmf", "11.00"));
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.json().error.code, "OUTBOX_CONFLICT");
  });

  it("stores a list all or nothing: conflicts anywhere store none of it and are all named", async () => {
    const mixed = await submit([
      journal("api-4"),
      journal("api-2", "usmf", "12.00"),
      journal("api-5"),
      journal("api-3", "usmf", "13.00"),
    ]);
    assert.equal(mixed.statusCode, 409, mixed.body);
    const { code, message, fix } = mixed.json().error;
    assert.equal(code, "OUTBOX_CONFLICT");
    assert.equal(fix, API_ERRORS.OUTBOX_CONFLICT.fix);
    assert.doesNotMatch(message, /redrive the stored one/, "the outbox's own advice is not repeated");
    assert.match(message, /^2 of 4 journals conflict with stored ones; nothing was stored\./);
    assert.match(message, /Journal api-2 is stored from .*Journal api-3 is stored from/);
    assert.equal(await store.get("api-4"), undefined, "the journal before the conflict was not kept");
    assert.equal(await store.get("api-5"), undefined);
    // The same key twice in one submission is refused before the store (a validation error).
    const twice = await submit([journal("api-6"), journal("api-6", "usmf", "14.00")]);
    assert.equal(twice.statusCode, 400);
    assert.equal(twice.json().error.errors[0].code, "JOURNAL_KEY_DUPLICATE");
    assert.equal(await store.get("api-6"), undefined);
  });

  it("answers 400 with every problem, code and location, and stores nothing", async () => {
    const bad = journal("api-bad");
    bad.lines[0] = { ...bad.lines[0], debit: "12,50" } as (typeof bad.lines)[number];
    const answer = await submit([bad, { ...journal("api-bad-2"), status: "posted" }]);
    assert.equal(answer.statusCode, 400);
    const codes = answer
      .json()
      .error.errors.map((error: { code: string; field: string }) => `${error.code}@${error.field}`);
    assert.deepEqual(codes, ["AMOUNT_DECIMAL_COMMA@lines[0].debit", "FIELD_UNKNOWN@status"]);
    assert.equal(await store.get("api-bad"), undefined);
    const number = await submit(
      '{"key":"n1","company":"usmf","journalName":"GenJrn","lines":[{"transDate":"2026-11-30","account":"601100","debit":0.1,"currency":"USD"}]}',
    );
    assert.equal(number.statusCode, 400);
    const numberProblem = number
      .json()
      .error.errors.find((error: { code: string }) => error.code === "JSON_NUMBER_AMOUNT");
    assert.equal(numberProblem?.field, "lines[0].debit");
  });

  it("takes an Excel upload with a profile and a sheet, reporting problems by sheet and cell", async () => {
    const ExcelJS = (await import("exceljs")).default;
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet("Export");
    sheet.addRow([
      "JOURNALBATCHNUMBER",
      "DATAAREAID",
      "JOURNALNAME",
      "TRANSDATE",
      "VOUCHER",
      "ACCOUNTDISPLAYVALUE",
      "DEBITAMOUNT",
      "CREDITAMOUNT",
      "CURRENCYCODE",
    ]);
    sheet.addRow(["B1", "usmf", "GenJrn", "2026-11-30", "V1", "601100", 5, 0, "USD"]);
    sheet.addRow(["B1", "usmf", "GenJrn", "2026-11-30", "V1", "110110", 0, 5, "USD"]);
    const upload = (bytes: Buffer, query: string) =>
      app.inject({
        method: "POST",
        url: `/v1/journals/files?name=dmf.xlsx&${query}`,
        headers: {
          ...bearer(keys.submit),
          "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
        payload: bytes,
      });
    const good = await upload(
      Buffer.from(await book.xlsx.writeBuffer()),
      "profile=dmf-general-journal&sheet=Export",
    );
    assert.equal(good.statusCode, 202, good.body);
    assert.equal((await store.get("dmf:B1"))?.source, `api:${keyId(keys.submit)}:dmf.xlsx`);
    sheet.getCell("G2").value = 5.005;
    const bad = await upload(Buffer.from(await book.xlsx.writeBuffer()), "profile=dmf-general-journal");
    assert.equal(bad.statusCode, 400);
    const problem = bad.json().error.errors[0];
    assert.deepEqual([problem.sheet, problem.cell, problem.field], ["Export", "G2", "DEBITAMOUNT"]);
  });

  it("takes a CSV upload, reporting problems by file line, and refuses unknown content types", async () => {
    const header =
      "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode";
    const upload = (body: string, type = "text/csv") =>
      app.inject({
        method: "POST",
        url: "/v1/journals/files?name=nightly.csv",
        headers: { ...bearer(keys.submit), "content-type": type },
        payload: body,
      });
    const good = await upload(
      [
        header,
        "up-1,usmf,GenJrn,V1,2026-11-30,601100,5.00,,USD",
        "up-1,usmf,GenJrn,V1,2026-11-30,110110,,5.00,USD",
      ].join("\n"),
    );
    assert.equal(good.statusCode, 202, good.body);
    assert.equal((await store.get("up-1"))?.source, `api:${keyId(keys.submit)}:nightly.csv`);
    const bad = await upload(
      [
        header,
        "up-2,usmf,GenJrn,V1,2026-11-30,601100,5.00,,USD",
        "up-2,usmf,GenJrn,V1,2026-11-30,110110,,5,00,USD",
      ].join("\n"),
    );
    assert.equal(bad.statusCode, 400);
    assert.ok(
      bad.json().error.errors.some((error: { line: number }) => error.line === 3),
      bad.body,
    );
    assert.equal(await store.get("up-2"), undefined);
    const xml = await upload("<journals/>", "application/xml");
    assert.equal(xml.statusCode, 415);
    assert.equal(xml.json().error.code, "UPLOAD_TYPE_UNSUPPORTED");
    assert.doesNotMatch(xml.json().error.message, /Send /, "what to do is said once, in fix");
    // The types the fix names are the ones the route reads.
    for (const [type, body] of [
      ["text/csv", "a"],
      ["application/json", "{}"],
      ["application/x-ndjson", "{}"],
    ])
      assert.notEqual((await upload(body as string, type as string)).statusCode, 415, type);
    for (const type of ["text/csv", "application/json", "application/x-ndjson"])
      assert.ok(xml.json().error.fix.includes(type), type);
  });

  it("keeps a company-scoped key to its companies", async () => {
    const forbidden = await submit(journal("api-usmf"), keys.submitUsrt);
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json().error.code, "COMPANY_FORBIDDEN");
    assert.equal((await submit(journal("api-usrt", "usrt"), keys.submitUsrt)).statusCode, 202);
  });
});

describe("HTTP API: Idempotency-Key (IETF draft)", () => {
  it("replays the first answer for the same key and body, refuses another body with 422", async () => {
    const body = journal("idem-1");
    const first = await submit(body, keys.submit, { "idempotency-key": "req-1" });
    const replay = await submit(body, keys.submit, { "idempotency-key": "req-1" });
    assert.equal(replay.statusCode, first.statusCode);
    assert.equal(replay.body, first.body);
    assert.equal(replay.headers["idempotent-replayed"], "true");
    const changed = await submit(journal("idem-1", "usmf", "99.00"), keys.submit, {
      "idempotency-key": "req-1",
    });
    assert.equal(changed.statusCode, 422);
  });

  it("stores once when the same request arrives several times at once (the others: 409 or a replay)", async () => {
    const body = journal("idem-concurrent");
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => submit(body, keys.submit, { "idempotency-key": "req-concurrent" })),
    );
    const statuses = answers.map((answer) => answer.statusCode).sort();
    assert.ok(
      statuses.every((status) => status === 202 || status === 409),
      statuses.join(","),
    );
    assert.equal(
      answers.filter(
        (answer) => answer.statusCode === 202 && answer.headers["idempotent-replayed"] === undefined,
      ).length,
      1,
    );
    assert.equal(
      (await store.events("idem-concurrent")).filter((event) => event.toState === "ready").length,
      1,
    );
  });

  it("forgets day-old answers and releases in-flight markers of a dead process, keeping fresh ones", async () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    const hour = 3_600_000;
    assert.equal(await apiStore.beginIdempotent("sweep", "old", "f1", now - 25 * hour), undefined);
    await apiStore.finishIdempotent("sweep", "old", 202, "{}");
    assert.equal(await apiStore.beginIdempotent("sweep", "stuck", "f2", now - 10 * 60_000), undefined);
    assert.equal(await apiStore.beginIdempotent("sweep", "fresh", "f3", now - 60_000), undefined);
    await apiStore.finishIdempotent("sweep", "fresh", 202, "{}");
    assert.equal(await apiStore.beginIdempotent("sweep", "running", "f4", now - 60_000), undefined);
    assert.ok((await apiStore.purgeIdempotent(now)) >= 2);
    assert.equal(
      await apiStore.beginIdempotent("sweep", "old", "f1", now),
      undefined,
      "old answer forgotten",
    );
    assert.equal(
      await apiStore.beginIdempotent("sweep", "stuck", "f2", now),
      undefined,
      "stuck marker released",
    );
    assert.equal(
      (await apiStore.beginIdempotent("sweep", "fresh", "f3", now))?.status,
      202,
      "fresh answer kept",
    );
    assert.equal(
      (await apiStore.beginIdempotent("sweep", "running", "f4", now))?.status,
      null,
      "still in flight",
    );
  });

  it("lets a client retry a fixed body after a validation failure under the same key", async () => {
    const bad = { ...journal("idem-fix"), company: "toolong" };
    assert.equal((await submit(bad, keys.submit, { "idempotency-key": "req-fix" })).statusCode, 400);
    assert.equal(
      (await submit(journal("idem-fix"), keys.submit, { "idempotency-key": "req-fix" })).statusCode,
      202,
    );
  });
});

describe("HTTP API: reading, redrive, health, metrics", () => {
  it("lists journals with filters and a cursor; a company-scoped key sees only its company", async () => {
    const future = await app.inject({
      method: "GET",
      url: "/v1/journals?since=2999-01-01T00:00:00Z",
      headers: bearer(keys.read),
    });
    assert.deepEqual(future.json().journals, [], "nothing changed after a future time");
    const past = await app.inject({
      method: "GET",
      url: "/v1/journals?since=2000-01-01",
      headers: bearer(keys.read),
    });
    assert.ok(past.json().journals.length > 0);
    const beforeAll = await app.inject({
      method: "GET",
      url: "/v1/journals?before=2000-01-01T00:00:00Z",
      headers: bearer(keys.read),
    });
    assert.deepEqual(beforeAll.json().journals, []);
    const badTime = await app.inject({
      method: "GET",
      url: "/v1/journals?since=yesterday",
      headers: bearer(keys.read),
    });
    assert.equal(badTime.statusCode, 400);
    assert.equal(badTime.json().error.code, "BAD_FILTER");
    const page = await app.inject({ method: "GET", url: "/v1/journals?limit=2", headers: bearer(keys.read) });
    assert.equal(page.statusCode, 200);
    assert.equal(page.json().journals.length, 2);
    const next = await app.inject({
      method: "GET",
      url: `/v1/journals?limit=100&after=${page.json().next}`,
      headers: bearer(keys.read),
    });
    assert.ok(next.json().journals.every((journal: { key: string }) => journal.key > page.json().next));
    const usrt = await app.inject({ method: "GET", url: "/v1/journals", headers: bearer(keys.readUsrt) });
    assert.deepEqual(
      usrt.json().journals.map((journal: { key: string }) => journal.key),
      ["api-usrt"],
    );
    assert.equal(
      (await app.inject({ method: "GET", url: "/v1/journals/api-1", headers: bearer(keys.readUsrt) }))
        .statusCode,
      404,
      "another company's journal is not there",
    );
    const detail = await app.inject({ method: "GET", url: "/v1/journals/api-1", headers: bearer(keys.read) });
    assert.equal(detail.json().journal.state, "ready");
    assert.equal(detail.json().trail[0].toState, "ready");
  });

  it("redrives only dead journals, for admins, with an audit entry", async () => {
    const [claimed] = await store.claim("t", 1, 60_000, Date.now());
    assert.ok(claimed);
    await store.settle(
      claimed.key,
      claimed.attempt,
      "t",
      { state: "dead", lastErrorCode: "D365_BUSINESS_RULE", lastError: "x" },
      {},
      Date.now(),
    );
    const dead = await app.inject({
      method: "GET",
      url: `/v1/journals/${claimed.key}`,
      headers: bearer(keys.read),
    });
    const error = dead.json().journal.error;
    assert.equal(error.code, "D365_BUSINESS_RULE");
    assert.ok(error.title.length > 0 && error.fix.length > 0, "the error is explained from the registry");
    assert.equal(
      (
        await app.inject({
          method: "POST",
          url: `/v1/journals/${claimed.key}/redrive`,
          headers: bearer(keys.read),
        })
      ).statusCode,
      403,
    );
    const redrive = await app.inject({
      method: "POST",
      url: `/v1/journals/${claimed.key}/redrive`,
      headers: bearer(keys.admin),
    });
    assert.equal(redrive.statusCode, 202);
    assert.equal((await store.get(claimed.key))?.state, "ready");
    assert.equal(
      (
        await app.inject({
          method: "POST",
          url: `/v1/journals/${claimed.key}/redrive`,
          headers: bearer(keys.admin),
        })
      ).statusCode,
      409,
    );
    const [entry] = await apiStore.auditLog(1);
    assert.equal(entry?.action, "redrive");
    assert.equal(entry?.target, claimed.key);
  });

  it("serves health without a key, metrics and the OpenAPI document", async () => {
    assert.equal((await app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
    assert.equal((await app.inject({ method: "GET", url: "/readyz" })).json().checks.store, "ok");
    const metrics = await app.inject({ method: "GET", url: "/metrics", headers: bearer(keys.read) });
    assert.match(metrics.body, /ledger_bridge_journals\{state="ready"\} \d+/);
    const openapi = await app.inject({ method: "GET", url: "/openapi.json" });
    assert.equal(openapi.json().openapi, "3.0.3");
  });

  it("cancels a journal not yet delivered (admin, audited); a second cancel is 409 NOT_CANCELLABLE", async () => {
    assert.equal((await submit(journal("api-cancel"))).statusCode, 202);
    const url = "/v1/journals/api-cancel/cancel";
    assert.equal((await app.inject({ method: "POST", url, headers: bearer(keys.submit) })).statusCode, 403);
    const cancelled = await app.inject({ method: "POST", url, headers: bearer(keys.admin) });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.deepEqual(cancelled.json(), { key: "api-cancel", state: "cancelled" });
    assert.equal((await store.get("api-cancel"))?.state, "cancelled");
    assert.equal(
      (await apiStore.auditLog(5)).find((entry) => entry.action === "cancel")?.target,
      "api-cancel",
    );
    const again = await app.inject({ method: "POST", url, headers: bearer(keys.admin) });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, "NOT_CANCELLABLE");
  });

  it("redrives a selection: the count first (dryRun), then dead ones of that error code and company only, audited", async () => {
    const t = Date.now();
    const dead = async (key: string, company: string, code: string) => {
      await store.enqueue(
        {
          key,
          company,
          journalName: "GenJrn",
          source: "bulk",
          contentHash: `h-${key}`,
          payload: "{}",
          lineCount: 2,
          post: true,
          marker: `lb:${key}`,
        },
        t,
      );
      const claimed = await store.claim("w-bulk", 50, 1000, t + 1);
      for (const journal of claimed.filter((each) => each.key.startsWith("bulk-")))
        await store.settle(
          journal.key,
          journal.attempt,
          "w-bulk",
          { state: "dead", lastErrorCode: code, lastError: "x" },
          {},
          t + 2,
        );
    };
    await dead("bulk-1", "usmf", "D365_BUSINESS_RULE");
    await dead("bulk-2", "usmf", "D365_BUSINESS_RULE");
    await dead("bulk-3", "usrt", "D365_BUSINESS_RULE");
    await dead("bulk-4", "usmf", "DELIVERY_LINES_MISMATCH");
    const url = "/v1/journals/redrive";
    const post = (body: unknown, key = keys.admin) =>
      app.inject({
        method: "POST",
        url,
        headers: { ...bearer(key), "content-type": "application/json" },
        payload: JSON.stringify(body),
      });
    const selection = { state: "dead", errorCode: "D365_BUSINESS_RULE", company: "USMF" };
    const counted = await post({ ...selection, dryRun: true });
    assert.equal(counted.statusCode, 200, counted.body);
    assert.deepEqual(counted.json(), { dryRun: true, matched: 2 });
    assert.equal((await store.get("bulk-1"))?.state, "dead", "a dry run moves nothing");
    assert.equal((await post({ ...selection, dryRun: true }, keys.submit)).statusCode, 403, "admin only");
    const empty = await app.inject({ method: "POST", url, headers: bearer(keys.admin) });
    assert.equal(empty.json().error.code, "BODY_EMPTY", "no body is no selection, never everything");
    assert.equal((await post({ state: "posted" })).json().error.code, "BAD_FILTER");
    const done = await post(selection);
    assert.deepEqual(done.json(), { dryRun: false, redriven: 2 });
    assert.deepEqual(
      await Promise.all(
        ["bulk-1", "bulk-2", "bulk-3", "bulk-4"].map(async (key) => (await store.get(key))?.state),
      ),
      ["ready", "ready", "dead", "dead"],
    );
    assert.equal((await store.events("bulk-1")).at(-1)?.detail.redrive, true);
    assert.equal(
      (await apiStore.auditLog(5)).find((entry) => entry.action === "redrive-selection")?.detail.redriven,
      2,
    );
  });

  it("refuses /metrics to a key limited to some companies: the counts are the whole store's", async () => {
    const limited = await app.inject({ method: "GET", url: "/metrics", headers: bearer(keys.readUsrt) });
    assert.equal(limited.statusCode, 403);
    assert.equal(limited.json().error.code, "COMPANY_FORBIDDEN");
    assert.match(limited.json().error.message, /limited to usrt/);
    assert.doesNotMatch(limited.body, /ledger_bridge_journals/);
  });

  it("answers a request Node's HTTP parser refuses (a control character in a header) in the API's error shape", async () => {
    const own = await buildApp({ store, apiStore });
    await own.listen({ port: 0, host: "127.0.0.1" });
    try {
      const { port } = own.server.address() as { port: number };
      const { connect } = await import("node:net");
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () =>
          socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n"),
        );
        let text = "";
        socket.on("data", (chunk) => (text += chunk.toString()));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
      assert.match(raw, /^HTTP\/1\.1 400 Bad Request/);
      const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));
      assert.equal(body.error.code, "BAD_REQUEST");
      assert.match(body.error.message, /control characters are not allowed/);
      assert.equal(typeof body.error.fix, "string");
    } finally {
      await own.close();
    }
  });
});

describe("HTTP API: the authorization matrix", () => {
  const routes = [
    {
      method: "POST" as const,
      url: "/v1/journals",
      scope: "submit",
      body: JSON.stringify(journal("matrix")),
    },
    { method: "GET" as const, url: "/v1/journals", scope: "read" },
    { method: "GET" as const, url: "/v1/journals/api-1", scope: "read" },
    { method: "POST" as const, url: "/v1/journals/api-1/redrive", scope: "admin" },
    { method: "GET" as const, url: "/v1/doctor", scope: "admin" },
    { method: "GET" as const, url: "/metrics", scope: "read" },
    { method: "GET" as const, url: "/v1/overview", scope: "read" },
    { method: "GET" as const, url: "/v1/me", scope: "any" },
  ];

  it("gives no unauthorized success: no key, a wrong key, a revoked key, the wrong scope", async () => {
    for (const route of routes) {
      const wrongScope = route.scope === "submit" ? keys.read : keys.submit;
      const cases: Array<[string, Record<string, string>, number]> = [
        ["no key", {}, 401],
        ["malformed key", bearer("not-a-key"), 401],
        ["unknown key", bearer("lbk_AAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401],
        ["revoked key", bearer(keys.revoked), 401],
        ["wrong scope", bearer(wrongScope), 403],
      ].filter(([name]) => route.scope !== "any" || name !== "wrong scope") as typeof cases;
      for (const [name, headers, status] of cases) {
        const answer = await app.inject({
          method: route.method,
          url: route.url,
          headers: { ...headers, "content-type": "application/json" },
          ...(route.body ? { payload: route.body } : {}),
        });
        assert.equal(answer.statusCode, status, `${route.method} ${route.url} with ${name}`);
        assert.doesNotMatch(answer.body, /\n\s+at /, "no stack trace");
        const { code, fix } = answer.json().error;
        assert.equal(fix, API_ERRORS[code as keyof typeof API_ERRORS].fix, "every refusal says what to do");
      }
    }
    assert.equal(await store.get("matrix"), undefined);
  });

  it("answers 5xx with a correlation id only", async () => {
    const broken = await buildApp({
      store: {
        ...store,
        list: async () => Promise.reject(new Error("disk on fire /secret/path")),
      } as OutboxStore,
      apiStore,
    });
    const answer = await broken.inject({ method: "GET", url: "/v1/journals", headers: bearer(keys.read) });
    assert.equal(answer.statusCode, 500);
    assert.deepEqual(Object.keys(answer.json().error).sort(), ["code", "correlationId", "fix", "message"]);
    assert.doesNotMatch(answer.body, /disk on fire|secret/);
    await broken.close();
  });
});

describe("HTTP API: what the dashboard reads", () => {
  it("tells a caller who it is, without any secret", async () => {
    const answer = await app.inject({ method: "GET", url: "/v1/me", headers: bearer(keys.readUsrt) });
    assert.equal(answer.statusCode, 200);
    const me = answer.json();
    assert.deepEqual(me, {
      id: keyId(keys.readUsrt),
      actor: `key:${keyId(keys.readUsrt)}`,
      scopes: ["read"],
      companies: ["usrt"],
    });
    const secret = keys.readUsrt?.slice(`lbk_${keyId(keys.readUsrt)}_`.length) ?? "?";
    assert.equal(secret.length, 32);
    assert.equal(answer.body.includes(secret), false);
  });

  it("counts journals by state for the caller's companies only, with every state present", async () => {
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
    const stored = Object.values(await store.countByState()).reduce((sum, n) => sum + n, 0);
    // Counts may be up to two seconds old (src/server/state-counts.ts): polled as the dashboard does.
    const overview = async (key: string | undefined) => {
      let answer = (await app.inject({ method: "GET", url: "/v1/overview", headers: bearer(key) })).json();
      for (let polls = 0; polls < 40 && key === keys.read && total(answer.counts) !== stored; polls++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        answer = (await app.inject({ method: "GET", url: "/v1/overview", headers: bearer(key) })).json();
      }
      return answer;
    };
    const all = await overview(keys.read);
    const usrt = await overview(keys.readUsrt);
    assert.deepEqual(Object.keys(all.counts), [...STATES]);
    assert.equal(total(all.counts), stored);
    const usrtStored = (await store.list({ company: "usrt", limit: 1000 })).length;
    assert.equal(total(usrt.counts), usrtStored);
    assert.ok(usrtStored < stored, "the test data has journals of other companies");
    assert.equal(all.worker, false);
    assert.equal(all.activity.length, 0, "no worker in this app, so no activity");
  });

  it("serves the dashboard and the docs page with a strict Content-Security-Policy, no key needed", async () => {
    for (const url of ["/", "/app.js", "/charts.js", "/app.css", "/docs"]) {
      const answer = await app.inject({ method: "GET", url });
      assert.equal(answer.statusCode, 200, url);
      assert.match(
        String(answer.headers["content-security-policy"]),
        /default-src 'none'; script-src 'self'/,
      );
      assert.equal(answer.headers["x-content-type-options"], "nosniff");
    }
    const page = (await app.inject({ method: "GET", url: "/" })).body;
    assert.doesNotMatch(
      page,
      /<script>|onclick=|style=/,
      "no inline script or style for the policy to allow",
    );
    const docs = (await app.inject({ method: "GET", url: "/docs" })).body;
    for (const path of Object.keys(OPENAPI.paths))
      assert.ok(docs.includes(path), `the docs page lists ${path}`);
  });
});

describe("HTTP API: positions in a single-object body", () => {
  it("reports the line and column of the body as sent (no wrapping shifts them)", async () => {
    const text =
      '{"key":"pos-1","company":"usmf","journalName":"GenJrn","lines":[{"transDate":"2026-11-30","account":"601100","debit":10,"currency":"USD"},{"transDate":"2026-11-30","account":"110110","credit":"10","currency":"USD"}]}';
    const answer = await submit(text);
    assert.equal(answer.statusCode, 400, answer.body);
    const problem = answer
      .json()
      .error.errors.find((each: { code: string }) => each.code === "JSON_NUMBER_AMOUNT");
    assert.equal(problem?.line, 1);
    assert.equal(problem?.column, text.indexOf(":10,") + 2, "the column of the number 10");
  });
});

describe("HTTP API: rate limits", () => {
  it("limits each caller with standard headers and Retry-After; another caller and unauthenticated requests are not counted against it", async () => {
    const limited = await buildApp({ store, apiStore, rateLimit: 2, now: () => Date.now() });
    try {
      const get = (headers: Record<string, string>) =>
        limited.inject({ method: "GET", url: "/v1/journals?limit=1", headers });
      const first = await get(bearer(keys.read));
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers["x-ratelimit-limit"], "2");
      assert.equal(first.headers["x-ratelimit-remaining"], "1");
      assert.ok(Number(first.headers["x-ratelimit-reset"]) >= 0);
      assert.equal((await get(bearer(keys.read))).statusCode, 200);
      const refused = await get(bearer(keys.read));
      assert.equal(refused.statusCode, 429, refused.body);
      assert.equal(refused.json().error.code, "RATE_LIMITED");
      assert.match(refused.json().error.message, /At most 2 requests per second per key/);
      assert.ok(Number(refused.headers["retry-after"]) >= 1, String(refused.headers["retry-after"]));
      assert.equal(refused.json().error.retryAfterSeconds, Number(refused.headers["retry-after"]));
      assert.equal(refused.headers["x-ratelimit-remaining"], "0");
      assert.equal((await get(bearer(keys.admin))).statusCode, 200, "another key has its own allowance");
      assert.equal((await get({})).statusCode, 401, "no credential: unauthenticated, not limited");
      assert.doesNotMatch(JSON.stringify(refused.headers) + refused.body, new RegExp(keys.read ?? "x"));
    } finally {
      await limited.close();
    }
  });
});
