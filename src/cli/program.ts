import { Command, CommanderError } from "commander";
import { isBridgeError } from "../core/errors/bridge-error.js";
import { COMMANDS, type CommandModule } from "./commands/manifest.js";
import { type CliIo, EXIT } from "./io.js";

type Register = (program: Command, io: CliIo, done: (code: number) => void) => void;

/** The module defining a command, loaded only when that command runs. */
async function load(module: CommandModule): Promise<Register> {
  switch (module) {
    case "validate":
      return (await import("./commands/validate.js")).registerValidate;
    case "start":
      return (await import("./commands/start.js")).registerStart;
    case "emulator":
      return (await import("./commands/emulator.js")).registerEmulator;
    case "login":
      return (await import("./commands/login.js")).registerLogin;
    case "post":
      return (await import("./commands/post.js")).registerPost;
    case "outbox":
      return (await import("./commands/outbox.js")).registerOutboxCommands;
    case "doctor":
      return (await import("./commands/doctor.js")).registerDoctor;
    case "serve":
      return (await import("./commands/serve.js")).registerServe;
    case "keys":
      return (await import("./commands/keys.js")).registerKeys;
    case "watch":
      return (await import("./commands/watch.js")).registerWatch;
  }
}

/**
 * Registers every command in the manifest's order: the one being run (and those its module defines)
 * for real, the others by name, arguments and summary — enough for the list `--help` prints.
 */
async function registerCommands(
  program: Command,
  argv: readonly string[],
  io: CliIo,
  done: (code: number) => void,
) {
  const words = argv.filter((arg) => !arg.startsWith("-"));
  // `ledger-bridge help validate` shows validate's own help.
  const name = words[0] === "help" ? words[1] : words[0];
  const wanted = COMMANDS.find((command) => command.name === name)?.module;
  const register = wanted === undefined ? undefined : await load(wanted);
  let registered = false;
  for (const command of COMMANDS) {
    if (command.module === wanted) {
      if (!registered) register?.(program, io, done);
      registered = true;
    } else
      program
        .command(`${command.name}${command.args === "" ? "" : ` ${command.args}`}`)
        .description(command.summary);
  }
}

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
  await registerCommands(program, argv, io, done);

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
