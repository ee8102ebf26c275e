import { UsageError } from "../core/errors/bridge-error.js";
/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Standard input, for commands that read `-` (doctor --token -). */
  readonly stdin?: AsyncIterable<Buffer | string>;
}

/** Exit codes of every command: 0 success, 1 the work failed, 2 usage or configuration error. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Style {
  bold(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  green(text: string): string;
  dim(text: string): string;
}

/** Colours only on a terminal and never under NO_COLOR (https://no-color.org). */
export function styleFor(io: CliIo): Style {
  const on = Boolean(io.stdout.isTTY) && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === "");
  const wrap = (open: number, close: number) => (text: string) =>
    on ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    green: wrap(32, 39),
    dim: wrap(2, 22),
  };
}

/** A whole-number flag from 0 to `max`, or a usage error naming the flag. */
export function wholeNumber(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > max)
    throw new UsageError("USAGE", `${flag} must be a whole number from 0 to ${max}.`);
  return Number(value);
}

/** Resolves on the first SIGINT or SIGTERM: how a long-running command (serve, emulator, start) is stopped. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}
