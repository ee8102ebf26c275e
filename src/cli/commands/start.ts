import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Command } from "commander";
import { BridgeError } from "../../core/errors/bridge-error.js";
import { type CliIo, EXIT, styleFor, untilSignal } from "../io.js";
import { PACKAGE_ROOT } from "../paths.js";
import { withApiStore } from "./keys.js";
import { summaryOf } from "./manifest.js";
import { runServe } from "./serve.js";

/** The bundled examples that `npm start` submits. */
export const EXAMPLE_FILES = ["examples/journals.csv", "examples/journals.json"];

/** Keys `start` makes carry this label; each run revokes the previous run's. */
const START_KEY_LABEL = "npm start";
const CONTENT_TYPES: Record<string, string> = { csv: "text/csv", json: "application/json" };
const DELIVERY_WAIT_MS = 120_000;

export interface StartFlags {
  readonly port?: string;
  /** Stop once the examples are delivered (scripts and tests) instead of serving until Ctrl+C. */
  readonly once?: boolean;
}

interface JournalView {
  readonly key: string;
  readonly state: string;
  readonly post: boolean;
  readonly journalBatchNumber: string | null;
  readonly vouchers: { postedVoucher: string }[] | null;
  readonly error: { code: string } | null;
}

/** The preferred port when it is free, else any free one: a second `npm start` must not fail. */
function freePort(preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(0));
    probe.listen(preferred, "127.0.0.1", () => probe.close(() => resolve(preferred)));
  });
}

/**
 * `npm start`: the service on embedded defaults — SQLite outbox, built-in emulator, delivery worker —
 * with the bundled examples submitted through the HTTP API like any client would, then the dashboard
 * URL, an API key made for this run and a `curl` line to paste. Runs until Ctrl+C (or, with --once,
 * until the examples are delivered).
 */
export async function runStart(flags: StartFlags, io: CliIo, stop: Promise<unknown>): Promise<number> {
  if (io.env.D365_URL !== undefined && io.env.D365_URL !== "") {
    throw new BridgeError(
      "CONFIG_INVALID",
      "D365_URL is set: `start` submits the bundled example journals and will not send them to a real environment; use `ledger-bridge serve`.",
      {},
    );
  }
  const style = styleFor(io);
  const key = await withApiStore(io, async (keys) => {
    const now = Date.now();
    for (const old of await keys.listKeys())
      if (old.label === START_KEY_LABEL && old.revokedAt === null) await keys.revokeKey(old.id, now);
    return (await keys.createKey("admin", null, START_KEY_LABEL, now)).key;
  });
  const port = flags.port ?? String(await freePort(8080));
  io.stdout.write(
    `${style.bold("ledger-bridge")}: the service on embedded defaults (SQLite outbox, built-in F&O emulator), with the bundled examples\n\n`,
  );
  let settle: (code: number) => void = () => {};
  const examplesDone = new Promise<number>((resolve) => {
    settle = resolve;
  });
  let outcome = EXIT.ok as number;
  const served = await runServe(
    { port },
    io,
    flags.once ? Promise.race([stop, examplesDone]) : stop,
    (serving) => {
      submitExamples(serving.url, key, io)
        .then((delivered) => {
          outcome = delivered ? EXIT.ok : EXIT.failed;
          io.stdout.write(
            `\n${style.bold("Dashboard")}  ${serving.url}/   (API docs: ${serving.url}/docs)\n` +
              `${style.bold("API key")}    ${key}\n` +
              `           admin scope, made for this run (the previous run's is revoked); sign in to the dashboard with it.\n` +
              `${style.bold("Try the API")} from another terminal (a second run says the journal is a duplicate):\n\n` +
              `  curl -s -X POST ${serving.url}/v1/journals -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\\n` +
              `    -d '{"key":"curl-1","company":"usmf","journalName":"GenJrn","lines":[{"transDate":"2026-11-30","account":"601100","debit":"10.00","currency":"USD"},{"transDate":"2026-11-30","account":"110110","credit":"10.00","currency":"USD"}]}'\n\n` +
              (flags.once ? "" : "Stop with Ctrl+C.\n"),
          );
          settle(outcome);
        })
        .catch((error: unknown) => {
          io.stderr.write(`error: submitting the examples failed: ${String(error)}\n`);
          outcome = EXIT.failed;
          settle(outcome);
        });
    },
  );
  return served === EXIT.ok ? outcome : served;
}

/** Submits the examples through the API and waits until each is delivered or dead; prints a table. */
async function submitExamples(url: string, key: string, io: CliIo): Promise<boolean> {
  const headers = { authorization: `Bearer ${key}` };
  const keys: string[] = [];
  for (const file of EXAMPLE_FILES) {
    const name = file.split("/").pop() as string;
    const answer = await fetch(`${url}/v1/journals/files?name=${name}`, {
      method: "POST",
      headers: { ...headers, "content-type": CONTENT_TYPES[name.split(".").pop() ?? ""] ?? "text/csv" },
      body: readFileSync(join(PACKAGE_ROOT, file)),
    });
    const body = (await answer.json()) as {
      accepted?: { key: string; duplicate: boolean }[];
      error?: { code: string; message: string };
    };
    if (answer.status !== 202 || body.accepted === undefined)
      throw new Error(`${file}: ${answer.status} ${body.error?.code ?? ""} ${body.error?.message ?? ""}`);
    const fresh = body.accepted.filter((journal) => !journal.duplicate).length;
    io.stdout.write(
      `Submitted ${file} to POST /v1/journals/files: ${body.accepted.length} journals accepted (${fresh} new, ${body.accepted.length - fresh} already stored: nothing new is created for them).\n`,
    );
    keys.push(...body.accepted.map((journal) => journal.key));
  }
  const deadline = Date.now() + DELIVERY_WAIT_MS;
  let views: JournalView[] = [];
  for (;;) {
    views = await Promise.all(
      keys.map(async (journalKey) => {
        const answer = await fetch(`${url}/v1/journals/${encodeURIComponent(journalKey)}`, { headers });
        return ((await answer.json()) as { journal: JournalView }).journal;
      }),
    );
    const open = views.filter(
      (view) =>
        view.state !== "dead" && view.state !== "posted" && !(view.state === "lines_created" && !view.post),
    );
    if (open.length === 0 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const rows = views.map((view) => [
    view.key,
    view.journalBatchNumber ?? "-",
    (view.vouchers ?? []).map((voucher) => voucher.postedVoucher).join(", ") || "-",
    `${view.state}${view.error ? ` (${view.error.code})` : ""}`,
  ]);
  const table = [["KEY", "JOURNAL BATCH", "VOUCHERS", "STATE"], ...rows];
  const widths = [0, 1, 2].map((column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
  io.stdout.write("\n");
  for (const row of table)
    io.stdout.write(
      `${row.map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell)).join("  ")}\n`,
    );
  const posted = views.filter((view) => view.state === "posted").length;
  io.stdout.write(`${posted} of ${views.length} journals posted.\n`);
  return posted === views.length;
}

export function registerStart(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("start")
    .description(summaryOf("start"))
    .option("--port <n>", "TCP port (default 8080, or any free one when 8080 is taken)")
    .option("--once", "stop once the examples are delivered instead of serving until Ctrl+C")
    .action(async (flags: StartFlags) => {
      done(await runStart(flags, io, untilSignal()));
    });
}
