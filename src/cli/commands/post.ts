import { randomUUID } from "node:crypto";
import type { Command } from "commander";
import { ChunkWriter } from "../../delivery/enqueue.js";
import { preflightEvents } from "../../delivery/preflight.js";
import { addIssue, DEFAULT_MAX_ISSUES, emptyReport, type FileReport, tally } from "../../ingest/report.js";
import { openJournalFile } from "../../ingest/source.js";
import { isDelivered, STATES } from "../../outbox/states.js";
import type { OutboxStore, StoredJournal } from "../../outbox/store.js";
import { type CliIo, EXIT, styleFor } from "../io.js";
import { PostProgress } from "../progress.js";
import { openRuntime, readOptionsFor } from "../runtime.js";
import { summaryOf } from "./manifest.js";
import { printReport, reportJson } from "./validate.js";

export interface PostFlags {
  readonly post?: boolean;
  readonly json?: boolean;
  readonly table?: boolean;
  readonly profile?: string;
  readonly sheet?: string;
}

function journalRow(journal: StoredJournal) {
  return {
    key: journal.key,
    state: journal.state,
    journalBatchNumber: journal.journalBatchNumber,
    vouchers: (journal.vouchers ?? []).map((voucher) => voucher.postedVoucher),
    ...(journal.lastErrorCode === null ? {} : { errorCode: journal.lastErrorCode, error: journal.lastError }),
  };
}

/** A table a person can read: key, F&O number, vouchers, state (and why, when not delivered). */
export function printJournalTable(journals: readonly StoredJournal[], io: CliIo, header = true): void {
  const style = styleFor(io);
  const rows = journals.map((journal) => [
    journal.key,
    journal.journalBatchNumber ?? "-",
    (journal.vouchers ?? []).map((voucher) => voucher.postedVoucher).join(" ") || "-",
    journal.state,
  ]);
  const widths = [0, 1, 2].map((column) =>
    Math.max(
      ["key", "JournalBatchNumber", "vouchers"][column]?.length ?? 0,
      ...rows.map((row) => row[column]?.length ?? 0),
    ),
  );
  const line = (cells: string[]) =>
    cells.map((cell, index) => (index < 3 ? cell.padEnd(widths[index] ?? 0) : cell)).join("  ");
  if (header) io.stdout.write(`${style.bold(line(["key", "JournalBatchNumber", "vouchers", "state"]))}\n`);
  for (const [index, row] of rows.entries()) {
    const journal = journals[index] as StoredJournal;
    const paint = isDelivered(journal.state, journal.post)
      ? style.green
      : journal.state === "dead"
        ? style.red
        : style.yellow;
    io.stdout.write(`${line([...row.slice(0, 3), paint(row[3] as string)])}\n`);
    if (journal.lastError !== null && !isDelivered(journal.state, journal.post))
      io.stdout.write(`    ${style.dim(`${journal.lastErrorCode}: ${journal.lastError}`)}\n`);
  }
}

/** Above this many journals `post` prints a summary by state and the journals not delivered (`--table`: every row). */
export const TABLE_UP_TO = 40;
/** The journals not delivered that a summary names at most (the rest: `ledger-bridge status`). */
const UNDELIVERED_LISTED = 1000;

/**
 * Tells the delivery loop that a chunk landed, or that reading is over. A signal given while the
 * loop was busy is kept, so no chunk waits for the next one.
 */
class ChunkSignal {
  private signalled = false;
  private over = false;
  private wake: (() => void) | undefined;

  landed(): void {
    this.signalled = true;
    this.wake?.();
  }

  close(): void {
    this.over = true;
    this.wake?.();
  }

  /** Waits for a chunk; false once reading is over. */
  async next(): Promise<boolean> {
    if (!this.signalled && !this.over) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
    this.signalled = false;
    return !this.over;
  }
}

/**
 * validate → store in chunks → deliver while reading; exit 0 when every journal of the files is
 * delivered. Memory holds counts and the chunk being stored, never the run's journals: the run's id
 * names them in the store, whose one query tells how far they are.
 */
