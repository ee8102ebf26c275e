/** `serve` in this process for a test: started on a free port with its own env, stopped gracefully. */
import { runServe, type Serving } from "../../src/cli/commands/serve.js";
import type { CliIo } from "../../src/cli/io.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { cli } from "./cli.js";

export interface TestServe {
  readonly url: string;
  /** The built-in emulator (no D365_URL in the env). */
  readonly emulator: RunningEmulator;
  /** An admin key made before the start. */
  readonly key: string;
  /** What serve wrote to stderr so far. */
  stderr(): string;
  /** Stops serve; resolves with its exit code, or "hung" after 30 s. */
  stop(): Promise<number | "hung">;
}

export async function startServe(
  env: Record<string, string>,
  flags: { post?: boolean; watch?: string[]; watchContainer?: string[]; watchInterval?: string } = {},
): Promise<TestServe> {
  const key = JSON.parse((await cli(["keys", "create", "--scope", "admin", "--json"], { env })).stdout).key;
  let stderr = "";
  const io: CliIo = {
    stdout: { write: () => undefined, isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    env,
  };
  let stop: (value: unknown) => void = () => {};
  const stopped = new Promise((resolve) => {
    stop = resolve;
  });
  let serving: Serving | undefined;
  let finished: Promise<number> = Promise.resolve(-1);
  await new Promise<void>((resolve) => {
    finished = runServe({ port: "0", ...flags, post: flags.post ?? true }, io, stopped, (value) => {
      serving = value;
      resolve();
    });
  });
  const started = serving as Serving;
  return {
    url: started.url,
    emulator: started.emulator as RunningEmulator,
    key,
    stderr: () => stderr,
    stop: async () => {
      stop(undefined);
      return Promise.race([
        finished,
        new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 30_000).unref()),
      ]);
    },
  };
}
