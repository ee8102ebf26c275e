/**
 * The deployment files: the container's command and health check, run as the image would run them
 * (the built package, its ENV, PORT and HOST); the image itself where a Docker daemon answers; the
 * systemd unit's command and stop timeout.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");

/** The Dockerfile's instruction arguments (continuation lines joined), in order. */
function instructions(name: string): string[] {
  return dockerfile
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .filter((line) => line.startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1).trim());
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("deployment files", () => {
  it("the image's last stage runs as a non-root user, keeps its data on a volume and checks /healthz", () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    assert.equal(stages.length, 2, "a build stage and a runtime stage");
    const runtime = stages[1] as string;
    assert.match(runtime, /^USER node$/m);
    assert.doesNotMatch(runtime, /g\+\+|COPY src/, "no compiler and no sources in what runs");
    assert.deepEqual(instructions("VOLUME"), ['["/data"]']);
    assert.match(instructions("ENV").join(" "), /LEDGER_BRIDGE_HOME=\/data/);
    assert.match(instructions("HEALTHCHECK")[0] ?? "", /\/healthz/);
  });

  it("the container's command serves on PORT and HOST, its health check passes, and SIGTERM stops it cleanly", async () => {
    const command = JSON.parse(instructions("CMD").at(-1) as string) as string[];
    const check = JSON.parse((instructions("HEALTHCHECK")[0] ?? "").replace(/^.*?CMD /, "")) as string[];
    assert.equal(command[0], "node");
    assert.equal(check[0], "node");
    const port = await freePort();
    const env = {
      ...process.env,
      NODE_ENV: "production",
      LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-image-")),
      HOST: "127.0.0.1",
      PORT: String(port),
    };
    // Before the service listens the check fails; that is what marks a container unhealthy.
    await assert.rejects(run(process.execPath, check.slice(1), { env, timeout: 10_000 }));
    const child = spawn(process.execPath, command.slice(1), {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      for (let wait = 0; !output.includes("is listening on") && wait < 300; wait++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(output, new RegExp(`is listening on http://127\\.0\\.0\\.1:${port}`), output);
      await run(process.execPath, check.slice(1), { env, timeout: 10_000 });
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, output);
  });

  it("builds the image where a Docker daemon answers", async (t) => {
    try {
      await run("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 10_000 });
    } catch (error) {
      t.skip(
        `no Docker daemon answers here (docker info: ${String((error as Error).message).split("\n")[0]}): the image was not built; its command and health check were run directly above`,
      );
      return;
    }
    await run("docker", ["build", "-t", "ledger-bridge:test", ROOT], { timeout: 900_000 });
    const { stdout } = await run("docker", [
      "image",
      "inspect",
      "ledger-bridge:test",
      "--format",
      "{{.Config.User}}",
    ]);
    assert.equal(stdout.trim(), "node");
  });

  it("the systemd unit starts serve from the package, gives SIGTERM the request timeout, and restarts on failure", () => {
    const unit = readFileSync(join(ROOT, "deploy", "ledger-bridge.service"), "utf8");
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1];
    assert.match(value("ExecStart") ?? "", /node \/opt\/ledger-bridge\/dist\/cli\/main\.js serve$/);
    assert.equal(value("KillSignal"), "SIGTERM");
    assert.ok(Number(value("TimeoutStopSec")) >= 130, "at least the 120 s request timeout and a margin");
    assert.equal(value("Restart"), "on-failure");
    assert.equal(value("User"), "ledger-bridge");
    assert.equal(value("StateDirectory"), "ledger-bridge");
  });
});
