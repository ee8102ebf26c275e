import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import Big from "big.js";
import { D365Client } from "../../src/d365/client.js";
import { Entities } from "../../src/d365/entities.js";
import { D365Error, InDoubtError } from "../../src/d365/errors.js";
import { eq } from "../../src/d365/query.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { clientFor, fakeTime, type TestClient } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";

let emulator: RunningEmulator;
let test: TestClient;
let entities: Entities;
before(async () => {
  emulator = await startTestEmulator();
});
beforeEach(async () => {
  await emulator.admin.reset();
  await emulator.admin.clearRequests();
  test?.client.close();
  test = clientFor(emulator);
  entities = new Entities(test.client);
});
after(async () => {
  test?.client.close();
  await emulator.close();
});

const log = () => emulator.admin.requests();
const fnoRequests = async () => (await log()).filter((entry) => entry.kind === "fno");
const tokenRequests = async () =>
  (await log()).filter((entry) => entry.kind === "entra" && entry.path.includes("/token"));

describe("F&O client: tokens", () => {
  it("asks Entra ID once per token lifetime, not once per call", async () => {
    for (let i = 0; i < 5; i++) await entities.queryAll("Currencies");
    assert.equal((await tokenRequests()).length, 1);
    assert.equal(test.tokens.issued, 1, "the provider counts the tokens Entra ID issued");
    assert.equal((await fnoRequests()).length, 5);
  });

  it("after a 401 for an expired token, gets one fresh token and retries once", async () => {
    await entities.queryAll("Currencies");
    await emulator.admin.expireTokens();
    const rows = await entities.queryAll("Currencies");
    assert.equal(rows.length, 4);
    assert.equal((await tokenRequests()).length, 2);
    assert.equal(test.tokens.issued, 2);
    const statuses = (await fnoRequests()).map((entry) => entry.status);
    assert.deepEqual(statuses, [200, 401, 200]);
    assert.deepEqual(test.events.filter((event) => event.type === "token-refresh").length, 1);
  });

  it("refreshes once, never more, when F&O keeps refusing (client id not registered)", async () => {
    await emulator.admin.call("DELETE", `fno/apps/${emulator.clientId}`);
    await assert.rejects(entities.queryAll("Currencies"), (error: unknown) => {
      assert.ok(error instanceof D365Error);
      assert.equal(error.code, "D365_UNAUTHORIZED");
      assert.match(error.message, /Microsoft Entra applications/);
      return true;
    });
    assert.deepEqual(
      (await fnoRequests()).map((entry) => entry.status),
      [401, 401],
    );
    assert.equal((await tokenRequests()).length, 2);
  });
});

