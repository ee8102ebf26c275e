import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { inspectToken } from "../../auth/token-claims.js";
import type { TokenProvider } from "../../auth/token-provider.js";
import { connect, tokenProvider } from "../../config/connect.js";
import { UsageError } from "../../core/errors/bridge-error.js";
import type { Issue } from "../../core/errors/issue.js";
import type { Journal } from "../../core/journal.js";
import type { D365Client } from "../../d365/client.js";
import { createTarget } from "../../d365/targets/index.js";
import { preflight } from "../../delivery/preflight.js";
import { causeOf } from "../../doctor/causes.js";
import { type DoctorReport, runDoctor } from "../../doctor/doctor.js";
import { foreignTokenChecks, registrationCheck } from "../../doctor/token-check.js";
import { openJournalFile } from "../../ingest/source.js";
import { type CliIo, EXIT, styleFor } from "../io.js";
import { readOptionsFor, resolveEnvironment } from "../runtime.js";
import { summaryOf } from "./manifest.js";

export interface DoctorFlags {
  readonly json?: boolean;
  readonly writeProbe?: boolean;
  readonly file?: string;
  readonly profile?: string;
  readonly sheet?: string;
  /** A file holding a bearer token another client obtained, or "-" for standard input. */
  readonly token?: string;
}

function printDoctor(report: DoctorReport, io: CliIo): void {
  const style = styleFor(io);
  const paint = { pass: style.green, warn: style.yellow, fail: style.red, skipped: style.dim } as const;
  const width = Math.max(...report.checks.map((check) => check.title.length));
  for (const check of report.checks) {
    io.stdout.write(
      `${paint[check.status](check.status.toUpperCase().padEnd(7))} ${check.title.padEnd(width)}  ${style.dim(
        Object.entries(check.evidence)
          .map(([name, value]) => `${name}=${value}`)
          .join(" "),
      )}\n`,
    );
    for (const cause of [...(check.cause ? [check.cause] : []), ...(check.more ?? [])])
      io.stdout.write(
        `        ${style.bold(cause.code)}: ${cause.summary}\n        Fix: ${cause.fix}\n        See ${cause.docs}\n`,
      );
  }
  io.stdout.write(
    report.ok
      ? `${style.green("Nothing failed.")}\n`
      : `${style.red("Something failed: the first FAIL above is the cause to fix first.")}\n`,
  );
}

/** The token of --token: from a file or standard input, trimmed, "Bearer " taken off. Never echoed. */
async function readToken(source: string, io: CliIo): Promise<string> {
  let text = "";
  if (source === "-") {
    if (io.stdin === undefined)
      throw new UsageError("USAGE", "--token - reads standard input, which this run has none of.");
    for await (const chunk of io.stdin) text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
  } else {
    try {
      text = await readFile(source, "utf8");
    } catch {
      throw new UsageError("USAGE", `--token: cannot read the file ${source}.`);
    }
  }
  return text.trim().replace(/^bearer\s+/i, "");
}

/** Exit 0 when nothing fails, 1 when something fails, 2 when the configuration cannot be read. */
export async function runDoctorCommand(flags: DoctorFlags, io: CliIo): Promise<number> {
  const foreign = flags.token === undefined ? undefined : await readToken(flags.token, io);
  const { config, configured, emulator } = await resolveEnvironment(io);
  const environment = config.environment as NonNullable<typeof config.environment>;
  let tokens: TokenProvider | undefined;
  let client: D365Client | undefined;
  const lazyTokens = () => {
    tokens ??= tokenProvider(config, environment);
    return tokens;
  };
  const lazyClient = () => {
    client ??= connect(config, environment, {
      tokens: lazyTokens(),
      // The doctor reports throttling; it does not sit it out.
      tuning: {
        concurrency: 2,
        timeoutMs: 15_000,
        retry: { maxRetries: 1, baseDelayMs: 200, maxThrottleRetries: 1, maxRetryAfterMs: 5000 },
      },
    });
    return client;
  };
  const target = createTarget(config.target);
  try {
    if (foreign !== undefined) {
      const checks = foreignTokenChecks(foreign, {
        environmentUrl: environment.url,
        ...(config.auth.credential.tenantId === undefined
          ? {}
          : { tenantId: config.auth.credential.tenantId }),
        now: Date.now(),
      });
      checks.push(await registrationCheck(lazyClient(), inspectToken(foreign)?.appid));
      const report: DoctorReport = {
        ok: checks.every((check) => check.status !== "fail"),
        checks: checks.map(({ cause, ...check }) => ({
          ...check,
          ...(cause === undefined ? {} : { cause: causeOf(cause) }),
        })),
      };
      if (flags.json) io.stdout.write(`${JSON.stringify(report)}\n`);
      else printDoctor(report, io);
      return report.ok ? EXIT.ok : EXIT.failed;
    }
    let journals: Journal[] | undefined;
    let targetProblems: Issue[] | undefined;
    if (flags.file !== undefined) {
      journals = [];
      targetProblems = [];
      // The same compile as before storing: every journal the target cannot carry, located. Checked
      // against F&O's $metadata first (when it answers), so field lengths count too.
      await target.prepare(lazyClient()).catch(() => undefined);
      for await (const event of await openJournalFile(flags.file, readOptionsFor(config, flags))) {
        if (event.kind !== "journal" || event.read.journal === undefined) continue;
        journals.push(event.read.journal);
        const checked = preflight(event.read, target);
        if (checked.journal === undefined)
          targetProblems.push(...checked.issues.filter((found) => found.code.startsWith("TARGET_")));
      }
    }
    const report = await runDoctor({
      config,
      configured,
      tokens: lazyTokens,
      client: lazyClient,
      writeProbe: Boolean(flags.writeProbe),
      target,
      ...(journals === undefined ? {} : { journals }),
      ...(targetProblems === undefined ? {} : { targetProblems }),
    });
    if (flags.json) io.stdout.write(`${JSON.stringify(report)}\n`);
    else printDoctor(report, io);
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    client?.close();
    await emulator?.close();
  }
}

export function registerDoctor(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("doctor")
    .description(summaryOf("doctor"))
    .option("--json", "print one JSON document")
    .option("--write-probe", "create an empty journal header and delete it, to check write access")
    .option("--file <journals>", "also check the accounts, currencies and journal names this file uses")
    .option("--profile <name>", "read --file with this input profile (default: chosen by the header)")
    .option("--sheet <name>", "Excel: the sheet of --file to read (default: the first)")
    .option(
      "--token <file>",
      "explain why F&O would refuse a token another client obtained: read from the file, or standard input with - (never printed)",
    )
    .action(async (flags: DoctorFlags) => done(await runDoctorCommand(flags, io)));
}
