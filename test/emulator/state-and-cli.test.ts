import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cli } from "../helpers/cli.js";
import { appToken, call, startTestEmulator, TEST_DATA_DIR } from "../helpers/emulator.js";

const ROOT = join(import.meta.dirname, "..", "..");

describe("--state FILE", () => {
  it("keeps journals, number sequences and configuration across restarts", async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), "emulator-state-")), "state.db");
    const first = await startTestEmulator({ stateFile });
    const created = await call(first, "POST", "/data/LedgerJournalHeaders", {
      token: await appToken(first),
      body: '{"JournalName":"GenJrn","Description":"kept"}',
    });
    assert.equal(created.status, 201);
    await first.admin.configure({ retryAfterSeconds: 11 });
    await first.close();

    const second = await startTestEmulator({ stateFile });
    try {
      const token = await appToken(second);
      const rows = (await call(second, "GET", "/data/LedgerJournalHeaders", { token })).json().value;
      assert.deepEqual(
        rows.map((row: { Description: string }) => row.Description),
        ["kept"],
      );
      const next = await call(second, "POST", "/data/LedgerJournalHeaders", {
        token,
        body: '{"JournalName":"GenJrn"}',
      });
      assert.equal(next.json().JournalBatchNumber, "USMF-000002");
      assert.equal(
        ((await second.admin.call("GET", "config")) as { retryAfterSeconds: number }).retryAfterSeconds,
        11,
      );
    } finally {
      await second.close();
    }
  });
});

describe("ledger-bridge emulator (the command)", () => {
  it("prints its connection details as one JSON line, serves, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "src", "cli", "main.ts"),
        "emulator",
        "--json",
        "--scenario",
        "csrf-gateway",
      ],
      {
        cwd: ROOT,
        env: { ...process.env, LEDGER_BRIDGE_HOME: join(TEST_DATA_DIR, "cli-home") },
      },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
        if (text.includes("\n")) resolve(text.slice(0, text.indexOf("\n")));
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const info = JSON.parse(line);
    for (const field of [
      "d365Url",
      "authorityHost",
      "tenantId",
      "clientId",
      "clientSecret",
      "caCertPath",
      "adminUrl",
    ]) {
      assert.equal(typeof info[field], "string", field);
    }
    assert.match(info.d365Url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.scenario, "csrf-gateway");
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });

  it("refuses an unknown scenario and a bad port with exit code 2", async () => {
    const scenario = await cli(["emulator", "--scenario", "nope"]);
    assert.equal(scenario.code, 2);
    assert.match(scenario.stderr, /--scenario must be one of default, csrf-gateway/);
    assert.equal((await cli(["emulator", "--port", "70000"])).code, 2);
  });
});