describe("F&O client: writes are never sent blind", () => {
  it("does not re-send a POST whose connection dropped after commit: InDoubtError, one header in F&O", async () => {
    await emulator.admin.addFault({
      kind: "drop-after-commit",
      entitySet: "LedgerJournalHeaders",
      remaining: 1,
    });
    await assert.rejects(
      entities.create("LedgerJournalHeaders", { JournalName: "GenJrn" }),
      (error: unknown) => {
        assert.ok(error instanceof InDoubtError);
        assert.equal(error.code, "D365_IN_DOUBT");
        assert.equal(error.retryable, "unknown");
        return true;
      },
    );
    assert.equal((await fnoRequests()).filter((entry) => entry.method === "POST").length, 1);
    assert.equal((await emulator.admin.journals()).length, 1);
  });

  it("treats a gateway 5xx after a write as in doubt, and a business-rule 500 as a definite failure", async () => {
    await emulator.admin.addFault({
      kind: "5xx-after-commit",
      entitySet: "LedgerJournalHeaders",
      remaining: 1,
      status: 502,
    });
    await assert.rejects(entities.create("LedgerJournalHeaders", { JournalName: "GenJrn" }), InDoubtError);
    // F&O answers a business-rule refusal with 500 or with 400 (both seen): the same definite failure.
    for (const status of [500, 400] as const) {
      await emulator.admin.configure({ writeFailureStatus: status });
      await assert.rejects(
        entities.create("LedgerJournalHeaders", { JournalName: "Nope" }),
        (error: unknown) => {
          assert.ok(error instanceof D365Error && !(error instanceof InDoubtError));
          assert.equal(error.status, status);
          assert.equal(error.code, "D365_BUSINESS_RULE");
          assert.equal(error.retryable, "no");
          assert.deepEqual(error.infolog, [
            {
              level: "Error",
              text: "The value 'Nope' in field 'Name' is not found in the relating table 'Journal names'.",
            },
            { level: "Warning", text: "validateWrite failed on data source 'LedgerJournalHeaderEntity'." },
          ]);
          return true;
        },
      );
    }
    assert.equal((await fnoRequests()).filter((entry) => entry.method === "POST").length, 3);
  });

  it("retries a GET after 5xx with backoff, and a write that provably never left", async () => {
    const time = fakeTime();
    test.client.close();
    test = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
    entities = new Entities(test.client);
    await emulator.admin.addFault({ kind: "5xx-before-commit", entitySet: "Currencies", remaining: 2 });
    assert.equal((await entities.queryAll("Currencies")).length, 4);
    assert.deepEqual(
      (await fnoRequests()).map((entry) => entry.status),
      [503, 503, 200],
    );
    assert.deepEqual(time.waits, [400, 800], "full jitter at 0.5 of 800 ms, then of 1,600 ms");

    const closed = clientFor(emulator, { url: "https://127.0.0.1:1", clock: time.clock, sleep: time.sleep });
    await assert.rejects(
      new Entities(closed.client).create("LedgerJournalHeaders", { JournalName: "GenJrn" }),
      (error: unknown) => {
        assert.ok(error instanceof D365Error);
        assert.equal(error.code, "D365_UNREACHABLE");
        return true;
      },
    );
    assert.equal(
      closed.events.filter((event) => event.type === "retry").length,
      3,
      "a refused connection is retried: nothing was sent",
    );
    closed.client.close();
  });

  it("gives up on a hanging write after the timeout with InDoubtError, and never re-sends it", async () => {
    test.client.close();
    test = clientFor(emulator, { timeoutMs: 300 });
    await emulator.admin.addFault({ kind: "hang", entitySet: "LedgerJournalHeaders", remaining: 1 });
    await assert.rejects(
      new Entities(test.client).create("LedgerJournalHeaders", { JournalName: "GenJrn" }),
      InDoubtError,
    );
    assert.equal((await emulator.admin.journals()).length, 1);
    assert.equal((await fnoRequests()).filter((entry) => entry.method === "POST").length, 1);
  });
});

describe("F&O client: writes leave only while the caller may still send", () => {
  it("asks before every attempt: a 429's retry is not sent once the caller's lease has run out", async () => {
    const time = fakeTime();
    test.client.close();
    test = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
    await emulator.admin.configure({ retryAfterSeconds: 5 });
    await emulator.admin.addFault({ kind: "429", entitySet: "LedgerJournalHeaders", remaining: 1 });
    const leaseEnds = time.clock.now() + 3000;
    const error = await new Entities(test.client)
      .create(
        "LedgerJournalHeaders",
        { dataAreaId: "usmf", JournalName: "GenJrn" },
        { mayStillSend: () => time.clock.now() < leaseEnds },
      )
      .then(
        () => undefined,
        (failure: unknown) => failure,
      );
    assert.ok(error instanceof D365Error && !(error instanceof InDoubtError));
    assert.equal(error.code, "DELIVERY_LEASE_EXPIRED");
    assert.deepEqual(time.waits, [5000], "it waited out the throttle, then found its lease over");
    assert.deepEqual(
      (await fnoRequests()).filter((entry) => entry.method === "POST").map((entry) => entry.status),
      [429],
      "only the throttled attempt reached F&O",
    );
    assert.equal((await emulator.admin.journals()).length, 0);
  });
});