export async function runPost(files: string[], flags: PostFlags, io: CliIo): Promise<number> {
  const reports: FileReport[] = [];
  const mode = flags.json ? "off" : io.stderr.isTTY ? "terminal" : "plain";
  const progress = new PostProgress(io.stderr, mode, Boolean(flags.post));
  // SQLite on its own thread: reading and validating the next chunk overlaps the commit of the last.
  const runtime = await openRuntime(io, {
    onClientEvent: (event) => progress.client(event),
    threadedStore: true,
  });
  const run = randomUUID();
  try {
    // The target is checked against the environment first: nothing is stored for a target through
    // which delivery could not be exactly once, and the store-time compile knows its fields' lengths.
    await runtime.target.prepare(runtime.client);
    const engine = runtime.engine(
      (event) => progress.engine(event),
      (waitMs, count) => {
        if (!flags.json)
          io.stderr.write(
            `waiting ${Math.ceil(waitMs / 1000)} s for ${count} journal${count === 1 ? "" : "s"} due later or held by another worker\n`,
          );
      },
    );
    // SIGTERM/SIGINT: stop reading and claiming; the journals in flight are finished (or, if the
    // process is killed after all, their leases expire and the next run reconciles them).
    let stopping = false;
    const stop = () => {
      io.stderr.write("stopping: finishing the journals in flight…\n");
      stopping = true;
      engine.stop();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    const chunks = new ChunkSignal();
    const delivering = (async () => {
      while (await chunks.next()) await engine.runUntilIdle();
    })();
    let created = 0;
    let duplicates = 0;
    try {
      try {
        for (const file of files) {
          if (stopping) break;
          const report = emptyReport(file);
          reports.push(report);
          const writer = new ChunkWriter(runtime.store, {
            source: file,
            post: Boolean(flags.post),
            run,
            onStored: (count) => {
              progress.storedMore(count);
              chunks.landed();
            },
          });
          for await (const event of preflightEvents(
            await openJournalFile(file, readOptionsFor(runtime.config, flags)),
            runtime.target,
          )) {
            if (stopping) break;
            tally(report, event, DEFAULT_MAX_ISSUES);
            // Valid journals go on; the invalid ones are reported and can follow once fixed (keys make that safe).
            if (event.kind === "journal" && event.read.journal !== undefined)
              await writer.add(event.read.journal);
          }
          await writer.flush();
          for (const conflict of writer.conflicts) addIssue(report, conflict, DEFAULT_MAX_ISSUES);
          created += writer.created;
          duplicates += writer.duplicates;
        }
      } finally {
        chunks.close();
        await delivering;
      }
      progress.allStored();
      await engine.runUntilSettled({ run }, runtime.config.postWaitMs);
    } finally {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
    }
    progress.end();
    const outcome = await runtime.store.progress({ run });
    const total = Object.values(outcome.byState).reduce((sum, count) => sum + count, 0);
    const invalid = reports.some((report) => report.errorCount > 0);
    const delivered = outcome.delivered === total;
    const everyRow = Boolean(flags.table) || total <= TABLE_UP_TO;
    const shown = everyRow ? runJournals(runtime.store, run) : undelivered(runtime.store, run);
    if (flags.json) {
      const rows: ReturnType<typeof journalRow>[] = [];
      for await (const page of shown) rows.push(...page.map(journalRow));
      io.stdout.write(
        `${JSON.stringify({
          files: reports.map(reportJson),
          created,
          duplicates,
          total,
          states: outcome.byState,
          [everyRow ? "journals" : "undelivered"]: rows,
          delivered: delivered && !invalid,
        })}\n`,
      );
    } else {
      const style = styleFor(io);
      io.stdout.write(
        `${created} journal${created === 1 ? "" : "s"} queued${duplicates > 0 ? `, ${duplicates} already stored (nothing new is created for them)` : ""}.\n`,
      );
      for (const report of reports.filter((each) => each.errorCount > 0)) printReport(report, io, style);
      let header = true;
      let listed = 0;
      for await (const page of shown) {
        printJournalTable(page, io, header);
        header = false;
        listed += page.length;
      }
      if (!everyRow) {
        io.stdout.write(
          `${style.bold("By state")}: ${STATES.filter((state) => outcome.byState[state] !== undefined)
            .map((state) => `${state} ${outcome.byState[state]}`)
            .join(", ")}\n`,
        );
        const left = total - outcome.delivered - listed;
        if (left > 0)
          io.stdout.write(
            `${left} more not delivered: ledger-bridge status shows them by state (--table prints every journal).\n`,
          );
      }
      const summary = `${outcome.delivered} of ${total} journals delivered`;
      io.stdout.write(
        `${delivered && !invalid ? style.green(summary) : style.red(summary)}${invalid ? "; some input was invalid (see above)" : ""}.\n`,
      );
    }
    await runtime.store.forgetRun(run, Date.now());
    return delivered && !invalid ? EXIT.ok : EXIT.failed;
  } finally {
    await runtime.close();
  }
}

/** Every journal of the run, a page at a time in key order. */
async function* runJournals(store: OutboxStore, run: string): AsyncGenerator<StoredJournal[]> {
  let after: string | undefined;
  for (;;) {
    const page = await store.list({ run, limit: 1000, ...(after === undefined ? {} : { after }) });
    if (page.length > 0) yield page;
    if (page.length < 1000) return;
    after = page[page.length - 1]?.key;
  }
}

/** The run's journals not delivered (dead first), up to UNDELIVERED_LISTED. */
async function* undelivered(store: OutboxStore, run: string): AsyncGenerator<StoredJournal[]> {
  let left = UNDELIVERED_LISTED;
  for (const state of [
    "dead",
    "in_doubt",
    "retry_wait",
    "ready",
    "header_created",
    "lines_created",
    "cancelled",
  ] as const) {
    if (left === 0) return;
    const page = (await store.list({ run, state, limit: left })).filter(
      (journal) => !isDelivered(journal.state, journal.post),
    );
    left -= page.length;
    if (page.length > 0) yield page;
  }
}

export function registerPost(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("post")
    .description(summaryOf("post"))
    .argument("<files...>", "journal files (CSV, JSON, NDJSON)")
    .option("--post", "also post the journals (through the posting service)")
    .option("--profile <name>", "read table files with this input profile (default: chosen by the header)")
    .option("--sheet <name>", "Excel: the sheet to read (default: the first)")
    .option("--table", `print every journal (a summary above ${TABLE_UP_TO} journals)`)
    .option("--json", "print one JSON document")
    .action(async (files: string[], flags: PostFlags) => done(await runPost(files, flags, io)));
}
