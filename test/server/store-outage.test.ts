/**
 * PostgreSQL connections that die under a running bridge: the test terminates its own backends
 * (pg_terminate_backend, only the connections with this test's application_name) again and again
 * while `serve` and `post` deliver 1,000 journals. Everything is delivered without a restart, once;
 * and while the worker is truly stuck (its claims blocked by a table lock) /readyz says so.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import pg from "pg";
import { markerFor } from "../../src/d365/targets/index.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { cli } from "../helpers/cli.js";
import { connectionEnv, startTestEmulator } from "../helpers/emulator.js";
import { startServe } from "../helpers/serve.js";
import { POSTGRES_URL, postgresAvailable } from "../helpers/stores.js";

const JOURNALS = 1000;
const KILLS = 20;

function csv(prefix: string, count: number): string {
  const rows = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
  ];
  for (let i = 0; i < count; i++)
    rows.push(
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601100,${1 + (i % 500)}.25,,USD`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,110110,,${1 + (i % 500)}.25,USD`,
    );
  return `${rows.join("\n")}\n`;
}

/** A schema of its own and a store URL whose connections carry a name only this test uses. */
async function pgStore(name: string) {
  const schema = `lb_outage_${process.pid}_${name}`;
  const application = `lb-outage-${process.pid}-${name}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = `${POSTGRES_URL}?options=-c%20search_path%3D${schema}&application_name=${application}`;
  return {
    url,
    schema,
    admin,
    /** How many connections the bridge under test holds now. */
    async connections(): Promise<number> {
      const rows = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        [application],
      );
      return Number(rows.rows[0]?.n ?? 0);
    },
    /** Terminates every connection of the bridge under test; returns how many. */
    async terminate(): Promise<number> {
      const rows = await admin.query(
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
        [application],
      );
      return rows.rows.filter((row) => row.done).length;
    },
    async cleanup() {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/**
 * Terminates the bridge's connections, `everyMs` apart, until `times` were terminated. A look can find
 * none (the pool between a termination and its reconnect): it does not count, and at most ten times
 * as many looks are made.
 */
async function blips(
  store: Awaited<ReturnType<typeof pgStore>>,
  times: number,
  everyMs: number,
  over: () => boolean = () => false,
) {
  let terminated = 0;
  // The looks start once the bridge holds a connection: a command loads (and here compiles) its
  // modules before it connects, and looks spent before that would leave the blips to chance.
  for (let wait = 0; wait < 600 && !over() && (await store.connections()) === 0; wait++)
    await new Promise((resolve) => setTimeout(resolve, 50));
  for (let look = 0; terminated < times && look < times * 10 && !over(); look++) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    terminated += await store.terminate();
  }
  return terminated;
}

async function exactlyOnce(emulator: RunningEmulator, prefix: string, count: number, posted: boolean) {
  const byMarker = new Map(Array.from({ length: count }, (_, i) => [markerFor(`${prefix}-${i}`), 0]));
  for (const header of await emulator.admin.journals()) {
    const marker = String(header.Description);
    if (!byMarker.has(marker)) continue;
    byMarker.set(marker, (byMarker.get(marker) ?? 0) + 1);
    assert.equal(header.lines.length, 2, `${marker}: lines`);
    if (posted) assert.equal(header.IsPosted, "Yes", `${marker}: posted`);
  }
  const lost = [...byMarker].filter(([, n]) => n === 0).length;
  const duplicated = [...byMarker].filter(([, n]) => n > 1).length;
  assert.deepEqual({ lost, duplicated }, { lost: 0, duplicated: 0 });
}

describe("PostgreSQL connections terminated during delivery", async () => {
  if (!(await postgresAvailable())) {
    it(`skipped: PostgreSQL is not reachable at ${POSTGRES_URL}`, { skip: true }, () => undefined);
    return;
  }

  it(`serve: ${KILLS} blips during 1,000 journals — all delivered once without a restart; /readyz tells a stuck worker`, async () => {
    const store = await pgStore("serve");
    const env = {
      LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-outage-")),
      LEDGER_BRIDGE_STORE: store.url,
      LEDGER_BRIDGE_WORKER_STALL_MS: "1500",
    };
    const serve = await startServe(env, { post: false });
    const { url, emulator, key } = serve;
    const headers = { authorization: `Bearer ${key}` };
    try {
      const upload = await fetch(`${url}/v1/journals/files?name=outage.csv`, {
        method: "POST",
        headers: { ...headers, "content-type": "text/csv" },
        body: csv("outage", JOURNALS),
      });
      assert.equal(upload.status, 202, await upload.clone().text());
      const terminated = await blips(store, KILLS, 150);
      assert.ok(terminated >= KILLS, `connections were terminated (${terminated})`);
      let counts: Record<string, number> = {};
      for (let poll = 0; poll < 300; poll++) {
        counts = (
          (await (await fetch(`${url}/v1/overview`, { headers })).json()) as {
            counts: Record<string, number>;
          }
        ).counts;
        if (counts.lines_created === JOURNALS) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(counts.lines_created, JOURNALS, JSON.stringify(counts));
      await exactlyOnce(emulator, "outage", JOURNALS, false);

      // A stuck worker: its claims wait on a lock the test holds. /readyz turns unready, then ready.
      const locker = new pg.Client({ connectionString: POSTGRES_URL });
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query(`LOCK TABLE ${store.schema}.journals IN EXCLUSIVE MODE`);
      let stuck: { status: number; body: { checks: Record<string, string> } } | undefined;
      for (let poll = 0; poll < 100; poll++) {
        const answer = await fetch(`${url}/readyz`);
        stuck = { status: answer.status, body: (await answer.json()) as { checks: Record<string, string> } };
        if (stuck.status === 503) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(stuck?.status, 503);
      assert.equal(stuck?.body.checks.worker, "stalled");
      assert.equal(stuck?.body.checks.store, "ok", "the store answers reads; the worker is what is stuck");
      const metrics = await (await fetch(`${url}/metrics`, { headers })).text();
      assert.match(metrics, /^ledger_bridge_worker_up 0$/m);
      await locker.query("COMMIT");
      await locker.end();
      let ready = 0;
      for (let poll = 0; poll < 100 && ready !== 200; poll++) {
        ready = (await fetch(`${url}/readyz`)).status;
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(ready, 200, "ready again once the worker makes progress");
      assert.doesNotMatch(serve.stderr(), /Unhandled|uncaught/i);
    } finally {
      assert.equal(await serve.stop(), 0, `serve stopped gracefully: ${serve.stderr().slice(-2000)}`);
      await store.cleanup();
    }
  });

  it(`post: blips during 1,000 journals (up to ${KILLS}) — it resumes instead of crashing, every journal posted once`, async () => {
    const store = await pgStore("post");
    const emulator = await startTestEmulator();
    try {
      const file = join(mkdtempSync(join(tmpdir(), "lb-outage-post-")), "outage-post.csv");
      writeFileSync(file, csv("outage-post", JOURNALS));
      const env = {
        ...connectionEnv(emulator),
        LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-outage-")),
        LEDGER_BRIDGE_STORE: store.url,
      };
      // post stores in chunks and delivers while it reads: a short run, whose connections are often
      // idle between uses. The blips come faster and stop when the run ends; F&O answers after 40 ms
      // (at 20 ms a run on a loaded machine could end before half the blips had struck).
      await emulator.admin.configure({ latency: { perRequestMs: 40, perOperationMs: 0 } });
      let ended = false;
      const [run, terminated] = await Promise.all([
        cli(["post", file, "--post", "--json"], { env }).finally(() => {
          ended = true;
        }),
        blips(store, KILLS, 50, () => ended),
      ]);
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      assert.ok(terminated >= KILLS / 2, `connections were terminated during the run (${terminated})`);
      assert.equal(JSON.parse(run.stdout).delivered, true);
      await exactlyOnce(emulator, "outage-post", JOURNALS, true);
    } finally {
      await emulator.close();
      await store.cleanup();
    }
  });
});
