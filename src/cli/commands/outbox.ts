/**
 * `status`, `redrive`, `cancel`, `reconcile` and `store check`: looking at the outbox, putting dead
 * journals back, checking it against F&O and for damage.
 */
import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { UsageError } from "../../core/errors/bridge-error.js";
import { codeSpec } from "../../core/errors/codes.js";
import { cleanup } from "../../delivery/cleanup.js";
import { reconcileStore } from "../../delivery/reconcile.js";
import { checkStore } from "../../outbox/check.js";
import { type JournalState, REDRIVABLE, STATES } from "../../outbox/states.js";
import type { JournalSelection, StoredJournal, StoredPause } from "../../outbox/store.js";
import { type CliIo, EXIT, styleFor } from "../io.js";
import { openRuntime } from "../runtime.js";
import { summaryOf } from "./manifest.js";
import { printJournalTable } from "./post.js";

export async function runStatus(
  key: string | undefined,
  flags: { json?: boolean },
  io: CliIo,
): Promise<number> {
  const runtime = await openRuntime(io);
  try {
    if (key !== undefined) {
      const journal = await runtime.store.get(key);
      if (journal === undefined) {
        io.stderr.write(`No journal ${key} in the outbox.\n`);
        return EXIT.failed;
      }
      const events = await runtime.store.events(key);
      if (flags.json) {
        const { payload: _payload, ...rest } = journal;
        io.stdout.write(`${JSON.stringify({ journal: rest, events })}\n`);
        return EXIT.ok;
      }
      printJournalTable([journal], io);
      io.stdout.write("\nTrail:\n");
      for (const event of events) {
        const detail = event.detail.claimed
          ? "claimed"
          : Object.entries(event.detail)
              .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
              .join(" ");
        io.stdout.write(
          `  ${new Date(event.at).toISOString()}  attempt ${event.attempt}  ${event.fromState ?? "-"} → ${event.toState}  ${event.worker ?? ""} ${detail}\n`,
        );
      }
      return EXIT.ok;
    }
    const counts = await runtime.store.countByState();
    const pauses = await runtime.store.pauses();
    const open: StoredJournal[] = [];
    for (const state of ["dead", "in_doubt", "retry_wait", "ready", "header_created"] as const)
      open.push(...(await runtime.store.list({ state, limit: 50 })));
    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({ counts, pauses, open: open.map(({ payload: _payload, ...rest }) => rest) })}\n`,
      );
      return EXIT.ok;
    }
    const style = styleFor(io);
    io.stdout.write(
      `${style.bold("Journals by state")}: ${STATES.map((state) => `${state} ${counts[state] ?? 0}`).join(", ")}\n`,
    );
    for (const pause of pauses) io.stdout.write(`${style.red(pauseLine(pause, Date.now()))}\n`);
    if (open.length > 0) {
      io.stdout.write("\n");
      printJournalTable(open, io);
    }
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}

/** A worker's pause as `status` tells it; one not renewed long after its probe was due is old news. */
function pauseLine(pause: StoredPause, now: number): string {
  const at = (ms: number) => new Date(ms).toISOString();
  const stale = now > pause.nextProbeAt + STALE_PAUSE_MS;
  return `Delivery PAUSED (worker ${pause.worker}): F&O refuses the environment, ${pause.code}, since ${at(pause.since)}; ${
    stale
      ? `last told ${at(pause.updatedAt)} — that worker may be gone`
      : `next probe ${at(pause.nextProbeAt)}; journals wait where they are and delivery resumes by itself`
  }. ${pause.message}`;
}

/** A pause record whose probe is this much overdue was left by a worker that stopped. */
const STALE_PAUSE_MS = 10 * 60_000;

export interface RedriveFlags {
  readonly allDead?: boolean;
  readonly deliver?: boolean;
  readonly state?: string;
  readonly errorCode?: string;
  readonly company?: string;
  readonly since?: string;
  readonly before?: string;
  readonly yes?: boolean;
}

/** A time flag as ms since the epoch (ISO 8601, as `status --json` prints them). */
function timeFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new UsageError(
      "USAGE",
      `${name} takes an ISO 8601 time such as 2026-11-30T12:00:00Z; it is '${value}'.`,
    );
  return at;
}

/** The selection the flags describe, or undefined when journals are named instead. */
function redriveSelection(keys: readonly string[], flags: RedriveFlags): JournalSelection | undefined {
  const filtered =
    flags.allDead ||
    [flags.state, flags.errorCode, flags.company, flags.since, flags.before].some(
      (value) => value !== undefined,
    );
  if (!filtered) {
    if (keys.length === 0)
      throw new UsageError(
        "USAGE",
        "Name the journals to redrive, or select them: --all-dead, --state, --error-code, --company, --since, --before.",
      );
    return undefined;
  }
  if (keys.length > 0) throw new UsageError("USAGE", "Name journals or select them by flags, not both.");
  const state = (flags.state ?? "dead") as JournalState;
  if (!REDRIVABLE.includes(state))
    throw new UsageError("USAGE", `--state takes ${REDRIVABLE.join(", ")}; it is '${flags.state}'.`);
  const since = timeFlag("--since", flags.since);
  const before = timeFlag("--before", flags.before);
  return {
    state,
    ...(flags.errorCode === undefined ? {} : { errorCode: flags.errorCode }),
    ...(flags.company === undefined ? {} : { company: flags.company.toLowerCase() }),
    ...(since === undefined ? {} : { updatedSince: since }),
    ...(before === undefined ? {} : { updatedBefore: before }),
  };
}

/**
 * `redrive KEY…` puts named dead journals back; `redrive --state … --error-code …` selects them: it
 * shows how many match, and redrives them only with --yes.
 */
export async function runRedrive(keys: string[], flags: RedriveFlags, io: CliIo): Promise<number> {
  const selection = redriveSelection(keys, flags);
  const runtime = await openRuntime(io);
  try {
    if (selection !== undefined && !flags.yes) {
      const count = await runtime.store.count(selection);
      io.stdout.write(
        `${count} ${selection.state} journal${count === 1 ? "" : "s"} match. Run again with --yes to redrive ${count === 1 ? "it" : "them"}.\n`,
      );
      return EXIT.ok;
    }
    const moved = await runtime.store.redrive(
      selection ?? keys,
      `cli:${io.env.USER ?? "unknown"}`,
      Date.now(),
    );
    const what = selection?.state ?? "dead";
    io.stdout.write(
      `${moved} ${what} journal${moved === 1 ? "" : "s"} ${what === "dead" ? "put back for delivery" : "due now"}.\n`,
    );
    if (flags.deliver !== false && moved > 0) {
      await runtime.engine().runUntilIdle();
      const journals = (await Promise.all(keys.map((key) => runtime.store.get(key)))).filter(
        (journal): journal is StoredJournal => journal !== undefined,
      );
      if (journals.length > 0) printJournalTable(journals, io);
    }
    return EXIT.ok;
  } finally {
    await runtime.close();
  }
}

/** `cancel KEY…`: journals that should not go; what they left in F&O is listed by `reconcile`. */
export async function runCancel(keys: string[], flags: { json?: boolean }, io: CliIo): Promise<number> {
  if (keys.length === 0) throw new UsageError("USAGE", "Name the journals to cancel.");
  const runtime = await openRuntime(io);
  try {
    const result = await runtime.store.cancel(keys, `cli:${io.env.USER ?? "unknown"}`, Date.now());
    if (flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      io.stdout.write(
        `${result.cancelled.length} journal${result.cancelled.length === 1 ? "" : "s"} cancelled.\n`,
      );
      const why = {
        unknown: "no such journal",
        delivered: "already delivered",
        "in-flight": "a worker is delivering it now; try again in a moment",
      };
      for (const refused of result.refused)
        io.stdout.write(
          `  ${refused.key}: not cancelled, ${why[refused.reason]}${refused.state ? ` (${refused.state})` : ""}\n`,
        );
    }
    return result.refused.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await runtime.close();
  }
}

export async function runReconcile(flags: { json?: boolean }, io: CliIo): Promise<number> {
  const runtime = await openRuntime(io);
  try {
    const report = await reconcileStore(runtime.store, runtime.client, runtime.target);
    if (flags.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      const style = styleFor(io);
      io.stdout.write(
        `${report.checked} journals checked, ${report.matched} match F&O, ${report.mismatches.length} mismatch${report.mismatches.length === 1 ? "" : "es"}.\n`,
      );
      for (const mismatch of report.mismatches)
        io.stdout.write(`  ${style.red(mismatch.key)}: ${mismatch.problem}\n`);
    }
    return report.mismatches.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await runtime.close();
  }
}

/** `store check`: the full integrity check (the store is not opened for use: a damaged one is reported, not refused). */
export async function runStoreCheck(flags: { json?: boolean }, io: CliIo): Promise<number> {
  const config = loadConfig(io.env);
  const report = await checkStore(config.store);
  if (flags.json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    const style = styleFor(io);
    const where = config.store.replace(/\/\/[^@/]*@/, "//***@");
    io.stdout.write(`${style.bold("Store")} ${where} (${report.engine})\n`);
    for (const check of report.checks)
      io.stdout.write(
        `  ${check.ok ? style.green("PASS") : style.red("FAIL")} ${check.name} (${check.ms} ms): ${check.detail}\n`,
      );
    const code = report.engine === "sqlite" ? "OUTBOX_CORRUPT" : "OUTBOX_UNAVAILABLE";
    if (!report.ok) io.stdout.write(`${code}: ${codeSpec(code).fix}\n`);
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

/** `cleanup`: what dead and cancelled journals left in F&O, listed; deleted (unposted only) with --yes. */
export async function runCleanup(flags: { yes?: boolean; json?: boolean }, io: CliIo): Promise<number> {
  const runtime = await openRuntime(io);
  try {
    const report = await cleanup(runtime.store, runtime.client, runtime.target, {
      delete: flags.yes === true,
      actor: `cli:${io.env.USER ?? "unknown"}`,
      now: Date.now,
    });
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(report)}\n`);
      return report.failed.length === 0 ? EXIT.ok : EXIT.failed;
    }
    const style = styleFor(io);
    const unposted = report.leftovers.filter((leftover) => !leftover.posted);
    if (report.leftovers.length === 0) {
      io.stdout.write("Nothing to clean up: no dead or cancelled journal left a journal in F&O.\n");
      return EXIT.ok;
    }
    io.stdout.write(
      `${report.leftovers.length} journal${report.leftovers.length === 1 ? "" : "s"} in F&O belong to dead or cancelled journals:\n`,
    );
    for (const leftover of report.leftovers)
      io.stdout.write(
        `  ${leftover.key} (${leftover.state})  ${leftover.company} ${leftover.batchNumber}  ${leftover.lines} line${leftover.lines === 1 ? "" : "s"}  ${
          leftover.posted
            ? style.red("posted: never deleted; reverse it in F&O if it should not stand")
            : report.deleted.includes(leftover.batchNumber)
              ? style.green("deleted")
              : "unposted"
        }\n`,
      );
    for (const failure of report.failed)
      io.stdout.write(`  ${style.red(`${failure.batchNumber} not deleted`)}: ${failure.error}\n`);
    if (!flags.yes && unposted.length > 0)
      io.stdout.write(
        `Run again with --yes to delete the ${unposted.length} unposted one${unposted.length === 1 ? "" : "s"} (with their lines).\n`,
      );
    return report.failed.length === 0 ? EXIT.ok : EXIT.failed;
  } finally {
    await runtime.close();
  }
}

