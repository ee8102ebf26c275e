import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import Big from "big.js";
import { sendBatch } from "../../src/d365/batch.js";
import { Entities } from "../../src/d365/entities.js";
import { D365Error } from "../../src/d365/errors.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { clientFor, memoryLogger } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";

describe("F&O client: write token (CSRF) only when a server asks — the original report's gateway", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startTestEmulator({ scenario: "csrf-gateway" });
  });
  after(() => emulator.close());

  const entry = (batch: string | undefined, account: string, side: string) => ({
    ...(batch === undefined ? {} : { JournalBatchNumber: batch }),
    JournalName: "GenJrn",
    LedgerAccount: account,
    TransactionCurrencyCode: "USD",
    [side]: new Big("1200.00"),
    TransDate: "2026-11-30T00:00:00Z",
  });

  it("gets 401, fetches a token once, retries; later writes reuse it; a stale one is fetched again once", async () => {
    await emulator.admin.clearRequests();
    const { client, events } = clientFor(emulator);
    const entities = new Entities(client);
    const first = await entities.create(
      "GeneralJournalAccountEntry",
      entry(undefined, "601500", "DebitAmount"),
    );
    const batch = String(first.JournalBatchNumber);
    await entities.create("GeneralJournalAccountEntry", entry(batch, "200400", "CreditAmount"));
    await entities.create("GeneralJournalAccountEntry", entry(batch, "601500", "DebitAmount"));
    const fno = (await emulator.admin.requests()).filter((request) => request.kind === "fno");
    assert.deepEqual(
      fno.map((request) => `${request.method} ${request.status} ${request.csrf ?? "-"}`),
      ["POST 401 -", "GET 200 fetch", "POST 201 token", "POST 201 token", "POST 201 token"],
    );
    assert.equal(
      events.filter((event) => event.type === "csrf-fetch").length,
      1,
      "one extra round trip for the session",
    );

    await emulator.admin.call("POST", "csrf/expire");
    await entities.create("GeneralJournalAccountEntry", entry(batch, "200400", "CreditAmount"));
    const after = (await emulator.admin.requests())
      .filter((request) => request.kind === "fno")
      .slice(fno.length);
    assert.deepEqual(
      after.map((request) => `${request.method} ${request.status}`),
      ["POST 403", "GET 200", "POST 201"],
    );
    assert.equal((await emulator.admin.journals())[0]?.lines.length, 4);
    client.close();
  });

  it("with csrf: never, reports the refusal instead of fetching", async () => {
    const { client } = clientFor(emulator, { csrf: "never" });
    await assert.rejects(
      new Entities(client).create("GeneralJournalAccountEntry", entry(undefined, "601500", "DebitAmount")),
      (error: unknown) => {
        assert.ok(error instanceof D365Error);
        assert.equal(error.code, "D365_CSRF_REJECTED");
        return true;
      },
    );
    client.close();
  });
});

describe("F&O client: $batch and redaction", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startTestEmulator();
  });
  beforeEach(() => emulator.admin.reset());
  after(() => emulator.close());

  const line = (batch: string, account: string, side: string, amount: string) => ({
    method: "POST" as const,
    path: "/data/LedgerJournalLines",
    body: {
      JournalBatchNumber: batch,
      Voucher: "V1",
      TransDate: "2026-11-30T00:00:00Z",
      AccountDisplayValue: account,
      [side]: new Big(amount),
      CurrencyCode: "USD",
    },
  });

  it("maps each changeset's result back, a failed one in the middle failing exactly its items", async () => {
    const { client } = clientFor(emulator);
    const entities = new Entities(client);
    const batches: string[] = [];
    for (let i = 0; i < 3; i++)
      batches.push(
        String((await entities.create("LedgerJournalHeaders", { JournalName: "GenJrn" })).JournalBatchNumber),
      );
    const [a, b, c] = batches as [string, string, string];
    const results = await sendBatch(client, [
      { operations: [line(a, "601100", "DebitAmount", "1.10"), line(a, "110110", "CreditAmount", "1.10")] },
      { operations: [line(b, "601100", "DebitAmount", "2.20"), line(b, "130700", "CreditAmount", "2.20")] },
      { operations: [line(c, "601100", "DebitAmount", "3.30"), line(c, "110110", "CreditAmount", "3.30")] },
    ]);
    assert.equal(results.length, 3);
    assert.ok(results[0]?.ok && results[2]?.ok);
    const failed = results[1];
    assert.ok(failed !== undefined && !failed.ok);
    assert.equal(failed.failedIndex, 1);
    assert.equal(failed.error.code, "D365_BUSINESS_RULE");
    assert.match(failed.error.message, /Main account 130700 does not allow manual entry/);
    const ok = results[0];
    assert.deepEqual(
      ok?.ok
        ? ok.results.map((result) => [
            result.status,
            String((result.body as Record<string, unknown>).LineNumber),
          ])
        : [],
      [
        [201, "1"],
        [201, "2"],
      ],
    );
    const journals = await emulator.admin.journals();
    assert.deepEqual(
      journals.map((journal) => journal.lines.length),
      [2, 0, 2],
    );
    client.close();
  });

  it("never lets a secret, token, cookie or CSRF value reach a log line or an error message (canaries)", async () => {
    const canarySecret = "canary-secret-9f3c2a7e-DO-NOT-LOG";
    const clientId = "66666666-7777-4888-8999-aaaaaaaaaaaa";
    await emulator.admin.call("PUT", `entra/apps/${clientId}`, { secrets: [{ value: canarySecret }] });
    await emulator.admin.call("PUT", `fno/apps/${clientId}`, { name: "canary", userId: "svc-ledger-bridge" });
    const { logger, lines } = memoryLogger();
    const { client, tokens } = clientFor(emulator, {
      clientId,
      clientSecret: canarySecret,
      logger,
      timeoutMs: 500,
    });
    const entities = new Entities(client);
    const messages: string[] = [];
    const attempt = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        messages.push(String(error), JSON.stringify(error), (error as Error).stack ?? "");
      }
    };
    await attempt(() => entities.queryAll("Currencies"));
    await attempt(() => entities.create("LedgerJournalHeaders", { JournalName: "Nope" }));
    await emulator.admin.addFault({
      kind: "drop-after-commit",
      entitySet: "LedgerJournalHeaders",
      remaining: 1,
    });
    await attempt(() => entities.create("LedgerJournalHeaders", { JournalName: "GenJrn" }));
    await emulator.admin.addFault({ kind: "hang", entitySet: "JournalNames", remaining: 1 });
    await attempt(() => entities.queryAll("JournalNames"));
    await emulator.admin.expireTokens();
    await attempt(() => entities.queryAll("Currencies"));
    await emulator.admin.call("DELETE", `fno/apps/${clientId}`);
    await attempt(() => entities.queryAll("Currencies"));
    const wrong = clientFor(emulator, { clientId, clientSecret: `${canarySecret}-wrong`, logger });
    await attempt(() => new Entities(wrong.client).queryAll("Currencies"));
    wrong.client.close();

    const token = await tokens.token();
    const everything = [...lines, ...messages].join("\n");
    assert.ok(lines.length > 0 && messages.length >= 5, "the canary run produced logs and errors");
    for (const secret of [
      canarySecret,
      token,
      token.split(".")[2] as string,
      Buffer.from(canarySecret).toString("base64"),
      encodeURIComponent(canarySecret),
    ]) {
      assert.ok(!everything.includes(secret), `a secret leaked: ${secret.slice(0, 12)}…`);
    }
    assert.ok(!/Bearer ey/.test(everything));
    client.close();
  });
});
