import type { Command } from "commander";
import type { Journal } from "../../core/journal.js";
import type { ClientEvent } from "../../d365/client.js";
import type { EngineEvent } from "../../delivery/engine.js";
import { enqueueJournals } from "../../delivery/enqueue.js";
import { preflightEvents } from "../../delivery/preflight.js";
import { DEFAULT_MAX_ISSUES, emptyReport, type FileReport, tally } from "../../ingest/report.js";
import { openJournalFile } from "../../ingest/source.js";
import { isDelivered } from "../../outbox/states.js";
import type { StoredJournal } from "../../outbox/store.js";
import { type CliIo, EXIT, styleFor } from "../io.js";
import { openRuntime, readOptionsFor } from "../runtime.js";
import { summaryOf } from "./manifest.js";
import { printReport, reportJson } from "./validate.js";

export interface PostFlags {
  readonly post?: boolean;
  readonly json?: boolean;
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
export function printJournalTable(journals: readonly StoredJournal[], io: CliIo): void {
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
  io.stdout.write(`${style.bold(line(["key", "JournalBatchNumber", "vouchers", "state"]))}\n`);
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

/** validate → enqueue → deliver; exit 0 when every journal of the files is delivered. */
export async function runPost(files: string[], flags: PostFlags, io: CliIo): Promise<number> {
  const reports: FileReport[] = [];
  const progress = new Progress(io, !flags.json && Boolean(io.stderr.isTTY));
  const runtime = await openRuntime(io, { onClientEvent: (event) => progress.client(event) });
  try {
    // The target is checked against the environment first: nothing is stored for a target through
    // which delivery could not be exactly once, and the store-time compile knows its fields' lengths.
    await runtime.target.prepare(runtime.client);
    const keys: string[] = [];
    let created = 0;
    let duplicates = 0;
    for (const file of files) {
      const report = emptyReport(file);
      const journals: Journal[] = [];
      for await (const event of preflightEvents(
        await openJournalFile(file, readOptionsFor(runtime.config, flags)),
        runtime.target,
      )) {
        tally(report, event, DEFAULT_MAX_ISSUES);
        if (event.kind === "journal" && event.read.journal !== undefined) journals.push(event.read.journal);
      }
      reports.push(report);
      // Valid journals go on; the invalid ones are reported and can follow once fixed (keys make that safe).
      const enqueued = await enqueueJournals(runtime.store, journals, {
        source: file,
        post: Boolean(flags.post),
      });
      created += enqueued.created.length;
      duplicates += enqueued.duplicates.length;
      keys.push(...journals.map((journal) => journal.key));
    }
    const style = styleFor(io);
    progress.start(keys.length);
    const engine = runtime.engine(
      (event) => progress.engine(event),
      (waitMs, count) => {
        if (!flags.json)
          io.stderr.write(
            `waiting ${Math.ceil(waitMs / 1000)} s for ${count} journal${count === 1 ? "" : "s"} due later or held by another worker\n`,
          );
      },
    );
    if (!flags.json) {
      io.stdout.write(
        `${created} journal${created === 1 ? "" : "s"} queued${duplicates > 0 ? `, ${duplicates} already stored (nothing new is created for them)` : ""}.\n`,
      );
    }
    // SIGTERM/SIGINT: stop claiming; the journals in flight are finished (or, if the process is killed
    // after all, their leases expire and the next run reconciles them).
    const stop = () => {
      io.stderr.write("stopping: finishing the journals in flight…\n");
      engine.stop();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    try {
      await engine.runUntilSettled(keys, runtime.config.postWaitMs);
    } finally {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
    }
    progress.end();
    const stored: StoredJournal[] = [];
    for (const key of keys) {
      const journal = await runtime.store.get(key);
      if (journal !== undefined) stored.push(journal);
    }
    const invalid = reports.some((report) => report.errorCount > 0);
    const delivered = stored.every((journal) => isDelivered(journal.state, journal.post));
    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({ files: reports.map(reportJson), created, duplicates, journals: stored.map(journalRow), delivered: delivered && !invalid })}\n`,
      );
    } else {
      for (const report of reports.filter((each) => each.errorCount > 0)) printReport(report, io, style);
      if (stored.length > 0) printJournalTable(stored, io);
      const summary = `${stored.filter((journal) => isDelivered(journal.state, journal.post)).length} of ${stored.length} journals delivered`;
      io.stdout.write(
        `${delivered && !invalid ? style.green(summary) : style.red(summary)}${invalid ? "; some input was invalid (see above)" : ""}.\n`,
      );
    }
    return delivered && !invalid ? EXIT.ok : EXIT.failed;
  } finally {
    await runtime.close();
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
    .option("--json", "print one JSON document")
    .action(async (files: string[], flags: PostFlags) => done(await runPost(files, flags, io)));
}

/** One line on a terminal: journals and lines delivered, the rate, and F&O's throttling when it waits. */
class Progress {
  private total = 0;
  private journals = 0;
  private lines = 0;
  private started = 0;
  private throttle = "";

  constructor(
    private readonly io: CliIo,
    private readonly enabled: boolean,
  ) {}

  start(total: number): void {
    this.total = total;
    this.started = Date.now();
  }

  engine(event: EngineEvent): void {
    if (event.type !== "settled" || (event.state !== "lines_created" && event.state !== "posted")) return;
    if (event.state === "lines_created") {
      this.journals++;
      this.lines += event.lines;
    }
    this.draw();
  }

  client(event: ClientEvent): void {
    if (event.type !== "throttled") return;
    this.throttle = ` · waiting ${Math.ceil(event.waitMs / 1000)} s, throttled by F&O`;
    this.draw();
  }

  private draw(): void {
    if (!this.enabled) return;
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    this.io.stderr.write(
      `\r\u001b[K  ${this.journals}/${this.total} journals delivered (${this.lines} lines) · ${(this.journals / seconds).toFixed(1)} journals/s${this.throttle}`,
    );
  }

  end(): void {
    if (this.enabled) this.io.stderr.write("\r\u001b[K");
  }
}
