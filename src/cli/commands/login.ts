import type { Command } from "commander";
import { login } from "../../auth/login.js";
import { loginConfig } from "../../config/connect.js";
import { loadConfig } from "../../config/index.js";
import { BridgeError } from "../../core/errors/bridge-error.js";
import { type CliIo, EXIT } from "../io.js";
import { summaryOf } from "./manifest.js";

/** `ledger-bridge login`: delegated sign-in with the device code flow, kept encrypted for later runs. */
export async function runLogin(flags: { json?: boolean }, io: CliIo): Promise<number> {
  const config = loadConfig(io.env);
  if (config.environment === undefined) {
    throw new BridgeError("CONFIG_MISSING", "Signing in needs D365_URL: the environment the sign-in is for.");
  }
  const settings = loginConfig(config);
  const result = await login(settings, config.environment.scope, (message, userCode) => {
    if (flags.json) io.stdout.write(`${JSON.stringify({ event: "device-code", userCode, message })}\n`);
    else io.stdout.write(`${message}\n`);
  });
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ event: "signed-in", username: result.username, cacheFile: settings.cacheFile })}\n`,
    );
  } else {
    io.stdout.write(
      `Signed in as ${result.username}. The sign-in is kept encrypted in ${settings.cacheFile} and renewed silently; ` +
        "set LEDGER_BRIDGE_CREDENTIAL=login to use it.\n",
    );
  }
  return EXIT.ok;
}

export function registerLogin(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("login")
    .description(summaryOf("login"))
    .option("--json", "print events as JSON lines")
    .action(async (flags: { json?: boolean }) => done(await runLogin(flags, io)));
}
