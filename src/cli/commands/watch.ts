/**
 * `ledger-bridge watch DIR`: RIS-style pickup from a folder (src/pickup) with a delivery worker in
 * the same process. `--once` takes what waits, delivers it and exits; otherwise it looks every
 * `--interval` seconds until stopped.
 */

import type { Command } from "commander";
import { BridgeError, UsageError } from "../../core/errors/bridge-error.js";
import type { PickupReport } from "../../pickup/inbox.js";
import { runPickup } from "../../pickup/loop.js";
import { openInbox } from "../../pickup/open.js";
import { type PickupOptions, takeWaiting } from "../../pickup/pickup.js";
import { type CliIo, EXIT, styleFor, untilSignal } from "../io.js";
import { openRuntime, readOptionsFor } from "../runtime.js";
import { summaryOf } from "./manifest.js";

export interface WatchFlags {
  /** An Azure Blob container to take files from instead of a folder. */
  readonly container?: string;
  readonly once?: boolean;
  readonly interval?: string;
  readonly post?: boolean;
  readonly profile?: string;
  readonly sheet?: string;
}

function describe(report: PickupReport): string {
  switch (report.status) {
    case "processed":
      return `${report.file}: ${report.created.length} journal(s) stored${report.alreadyStored.length === 0 ? "" : `, ${report.alreadyStored.length} already stored`}`;
    case "duplicate":
      return `${report.file}: the same content as ${report.duplicateOf}, taken before; nothing stored`;
    case "failed":
      return `${report.file}: not stored, ${report.errors.length} problem(s) — see its report in error/`;
  }
}

export async function runWatch(
  dir: string | undefined,
  flags: WatchFlags,
  io: CliIo,
  stop: Promise<unknown>,
): Promise<number> {
  if ((dir === undefined) === (flags.container === undefined))
    throw new UsageError("USAGE", "Give a pickup folder or --container NAME (one of the two).");
  const seconds = flags.interval === undefined ? 5 : Number(flags.interval);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600)
    throw new BridgeError("CONFIG_INVALID", "--interval must be a number of seconds from 0.1 to 3600.");
  const runtime = await openRuntime(io);
  const style = styleFor(io);
  try {
    await runtime.target.prepare(runtime.client);
    const inbox = await openInbox(
      flags.container === undefined ? { folder: dir as string } : { container: flags.container },
      io.env,
    );
    const options: PickupOptions = {
      store: runtime.store,
      target: runtime.target,
      read: readOptionsFor(runtime.config, flags),
      post: Boolean(flags.post),
    };
    const print = (report: PickupReport) =>
      io.stdout.write(
        `${report.status === "failed" ? style.red("✗") : style.green("✓")} ${describe(report)}\n`,
      );
    const engine = runtime.engine();
    if (flags.once) {
      const reports = await takeWaiting(inbox, options);
      for (const report of reports) print(report);
      const keys = reports.flatMap((report) => [...report.created, ...report.alreadyStored]);
      const unsettled = keys.length === 0 ? 0 : await engine.runUntilSettled(keys, runtime.config.postWaitMs);
      const failed = reports.filter((report) => report.status === "failed").length;
      io.stdout.write(
        `${reports.length} file(s): ${reports.length - failed} stored, ${failed} failed; ${keys.length - unsettled} of ${keys.length} journal(s) settled\n`,
      );
      return failed === 0 && unsettled === 0 ? EXIT.ok : EXIT.failed;
    }
    io.stdout.write(
      `${style.bold("ledger-bridge watch")} takes files from ${inbox.description} (inbound/) every ${seconds} s (processed/, error/ beside it). Stop it with Ctrl+C.\n`,
    );
    const delivering = engine.run();
    await runPickup(
      inbox,
      {
        ...options,
        intervalMs: seconds * 1000,
        onReport: print,
        logger: runtime.logger.child({ component: "pickup" }),
      },
      stop,
    );
    io.stderr.write("stopping: finishing the journals in flight…\n");
    engine.stop();
    await delivering;
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}

export function registerWatch(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("watch")
    .description(summaryOf("watch"))
    .argument("[dir]", "the pickup folder (inbound/, processing/, processed/, error/ are made in it)")
    .option(
      "--container <name>",
      "take files from this Azure Blob container instead (AZURE_STORAGE_CONNECTION_STRING)",
    )
    .option("--once", "take what waits now, deliver it, and exit")
    .option("--interval <seconds>", "how often to look for new files", "5")
    .option("--post", "also post the journals (through the posting service)")
    .option("--profile <name>", "read table files with this input profile (default: chosen by the header)")
    .option("--sheet <name>", "Excel: the sheet to read (default: the first)")
    .action(async (dir: string | undefined, flags: WatchFlags) => {
      done(await runWatch(dir, flags, io, untilSignal()));
    });
}