describe("F&O client: throttling", () => {
  it("waits as long as Retry-After says, shared by every request, and says so", async () => {
    const time = fakeTime();
    test.client.close();
    test = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
    await emulator.admin.configure({ retryAfterSeconds: 3 });
    await emulator.admin.addFault({ kind: "429", entitySet: "Currencies", remaining: 2 });
    assert.equal((await new Entities(test.client).queryAll("Currencies")).length, 4);
    assert.deepEqual(
      test.events
        .filter((event) => event.type === "throttled")
        .map((event) => (event.type === "throttled" ? event.waitMs : 0)),
      [3000, 3000],
    );
    assert.deepEqual(time.waits, [3000, 3000]);
    assert.deepEqual(
      (await fnoRequests()).map((entry) => entry.status),
      [429, 429, 200],
    );
    assert.equal(test.client.metrics.throttled, 2);
    assert.equal(test.client.metrics.throttleWaitMs, 6000);
    assert.deepEqual(
      [...test.client.metrics.responses],
      [
        [429, 2],
        [200, 1],
      ],
    );
  });

  it("holds every request back while one is throttled", async () => {
    const time = fakeTime();
    test.client.close();
    test = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
    test.client.gate.pause(5000);
    assert.equal(test.client.gate.remainingMs(), 5000);
    await new Entities(test.client).queryAll("Currencies");
    assert.deepEqual(time.waits, [5000], "the request waited out the pause another one caused");
  });

  it("retries at once on Retry-After: 0, and gives up after the throttle retries", async () => {
    const time = fakeTime();
    test.client.close();
    test = clientFor(emulator, { clock: time.clock, sleep: time.sleep, retry: { maxThrottleRetries: 2 } });
    await emulator.admin.configure({ retryAfterSeconds: 0 });
    await emulator.admin.addFault({ kind: "429", entitySet: "Currencies" });
    await assert.rejects(new Entities(test.client).queryAll("Currencies"), (error: unknown) => {
      assert.ok(error instanceof D365Error);
      assert.equal(error.code, "D365_THROTTLED");
      return true;
    });
    assert.equal((await fnoRequests()).length, 3, "one try and two throttle retries");
    assert.deepEqual(time.waits, []);
  });

  it("fails at once, without sleeping, when Retry-After is beyond the cap (the caller reschedules)", async () => {
    const time = fakeTime();
    test.client.close();
    test = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
    await emulator.admin.configure({ retryAfterSeconds: 86_400 });
    await emulator.admin.addFault({ kind: "429", entitySet: "Currencies" });
    await assert.rejects(new Entities(test.client).queryAll("Currencies"), (error: unknown) => {
      assert.ok(error instanceof D365Error);
      assert.equal(error.code, "D365_THROTTLED");
      assert.equal(error.details.retryAfterMs, 86_400_000);
      return true;
    });
    assert.deepEqual(time.waits, []);
  });
});

describe("F&O client: queries that cannot be injected", () => {
  const VALUES = ["O'Brien", "' or 1 eq 1 or '", "a/b", "c#d", "e?f", "g&$expand=h", "%27i", "j+k l"];

  it("finds exactly the record whose field holds each tricky value, and nothing else", async () => {
    for (const value of VALUES)
      await entities.create("LedgerJournalHeaders", { JournalName: "GenJrn", Description: value });
    for (const value of VALUES) {
      const rows = await entities.queryAll("LedgerJournalHeaders", { filter: eq("Description", value) });
      assert.deepEqual(
        rows.map((row) => row.Description),
        [value],
        value,
      );
    }
  });

  it("refuses * in an exact match, which F&O would read as a wildcard", () => {
    assert.throws(
      () => eq("Description", "pay*"),
      (error: unknown) =>
        error instanceof D365Error || (error as { code?: string }).code === "D365_QUERY_WILDCARD",
    );
  });

  it("encodes key values so / # ? & reach F&O as part of the key", async () => {
    const ids = ["A/1", "B#2", "C?3", "D&4", "E%5"];
    await emulator.admin.call(
      "POST",
      "tables/MainAccounts",
      ids.map((id) => ({
        ChartOfAccounts: "Shared",
        MainAccountId: id,
        Name: `tricky ${id}`,
        IsSuspended: "No",
        DoNotAllowManualEntry: "No",
      })),
    );
    for (const id of ids) {
      const row = await entities.get("MainAccounts", { ChartOfAccounts: "Shared", MainAccountId: id });
      assert.equal(row?.Name, `tricky ${id}`);
    }
  });

  it("follows @odata.nextLink, re-based onto the configured URL", async () => {
    await emulator.admin.configure({ pageSize: 10 });
    const rows = await entities.queryAll("MainAccounts", { orderBy: ["MainAccountId"] });
    assert.equal(rows.length, 42);
    assert.equal((await fnoRequests()).length, 5);
  });
});

