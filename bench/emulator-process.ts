/**
 * The emulator in its own process for the benchmarks, so the measured process's CPU and memory are
 * ledger-bridge's alone (as with a real, remote F&O).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tokenProviderFor } from "../src/auth/credentials.js";
import { D365Client } from "../src/d365/client.js";
import { EmulatorAdmin } from "../src/emulator/admin/client.js";

export interface EmulatorInfo {
  d365Url: string;
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caCertPath: string;
  adminKey: string;
}

export async function startEmulatorProcess(model: {
  latency: { perRequestMs: number; perOperationMs: number };
  maxConcurrentRequests: number;
  /** The emulator's scenario (default: default). */
  scenario?: string;
}): Promise<{ info: EmulatorInfo; admin: EmulatorAdmin; ca: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(import.meta.dirname ?? ".", "..", "src", "cli", "main.ts"),
      "emulator",
      "--json",
      "--scenario",
      model.scenario ?? "default",
    ],
    {
      env: { ...process.env, LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-bench-emu-")) },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve) => {
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("\n")) resolve(text.slice(0, text.indexOf("\n")));
    });
  });
  const info = JSON.parse(line) as EmulatorInfo;
  const ca = readFileSync(info.caCertPath, "utf8");
  const admin = new EmulatorAdmin(info.d365Url, info.adminKey, ca);
  await admin.configure({
    latency: model.latency,
    maxConcurrentRequests: model.maxConcurrentRequests,
    retryAfterSeconds: 1,
  });
  return { info, admin, ca, stop: () => child.kill("SIGTERM") };
}

/** The variables that point ledger-bridge (a `post` or `serve` child) at an emulator process. */
export function connectionEnv(info: EmulatorInfo): Record<string, string> {
  return {
    D365_URL: info.d365Url,
    AZURE_TENANT_ID: info.tenantId,
    AZURE_CLIENT_ID: info.clientId,
    AZURE_CLIENT_SECRET: info.clientSecret,
    AZURE_AUTHORITY_HOST: info.authorityHost,
    LEDGER_BRIDGE_CA_CERT: info.caCertPath,
  };
}

/** ledger-bridge's F&O client for an emulator process: its demo application's secret, its CA. */
export function clientFor(emulator: { info: EmulatorInfo; ca: string }, concurrency: number): D365Client {
  const tokens = tokenProviderFor(
    {
      kind: "secret",
      tenantId: emulator.info.tenantId,
      clientId: emulator.info.clientId,
      clientSecret: emulator.info.clientSecret,
      authorityHost: emulator.info.authorityHost,
      caCertPem: emulator.ca,
    },
    `${emulator.info.d365Url}/.default`,
  );
  return new D365Client({ url: emulator.info.d365Url, tokens, caCertPem: emulator.ca, concurrency });
}
