import { Command, CommanderError } from "commander";
import { isBridgeError } from "../core/errors/bridge-error.js";
import { registerDoctor } from "./commands/doctor.js";
import { registerEmulator } from "./commands/emulator.js";
import { registerKeys } from "./commands/keys.js";
import { registerLogin } from "./commands/login.js";
import { registerOutboxCommands } from "./commands/outbox.js";
import { registerPost } from "./commands/post.js";
import { registerServe } from "./commands/serve.js";
import { registerStart } from "./commands/start.js";
import { registerValidate } from "./commands/validate.js";
import { registerWatch } from "./commands/watch.js";
import { type CliIo, EXIT } from "./io.js";

const VERSION = "0.1.0";

/**
 * Runs the CLI with the given arguments (without `node` and the script) and returns the exit code.
 * Never throws: an unexpected error prints one line and a hint, never a stack trace.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok;
  const done = (code: number) => {
    exitCode = code;
  };
  const program = new Command("ledger-bridge")
    .description("Deliver general-ledger journals into Dynamics 365 Finance & Operations, exactly once.")
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError("(run ledger-bridge --help for the commands)");
  registerValidate(program, io, done);
  registerStart(program, io, done);
  registerEmulator(program, io, done);
  registerLogin(program, io, done);
  registerPost(program, io, done);
  registerOutboxCommands(program, io, done);
  registerDoctor(program, io, done);
  registerServe(program, io, done);
  registerKeys(program, io, done);
  registerWatch(program, io, done);

  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isBridgeError(error)) {
      io.stderr.write(`error ${error.code}: ${error.message}\n`);
      const usage =
        error.code === "USAGE" ||
        error.code.startsWith("CONFIG_") ||
        error.name === "InputError" ||
        error.name === "UsageError";
      return usage ? EXIT.usage : EXIT.failed;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`error: unexpected failure: ${message}\nPlease report this with the command you ran.\n`);
    return EXIT.failed;
  }
}
