import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runServe, type Serving } from "../../src/cli/commands/serve.js";
import type { CliIo } from "../../src/cli/io.js";
import { cli } from "../helpers/cli.js";

function captureIo(env: Record<string, string>): CliIo & { out: () => string; err: () => string } {
  let stdout = "";
  let stderr = "";
  return {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    env,
    out: () => stdout,
    err: () => stderr,
  };
}

describe("ledger-bridge serve and keys", () => {
  it("listens on PORT and HOST from the environment when no flag names them; a bad PORT is a usage error naming it", async () => {
    const home = mkdtempSync(join(tmpdir(), "lb-serve-env-"));
    const bad = await cli(["serve"], { env: { LEDGER_BRIDGE_HOME: home, PORT: "80a" } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /PORT must be a whole number from 0 to 65535/);
    const io = captureIo({ LEDGER_BRIDGE_HOME: home, PORT: "0", HOST: "127.0.0.2" });
    let stop: (value: unknown) => void = () => {};
    const stopped = new Promise((resolve) => {
      stop = resolve;
    });
    let serving: Serving | undefined;
    const finished = new Promise<number>((resolveFinished) => {
      void runServe({ worker: false }, io, stopped, (value) => {
        serving = value;
      }).then(resolveFinished);
    });
    for (let wait = 0; serving === undefined && wait < 200; wait++)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(String(serving?.url), /^http:\/\/127\.0\.0\.2:\d+$/, io.err());
    assert.equal((await fetch(`${serving?.url}/healthz`)).status, 200);
    stop(undefined);
    assert.equal(await finished, 0);
  });

  it("keys create shows the key once, list never shows secrets, revoke refuses the key from then on", async () => {
    const env = { LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-keys-")) };
    const created = await cli(["keys", "create", "--scope", "submit", "--company", "usmf,usrt", "--json"], {
      env,
    });
    assert.equal(created.code, 0, created.stderr);
    const record = JSON.parse(created.stdout);
    assert.match(record.key, /^lbk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(record.companies, ["usmf", "usrt"]);
    const listed = await cli(["keys", "list", "--json"], { env });
    // The secret is everything after "lbk_<id>_" (it may itself contain "_").
    const secret = record.key.slice(`lbk_${record.id}_`.length);
    assert.equal(secret.length, 32);
    assert.equal(listed.stdout.includes(secret), false, "the secret is never listed");
    assert.deepEqual(
      JSON.parse(listed.stdout).map((key: { id: string; revokedAt: string | null }) => [
        key.id,
        key.revokedAt,
      ]),
      [[record.id, null]],
    );
    const revoked = await cli(["keys", "revoke", record.id], { env });
    assert.equal(revoked.code, 0);
    assert.notEqual(JSON.parse((await cli(["keys", "list", "--json"], { env })).stdout)[0].revokedAt, null);
    assert.equal((await cli(["keys", "revoke", record.id], { env })).code, 1, "revoking twice says so");
    const wrongScope = await cli(["keys", "create", "--scope", "root"], { env });
    assert.equal(wrongScope.code, 2);
    assert.match(wrongScope.stderr, /--scope must be one of submit, read, admin/);
  });

  it("serves the API with a worker: an uploaded file is accepted, delivered and posted; SIGTERM-style stop is graceful", async () => {
    const env = { LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-serve-")) };
    const key = JSON.parse((await cli(["keys", "create", "--scope", "admin", "--json"], { env })).stdout).key;
    const io = captureIo(env);
    let stop: (value: unknown) => void = () => {};
    const stopped = new Promise((resolve) => {
      stop = resolve;
    });
    let serving: Serving | undefined;
    let exitCode: number | undefined;
    const listening = new Promise<void>((resolve) => {
      void runServe({ port: "0" }, io, stopped, (value) => {
        serving = value;
        resolve();
      }).then((code) => {
        exitCode = code;
      });
    });
    await listening;
    const url = (serving as Serving).url;
    assert.match(io.out(), /is listening on http:\/\/127\.0\.0\.1:\d+ \(delivery worker: on/);
    assert.match(io.err(), /using the built-in F&O emulator/);
    const headers = { authorization: `Bearer ${key}` };
    const upload = await fetch(`${url}/v1/journals/files?name=journals.csv`, {
      method: "POST",
      headers: { ...headers, "content-type": "text/csv" },
      body: readFileSync(new URL("../../examples/journals.csv", import.meta.url)),
    });
    assert.equal(upload.status, 202);
    const keys = ((await upload.json()) as any).accepted.map((journal: { key: string }) => journal.key);
    assert.equal(keys.length, 2);
    let states: string[] = [];
    for (let poll = 0; poll < 100; poll++) {
      const list = (await (await fetch(`${url}/v1/journals`, { headers })).json()) as any;
      states = list.journals.map((journal: { state: string }) => journal.state);
      if (states.every((state) => state === "posted")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(states, ["posted", "posted"]);
    const detail = (await (await fetch(`${url}/v1/journals/${keys[0]}`, { headers })).json()) as any;
    assert.match(detail.journal.journalBatchNumber, /^USMF-\d{6}$/);
    assert.ok(
      detail.trail.some((event: { toState: string }) => event.toState === "posted"),
      JSON.stringify(detail.trail),
    );
    const before = (await serving?.emulator?.admin.requests())?.at(-1)?.seq ?? 0;
    for (let probe = 0; probe < 3; probe++) assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const probes = ((await serving?.emulator?.admin.requests(before)) ?? []).filter(
      (request) => request.method === "GET" && request.path === "/data/",
    );
    assert.equal(probes.length, 1, "three readiness probes ask F&O once (answer kept 10 s)");
    const metrics = await (await fetch(`${url}/metrics`, { headers })).text();
    assert.match(metrics, /^ledger_bridge_delivery_seconds_count\{state="posted"\} 2$/m);
    // F&O's answers are counted on the delivery thread and reported every second.
    let fno = metrics;
    for (let poll = 0; poll < 30 && !/fno_responses_total\{status="200"\} [1-9]/.test(fno); poll++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      fno = await (await fetch(`${url}/metrics`, { headers })).text();
    }
    assert.match(fno, /^ledger_bridge_fno_responses_total\{status="200"\} [1-9]\d*$/m);
    assert.match(fno, /^ledger_bridge_tokens_issued_total 1$/m, "one token from Entra ID, reused");
    assert.match(fno, /^ledger_bridge_token_refreshes_total 0$/m);
    assert.match(metrics, /^ledger_bridge_delivery_seconds_bucket\{le="\+Inf",state="posted"\} 2$/m);
    // prom-client's process metrics beside ledger-bridge's own.
    assert.match(metrics, /^ledger_bridge_process_resident_memory_bytes \d+$/m);
    assert.match(metrics, /^ledger_bridge_nodejs_eventloop_lag_p99_seconds [\d.e-]+$/m);
    assert.doesNotMatch(
      metrics,
      /delivery_seconds_count\{state="lines_created"\}/,
      "a step on the way is not a delivery",
    );
    stop(undefined);
    for (let poll = 0; poll < 100 && exitCode === undefined; poll++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(exitCode, 0);
    assert.match(io.err(), /stopping: no new requests/);
    await assert.rejects(fetch(`${url}/healthz`), "the port is closed after shutdown");
  });
});
