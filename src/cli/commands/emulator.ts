import type { Command } from "commander";
import { UsageError } from "../../core/errors/bridge-error.js";
import { SCENARIOS, type ScenarioName, startEmulator } from "../../emulator/index.js";
import { type CliIo, EXIT, styleFor, untilSignal, wholeNumber } from "../io.js";
import { summaryOf } from "./manifest.js";

export interface EmulatorFlags {
  readonly port?: string;
  readonly scenario?: string;
  readonly latencyMs?: string;
  readonly state?: string;
  readonly json?: boolean;
}

/**
 * Runs the emulator until `stop` resolves (SIGINT or SIGTERM in the real CLI). Prints how to connect,
 * as text or as one JSON line.
 */
export async function runEmulator(flags: EmulatorFlags, io: CliIo, stop: Promise<unknown>): Promise<number> {
  const scenario = flags.scenario ?? "default";
  if (!SCENARIOS.includes(scenario as ScenarioName)) {
    throw new UsageError("USAGE", `--scenario must be one of ${SCENARIOS.join(", ")}.`);
  }
  const port = wholeNumber("--port", flags.port, 65535);
  const latencyMs = wholeNumber("--latency-ms", flags.latencyMs, 600_000);
  const emulator = await startEmulator({
    scenario: scenario as ScenarioName,
    ...(port === undefined ? {} : { port }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(flags.state === undefined ? {} : { stateFile: flags.state }),
  });
  const info = {
    d365Url: emulator.d365Url,
    authorityHost: emulator.authorityHost,
    tenantId: emulator.tenantId,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    caCertPath: emulator.caCertPath,
    adminUrl: emulator.adminUrl,
    adminKey: emulator.adminKey,
    scenario,
  };
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(info)}\n`);
  } else {
    const style = styleFor(io);
    const rows: Array<[string, string]> = [
      ["F&O environment URL", info.d365Url],
      ["Authority host", info.authorityHost],
      ["Tenant id", info.tenantId],
      ["Client id", info.clientId],
      ["Client secret", `${info.clientSecret} (a demo secret; it protects nothing)`],
      ["CA certificate", info.caCertPath],
      ["Admin API", `${info.adminUrl} (header x-emulator-key: ${info.adminKey})`],
    ];
    io.stdout.write(
      `${style.bold("ledger-bridge emulator")} of F&O and Entra ID is running (scenario: ${scenario}).\n`,
    );
    for (const [label, value] of rows) io.stdout.write(`  ${label.padEnd(20)} ${value}\n`);
    io.stdout.write(
      `\nTrust its certificate: NODE_EXTRA_CA_CERTS=${info.caCertPath} (or pass the CA to your credential).\n` +
        "Everything it does differently from F&O: docs/emulator.md. Stop it with Ctrl+C.\n",
    );
  }
  await stop;
  await emulator.close();
  return EXIT.ok;
}

export function registerEmulator(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("emulator")
    .description(summaryOf("emulator"))
    .option("--port <n>", "HTTPS port on 127.0.0.1 (0: any free port)", "0")
    .option("--scenario <name>", `starting state: ${SCENARIOS.join(", ")}`, "default")
    .option("--latency-ms <n>", "added to every F&O request")
    .option("--state <file>", "keep the emulator's state in this SQLite file across restarts")
    .option("--json", "print the connection details as one JSON line")
    .action(async (flags: EmulatorFlags) => {
      done(await runEmulator(flags, io, untilSignal()));
    });
}