describe("F&O client: exact decimals on the wire", () => {
  it("writes and reads 999999999999999.98 and 0.1 without a float in between", async () => {
    const header = await entities.create("LedgerJournalHeaders", { JournalName: "GenJrn" });
    const batch = String(header.JournalBatchNumber);
    for (const amount of ["999999999999999.98", "0.1"]) {
      await entities.create("LedgerJournalLines", {
        JournalBatchNumber: batch,
        Voucher: "V1",
        TransDate: "2026-11-30T00:00:00Z",
        AccountDisplayValue: "601100",
        DebitAmount: new Big(amount),
        CurrencyCode: "USD",
      });
    }
    const lines = await entities.queryAll("LedgerJournalLines", { filter: eq("JournalBatchNumber", batch) });
    assert.deepEqual(
      lines.map((line) => String(line.DebitAmount)),
      ["999999999999999.98", "0.1"],
    );
    assert.equal(D365Client.name, "D365Client");
  });
});

describe("F&O client: request ids, final 4xx, cancellation, updates", () => {
  it("keeps one x-ms-client-request-id across the retries of a request", async () => {
    const time = fakeTime();
    test.client.close();
    test = clientFor(emulator, { clock: time.clock, sleep: time.sleep });
    await emulator.admin.addFault({ kind: "5xx-before-commit", entitySet: "Currencies", remaining: 2 });
    await new Entities(test.client).queryAll("Currencies");
    const ids = (await fnoRequests()).map((entry) => entry.clientRequestId);
    assert.equal(ids.length, 3);
    assert.equal(new Set(ids).size, 1);
    assert.match(String(ids[0]), /^[0-9a-f-]{36}$/);
  });

  it("never retries 400, 403 or 404", async () => {
    await emulator.admin.call("PUT", "fno/roles/Accountant", { entities: { Currencies: "read" } });
    for (const [path, code] of [
      ["/data/Currencies?$filter=Nope%20eq%201", "D365_BAD_REQUEST"],
      ["/data/MainAccounts", "D365_FORBIDDEN"],
      ["/data/NoSuchSet", "D365_NOT_FOUND"],
    ] as const) {
      await emulator.admin.clearRequests();
      await assert.rejects(
        test.client.request({ method: "GET", path }),
        (error: unknown) => error instanceof D365Error && error.code === code,
      );
      assert.equal((await fnoRequests()).length, 1, path);
    }
  });

  it("stops on an AbortSignal: before sending nothing goes out; during a throttle pause the wait ends at once", async () => {
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(
      test.client.request({ method: "GET", path: "/data/Currencies", signal: aborted.signal }),
    );
    assert.equal((await fnoRequests()).length, 0);

    test.client.gate.pause(60_000);
    const controller = new AbortController();
    const started = Date.now();
    const pending = test.client.request({
      method: "GET",
      path: "/data/Currencies",
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(pending);
    assert.ok(Date.now() - started < 5_000, "the pause did not hold the cancelled request");
  });

  it("updates and deletes by key", async () => {
    const header = await entities.create("LedgerJournalHeaders", {
      JournalName: "GenJrn",
      Description: "before",
    });
    const keys = { dataAreaId: "usmf", JournalBatchNumber: String(header.JournalBatchNumber) };
    await entities.update("LedgerJournalHeaders", keys, { Description: "after" });
    assert.equal((await entities.get("LedgerJournalHeaders", keys))?.Description, "after");
    await entities.delete("LedgerJournalHeaders", keys);
    assert.equal(await entities.get("LedgerJournalHeaders", keys), undefined);
  });
});
