import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { call, useEmulator } from "../helpers/emulator.js";

const env = useEmulator({ resetEachTest: true });

const createHeader = (timeoutMs?: number) =>
  call(env.emulator, "POST", "/data/LedgerJournalHeaders", {
    token: env.token,
    body: '{"JournalName":"GenJrn"}',
    ...(timeoutMs ? { timeoutMs } : {}),
  });
const headerCount = async () => (await env.emulator.admin.journals()).length;

describe("resource throttling", () => {
  it("answers 429 with Retry-After in seconds once the capacity is used", async () => {
    await env.emulator.admin.configure({
      maxConcurrentRequests: 1,
      retryAfterSeconds: 7,
      latency: { perRequestMs: 300, perOperationMs: 0 },
    });
    const [first, second] = await Promise.all([
      call(env.emulator, "GET", "/data/Currencies", { token: env.token }),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
        call(env.emulator, "GET", "/data/Currencies", { token: env.token }),
      ),
    ]);
    assert.equal(first.status, 200);
    assert.equal(second.status, 429);
    assert.equal(second.headers["retry-after"], "7");
    assert.match(second.json().error.message, /high resource utilization/);
    assert.equal(
      (await call(env.emulator, "GET", "/data/Currencies", { token: env.token })).status,
      200,
      "capacity is back once the first is done",
    );
  });
});

describe("latency model", () => {
  it("adds the configured per-request delay to F&O requests", async () => {
    await env.emulator.admin.configure({ latency: { perRequestMs: 150, perOperationMs: 0 } });
    const started = performance.now();
    await call(env.emulator, "GET", "/data/Currencies", { token: env.token });
    assert.ok(performance.now() - started >= 150);
    const log = await env.emulator.admin.requests();
    assert.ok((log.at(-1)?.durationMs ?? 0) >= 150);
  });
});

describe("fault injection", () => {
  it("5xx before commit: the write did not happen", async () => {
    await env.emulator.admin.addFault({
      kind: "5xx-before-commit",
      entitySet: "LedgerJournalHeaders",
      status: 503,
    });
    assert.equal((await createHeader()).status, 503);
    assert.equal(await headerCount(), 0);
  });

  it("5xx after commit: the write happened although the client saw 502", async () => {
    await env.emulator.admin.addFault({ kind: "5xx-after-commit", entitySet: "LedgerJournalHeaders" });
    assert.equal((await createHeader()).status, 502);
    assert.equal(await headerCount(), 1);
  });

  it("commit then drop the connection: the client gets no answer, the write happened", async () => {
    await env.emulator.admin.addFault({ kind: "drop-after-commit", entitySet: "LedgerJournalHeaders" });
    await assert.rejects(createHeader(), /socket hang up|ECONNRESET/);
    assert.equal(await headerCount(), 1);
  });

  it("hang past the client's timeout: the write happened, no answer ever came", async () => {
    await env.emulator.admin.addFault({ kind: "hang", entitySet: "LedgerJournalHeaders" });
    await assert.rejects(createHeader(300), /client timeout/);
    assert.equal(await headerCount(), 1);
  });

  it("hang without commit: nothing was written", async () => {
    await env.emulator.admin.addFault({ kind: "hang", entitySet: "LedgerJournalHeaders", commit: false });
    await assert.rejects(createHeader(300), /client timeout/);
    assert.equal(await headerCount(), 0);
  });

  it("reset mid-body: half an answer, then the connection is cut", async () => {
    await env.emulator.admin.addFault({ kind: "reset-mid-body", entitySet: "LedgerJournalHeaders" });
    await assert.rejects(createHeader(), /aborted|ECONNRESET|socket hang up/);
    assert.equal(await headerCount(), 1);
  });

  it("applies a rule to every Nth matching request, and only for its method and entity set", async () => {
    await env.emulator.admin.addFault({
      kind: "5xx-before-commit",
      entitySet: "LedgerJournalHeaders",
      method: "POST",
      everyNth: 3,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await createHeader()).status);
    assert.deepEqual(statuses, [201, 201, 503, 201, 201, 503]);
    assert.equal(
      (await call(env.emulator, "GET", "/data/LedgerJournalHeaders", { token: env.token })).status,
      200,
    );
  });

  it("applies a rule to a seeded fraction of requests, the same way after a reset", async () => {
    const run = async () => {
      await env.emulator.admin.reset();
      await env.emulator.admin.addFault({ kind: "5xx-before-commit", entitySet: "Currencies", rate: 0.3 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++)
        statuses.push((await call(env.emulator, "GET", "/data/Currencies", { token: env.token })).status);
      return statuses;
    };
    const first = await run();
    const faulted = first.filter((status) => status === 503).length;
    assert.ok(faulted >= 5 && faulted <= 20, `${faulted} of 40 faulted at rate 0.3`);
    assert.deepEqual(await run(), first);
  });

  it("stops after `remaining` applications", async () => {
    await env.emulator.admin.addFault({
      kind: "5xx-before-commit",
      entitySet: "LedgerJournalHeaders",
      remaining: 2,
    });
    const statuses = [
      (await createHeader()).status,
      (await createHeader()).status,
      (await createHeader()).status,
    ];
    assert.deepEqual(statuses, [503, 503, 201]);
  });
});
