/**
 * F&O refusing the environment as a whole while `serve` delivers: the app removed from F&O's
 * Microsoft Entra applications list, then put back. No journal is dead for it; the pause is shown by
 * /v1/overview, /readyz, /metrics and `status` (another process); delivery resumes by itself and
 * every journal reaches F&O once, but one that F&O refuses for its own account, which alone is dead.
 * A local receiver gets the signed alerts (paused, resumed, dead), its first answer a 500 (retried).
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { markerFor } from "../../src/d365/targets/index.js";
import { DEMO } from "../../src/emulator/scenarios/index.js";
import { cli } from "../helpers/cli.js";
import { startServe } from "../helpers/serve.js";

const JOURNALS = 30;

const SECRET = "webhook-secret-for-the-test-0123";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A webhook receiver whose first answer is a 500. */
async function receiver() {
  const received: Received[] = [];
  let answered = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      response.statusCode = answered++ === 0 ? 500 : 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks/ledger-bridge`, received, close: () => server.close() };
}

function csv(prefix: string, count: number): string {
  const rows = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
    // F&O refuses this one for its own sake (no such main account): it alone goes dead.
    `${prefix}-bad,usmf,GenJrn,V1,2026-11-30,999999,1.00,,USD`,
    `${prefix}-bad,usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD`,
  ];
  for (let i = 0; i < count; i++)
    rows.push(
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601100,${10 + i}.50,,USD`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,110110,,${10 + i}.50,USD`,
    );
  return `${rows.join("\n")}\n`;
}

interface Overview {
  counts: Record<string, number>;
  liveness: { state: string; paused?: { code: string; since: number; nextProbeAt: number } } | null;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  let value = await read();
  for (let poll = 0; poll < 400 && !done(value); poll++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  assert.ok(done(value), `${what}: ${JSON.stringify(value)}`);
  return value;
}

describe("an environment-wide refusal pauses delivery", () => {
  it("the app removed from F&O's list, then put back: paused and shown, no journal dead, resumed by itself, each delivered once", async () => {
    const hooks = await receiver();
    const env = {
      LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-pause-")),
      LEDGER_BRIDGE_WEBHOOK_URL: hooks.url,
      LEDGER_BRIDGE_WEBHOOK_SECRET: SECRET,
    };
    const serve = await startServe(env, { post: false });
    const { url, emulator, key } = serve;
    const headers = { authorization: `Bearer ${key}` };
    const overview = async () => (await (await fetch(`${url}/v1/overview`, { headers })).json()) as Overview;
    try {
      await emulator.admin.call("DELETE", `fno/apps/${DEMO.clientId}`);
      const upload = await fetch(`${url}/v1/journals/files?name=pause.csv`, {
        method: "POST",
        headers: { ...headers, "content-type": "text/csv" },
        body: csv("pause", JOURNALS),
      });
      assert.equal(upload.status, 202, await upload.clone().text());

      const paused = await until(overview, (value) => value.liveness?.state === "paused", "paused");
      assert.equal(paused.liveness?.paused?.code, "D365_UNAUTHORIZED");
      assert.equal(paused.counts.dead, 0, "no journal is dead for the environment's refusal");
      assert.equal(paused.counts.ready, JOURNALS + 1, "the journals wait where they were");
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { checks: Record<string, string> }).checks.worker, "paused");
      assert.match(
        await (await fetch(`${url}/metrics`, { headers })).text(),
        /^ledger_bridge_delivery_paused 1$/m,
      );
      const status = await cli(["status"], { env });
      assert.match(status.stdout, /Delivery PAUSED .*D365_UNAUTHORIZED/);

      await emulator.admin.call("PUT", `fno/apps/${DEMO.clientId}`, {
        name: "ledger-bridge",
        userId: DEMO.serviceUserId,
      });
      const resumed = await until(
        overview,
        (value) => value.counts.lines_created === JOURNALS && value.liveness?.state === "ok",
        "resumed and delivered",
      );
      assert.equal(resumed.counts.dead, 1, "only the journal F&O refused for its account");
      const markers = new Map(Array.from({ length: JOURNALS }, (_, i) => [markerFor(`pause-${i}`), 0]));
      for (const header of await emulator.admin.journals()) {
        const marker = String(header.Description);
        if (markers.has(marker)) markers.set(marker, (markers.get(marker) ?? 0) + 1);
      }
      assert.deepEqual(
        [...markers.values()].filter((count) => count !== 1),
        [],
        "each journal once in F&O",
      );
      assert.match(
        await (await fetch(`${url}/metrics`, { headers })).text(),
        /^ledger_bridge_delivery_paused 0$/m,
      );
      const after = await until(
        () => cli(["status"], { env }),
        (run) => !/PAUSED/.test(run.stdout),
        "status no longer tells a pause",
      );
      assert.match(after.stdout, /lines_created 30/);

      // The alerts: signed, the first retried after the receiver's 500, no secret in any body.
      const alerts = await until(
        async () => hooks.received.map((each) => ({ ...each, parsed: JSON.parse(each.body) })),
        (list) =>
          ["delivery.paused", "delivery.resumed", "journal.dead"].every((type) =>
            list.some((each) => each.parsed.type === type),
          ),
        "alerts received",
      );
      for (const alert of alerts) {
        const timestamp = String(alert.headers["x-ledger-bridge-timestamp"]);
        const expected = `sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${alert.body}`).digest("hex")}`;
        assert.equal(alert.headers["x-ledger-bridge-signature"], expected, "signed with the secret");
        assert.equal(alert.headers["x-ledger-bridge-event"], alert.parsed.type);
        assert.ok(!alert.body.includes(SECRET));
      }
      assert.equal(alerts[0]?.parsed.type, "delivery.paused");
      assert.equal(alerts[1]?.parsed.id, alerts[0]?.parsed.id, "the refused first alert came again");
      const dead = alerts.find((each) => each.parsed.type === "journal.dead");
      assert.equal(dead?.parsed.data.key, "pause-bad");
      assert.equal(dead?.parsed.data.errorCode, "D365_BUSINESS_RULE");
      assert.equal(
        alerts.find((each) => each.parsed.type === "delivery.paused")?.parsed.data.code,
        "D365_UNAUTHORIZED",
      );
    } finally {
      assert.equal(await serve.stop(), 0, serve.stderr().slice(-2000));
      hooks.close();
    }
  });
});