export function registerOutboxCommands(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("status")
    .description(summaryOf("status"))
    .argument("[key]", "a journal key")
    .option("--json", "print one JSON document")
    .action(async (key: string | undefined, flags: { json?: boolean }) =>
      done(await runStatus(key, flags, io)),
    );
  program
    .command("redrive")
    .description(summaryOf("redrive"))
    .argument("[keys...]", "journal keys")
    .option("--all-dead", "select every dead journal")
    .option("--state <state>", `select journals in this state: ${REDRIVABLE.join(", ")} (default dead)`)
    .option("--error-code <code>", "select journals whose last error has this code, e.g. D365_BUSINESS_RULE")
    .option("--company <id>", "select journals of this company")
    .option("--since <time>", "select journals last changed at or after this ISO 8601 time")
    .option("--before <time>", "select journals last changed before this ISO 8601 time")
    .option("--yes", "redrive the selection (without it: only how many match)")
    .option("--no-deliver", "only put them back; deliver later with post or serve")
    .action(async (keys: string[], flags: RedriveFlags) => done(await runRedrive(keys, flags, io)));
  program
    .command("cancel")
    .description(summaryOf("cancel"))
    .argument("<keys...>", "journal keys")
    .option("--json", "print one JSON document")
    .action(async (keys: string[], flags: { json?: boolean }) => done(await runCancel(keys, flags, io)));
  program
    .command("cleanup")
    .description(summaryOf("cleanup"))
    .option("--yes", "delete the unposted ones (posted ones are never touched)")
    .option("--json", "print one JSON document")
    .action(async (flags: { yes?: boolean; json?: boolean }) => done(await runCleanup(flags, io)));
  program
    .command("store")
    .description(summaryOf("store"))
    .command("check")
    .description("check the store for damage: every page and SQLite's quick_check (exit 1 when damaged)")
    .option("--json", "print one JSON document")
    .action(async (flags: { json?: boolean }) => done(await runStoreCheck(flags, io)));
  program
    .command("reconcile")
    .description(summaryOf("reconcile"))
    .option("--json", "print one JSON document")
    .action(async (flags: { json?: boolean }) => done(await runReconcile(flags, io)));
}
