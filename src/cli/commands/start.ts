import { join } from "node:path";
import type { Command } from "commander";
import { type CliIo, styleFor } from "../io.js";
import { PACKAGE_ROOT } from "../paths.js";
import { runValidate } from "./validate.js";

/** The bundled examples that `npm start` runs on. */
export const EXAMPLE_FILES = ["examples/journals.csv", "examples/journals.json"];

/** `npm start`: the main job on embedded defaults. For now it validates the bundled examples. */
export async function runStart(io: CliIo): Promise<number> {
  const style = styleFor(io);
  io.stdout.write(`${style.bold("ledger-bridge")}: validating the bundled example journals\n\n`);
  const code = await runValidate(
    EXAMPLE_FILES.map((file) => join(PACKAGE_ROOT, file)),
    {},
    io,
  );
  io.stdout.write(
    "\nNext: check your own files with `npx ledger-bridge validate <files...>` " +
      "(formats: docs/input-formats.md; every error code: docs/errors.md).\n",
  );
  return code;
}

export function registerStart(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("start")
    .description("run the main job on the bundled examples (what `npm start` does)")
    .action(async () => done(await runStart(io)));
}
