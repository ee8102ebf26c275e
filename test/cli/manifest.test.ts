/**
 * The command manifest (what `--help` lists without loading any command) against the commands as
 * their modules define them: the same names, arguments and summaries, in the same order.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Command } from "commander";
import { COMMANDS } from "../../src/cli/commands/manifest.js";
import type { CliIo } from "../../src/cli/io.js";
import { cli } from "../helpers/cli.js";

const io: CliIo = { stdout: { write: () => undefined }, stderr: { write: () => undefined }, env: {} };

describe("the command manifest", () => {
  it("says what each command's module says: name, arguments, summary", async () => {
    const program = new Command();
    const modules = [
      (await import("../../src/cli/commands/validate.js")).registerValidate,
      (await import("../../src/cli/commands/start.js")).registerStart,
      (await import("../../src/cli/commands/emulator.js")).registerEmulator,
      (await import("../../src/cli/commands/login.js")).registerLogin,
      (await import("../../src/cli/commands/post.js")).registerPost,
      (await import("../../src/cli/commands/outbox.js")).registerOutboxCommands,
      (await import("../../src/cli/commands/doctor.js")).registerDoctor,
      (await import("../../src/cli/commands/serve.js")).registerServe,
      (await import("../../src/cli/commands/keys.js")).registerKeys,
      (await import("../../src/cli/commands/watch.js")).registerWatch,
    ];
    for (const register of modules) register(program, io, () => undefined);
    const real = program.commands.map((command) => ({
      name: command.name(),
      args: command.registeredArguments
        .map((argument) => {
          const name = `${argument.name()}${argument.variadic ? "..." : ""}`;
          return argument.required ? `<${name}>` : `[${name}]`;
        })
        .join(" "),
      summary: command.description(),
    }));
    assert.deepEqual(
      real,
      COMMANDS.map(({ name, args, summary }) => ({ name, args, summary })),
    );
  });

  it("--help lists every command with its summary; a command's own --help is its module's", async () => {
    const help = await cli(["--help"]);
    assert.equal(help.code, 0);
    for (const command of COMMANDS)
      assert.match(help.stdout, new RegExp(`\\b${command.name}\\b`), command.name);
    const validate = await cli(["validate", "--help"]);
    assert.match(validate.stdout, /--profile <name>/);
    const viaHelp = await cli(["help", "watch"]);
    assert.match(viaHelp.stdout, /--container <name>/);
  });
});
