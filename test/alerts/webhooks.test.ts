import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { DeliveryAlerts } from "../../src/alerts/delivery-alerts.js";
import { type Alert, signature, Webhooks } from "../../src/alerts/webhooks.js";
import { memoryLogger } from "../helpers/client.js";
import { ENGINES } from "../helpers/stores.js";

const SECRET = "a-webhook-secret-of-the-test";

/** A receiver answering each request with the next status of `answers` (then 204). */
async function receiver(answers: number[]) {
  const received: { headers: Record<string, unknown>; body: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.statusCode = answers.shift() ?? 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook?token=in-the-url`, received, close: () => server.close() };
}

const DEAD: Alert = {
  type: "journal.dead",
  data: { key: "J-1", company: "usmf", errorCode: "D365_BUSINESS_RULE" },
};

describe("webhooks", () => {
  it("signs each alert with HMAC-SHA256 over timestamp and body; retries 5xx, 429 and lost connections with the same id", async () => {
    const hooks = await receiver([503, 429]);
    const { logger, lines } = memoryLogger();
    const webhooks = new Webhooks({
      // The first URL refuses connections (nothing listens there): retried, then given up.
      urls: ["http://127.0.0.1:1/nothing", hooks.url],
      secret: SECRET,
      retryDelaysMs: [5, 5, 5],
      logger,
    });
    try {
      webhooks.send(DEAD);
      await webhooks.close();
      assert.equal(hooks.received.length, 3, "two refusals, then accepted");
      const ids = new Set(hooks.received.map((each) => JSON.parse(each.body).id));
      assert.equal(ids.size, 1, "one alert, sent again");
      for (const each of hooks.received) {
        const timestamp = String(each.headers["x-ledger-bridge-timestamp"]);
        assert.equal(each.headers["x-ledger-bridge-signature"], signature(SECRET, timestamp, each.body));
        assert.equal(each.headers["x-ledger-bridge-event"], "journal.dead");
        assert.deepEqual(JSON.parse(each.body).data, DEAD.data);
      }
      const log = lines.join("");
      assert.match(log, /webhook alert not delivered/, "the unreachable receiver is given up, and logged");
      assert.ok(
        !log.includes(SECRET) && !log.includes("in-the-url"),
        "neither secret nor URL path in the log",
      );
    } finally {
      hooks.close();
    }
  });

  it("gives up at once on an answer that retrying cannot change (400)", async () => {
    const hooks = await receiver([400]);
    const webhooks = new Webhooks({ urls: [hooks.url], secret: SECRET, retryDelaysMs: [5, 5] });
    try {
      webhooks.send(DEAD);
      await webhooks.close();
      assert.equal(hooks.received.length, 1);
    } finally {
      hooks.close();
    }
  });
});

for (const engine of ENGINES) {
  describe(`delivery alerts on ${engine.name}`, async () => {
    const skip = await engine.skip();
    if (skip !== undefined) {
      it(`skipped: ${skip}`, { skip }, () => undefined);
      return;
    }
    let test: Awaited<ReturnType<typeof engine.open>>;
    before(async () => {
      test = await engine.open();
    });
    after(() => test.cleanup());

    it("alerts a journal in doubt past the threshold once, a pause when it begins and when it ends", async () => {
      const t0 = Date.parse("2026-11-30T12:00:00Z");
      let now = t0;
      const sent: Alert[] = [];
      const alerts = new DeliveryAlerts({
        store: test.store,
        send: (alert) => sent.push(alert),
        clock: { now: () => now },
        inDoubtAfterMs: 60_000,
      });
      await test.store.enqueue(
        {
          key: "doubt-1",
          company: "usmf",
          journalName: "GenJrn",
          source: "t",
          contentHash: "h",
          payload: "{}",
          lineCount: 2,
          post: true,
          marker: "lb:doubt-1",
        },
        t0,
      );
      const [claimed] = await test.store.claim("w", 1, 30_000, t0);
      await test.store.settle(
        "doubt-1",
        claimed?.attempt ?? 0,
        "w",
        { state: "in_doubt", lastErrorCode: "D365_IN_DOUBT", lastError: "no answer" },
        {},
        t0,
      );
      now = t0 + 30_000;
      await alerts.checkInDoubt();
      assert.equal(sent.length, 0, "not yet past the threshold");
      now = t0 + 61_000;
      await alerts.checkInDoubt();
      await alerts.checkInDoubt();
      assert.deepEqual(
        sent.map((alert) => [alert.type, alert.data.key, alert.data.errorCode]),
        [["journal.in_doubt", "doubt-1", "D365_IN_DOUBT"]],
        "once",
      );

      const pause = {
        code: "D365_UNAUTHORIZED",
        message: "refused",
        since: now,
        nextProbeAt: now + 5000,
        probes: 0,
      };
      alerts.onHealth({ lastProgressAt: now, failingRounds: 0, paused: pause });
      alerts.onHealth({ lastProgressAt: now, failingRounds: 0, paused: { ...pause, probes: 1 } });
      alerts.onHealth(undefined);
      now += 20_000;
      alerts.onHealth({ lastProgressAt: now, failingRounds: 0 });
      assert.deepEqual(
        sent.slice(1).map((alert) => [alert.type, alert.data.code]),
        [
          ["delivery.paused", "D365_UNAUTHORIZED"],
          ["delivery.resumed", "D365_UNAUTHORIZED"],
        ],
      );
      assert.equal(sent[2]?.data.pausedForMs, 20_000);
    });
  });
}
