import { join } from "node:path";
import type { Command } from "commander";
import { BridgeError } from "../../core/errors/bridge-error.js";
import { type CliIo, styleFor } from "../io.js";
import { PACKAGE_ROOT } from "../paths.js";
import { runPost } from "./post.js";

/** The bundled example that `npm start` delivers. */
export const EXAMPLE_FILES = ["examples/journals.csv", "examples/journals.json"];

/**
 * `npm start`: the main job on embedded defaults — validate the bundled examples, deliver them to the
 * built-in emulator through the SQLite outbox, post them and print the vouchers. Running it again
 * creates nothing new: the journals' keys are already delivered.
 */
export async function runStart(io: CliIo): Promise<number> {
  if (io.env.D365_URL !== undefined && io.env.D365_URL !== "") {
    throw new BridgeError(
      "CONFIG_INVALID",
      "D365_URL is set: `start` delivers the bundled example journals and will not send them to a real environment.",
      {},
    );
  }
  const style = styleFor(io);
  io.stdout.write(`${style.bold("ledger-bridge")}: delivering and posting the bundled example journals\n\n`);
  const code = await runPost(
    EXAMPLE_FILES.map((file) => join(PACKAGE_ROOT, file)),
    { post: true },
    io,
  );
  io.stdout.write(
    "\nNext: `npx ledger-bridge validate <files...>` to check your own files, `npx ledger-bridge post <files...> --post` to deliver them,\n" +
      "`npx ledger-bridge status <key>` for a journal's trail, `npx ledger-bridge reconcile` to compare the outbox with F&O,\n" +
      "`npx ledger-bridge serve` for the HTTP API (docs/http-api.md).\n",
  );
  return code;
}

export function registerStart(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("start")
    .description(
      "the main job on embedded defaults: deliver and post the bundled examples (what `npm start` does)",
    )
    .action(async () => done(await runStart(io)));
}
