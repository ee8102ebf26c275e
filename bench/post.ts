/**
 * bench:post — `post` at scale: generates N balanced journals of 2 lines (default 100,000) and, in
 * interleaved runs, measures (a) storing: read, validate and store in chunks into SQLite, journals/s
 * and peak RSS; (b) the whole `post` command into an emulator process (no latency model: ledger-
 * bridge's own cost), wall time, journals/s and the peak RSS of the post process.
 * Goals (issue 17): peak RSS < 300 MB at 100,000 and 1,000,000 journals; storing >= 20,000 journals/s.
 * Usage: npm run bench:post [-- --journals N --runs K --store-only]. Builds first (measures dist/).
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync, mkdtempSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectionEnv, startEmulatorProcess } from "./emulator-process.js";

function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}
const JOURNALS = arg("--journals", 100_000);
const RUNS = arg("--runs", 3);
const STORE_ONLY = process.argv.includes("--store-only");
const dir = join(import.meta.dirname ?? ".", "out");
const file = join(dir, `post-${JOURNALS}.csv`);

async function generate(): Promise<void> {
  if (existsSync(file)) return;
  await mkdir(dir, { recursive: true });
  const out = createWriteStream(file);
  out.write(
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode\n",
  );
  let buffer = "";
  for (let i = 0; i < JOURNALS; i++) {
    const cents = String(100 + (i % 9_000_000)).padStart(3, "0");
    const amount = `${cents.slice(0, -2)}.${cents.slice(-2)}`;
    buffer += `post-${i},usmf,GenJrn,V1,2026-11-30,601100,${amount},,USD\npost-${i},usmf,GenJrn,V1,2026-11-30,110110,,${amount},USD\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await once(out, "finish");
}

interface Measured {
  seconds: number;
  journals: number;
  peakRssBytes: number;
  states?: Record<string, number>;
}

function measure(args: string[], env: NodeJS.ProcessEnv = process.env): Measured {
  const output = execFileSync(
    process.execPath,
    [join(import.meta.dirname ?? ".", "post-measure.mjs"), ...args],
    {
      encoding: "utf8",
      env,
      maxBuffer: 1 << 26,
    },
  );
  return JSON.parse(output);
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
};
const show = (label: string, values: number[], digits: number, unit: string) => {
  const { min, median, max } = stats(values);
  console.log(
    `${label}: ${min.toFixed(digits)} / ${median.toFixed(digits)} / ${max.toFixed(digits)} ${unit} (min / median / max)`,
  );
};

await generate();
const storing: Measured[] = [];
const posting: Measured[] = [];
for (let run = 0; run < RUNS; run++) {
  // Interleaved: a storing run, then a whole post, each in a fresh process and a fresh store.
  storing.push(measure(["store", file, join(mkdtempSync(join(tmpdir(), "lb-bench-post-")), "outbox.db")]));
  if (STORE_ONLY) continue;
  const emulator = await startEmulatorProcess({
    latency: { perRequestMs: 0, perOperationMs: 0 },
    maxConcurrentRequests: 64,
  });
  try {
    posting.push(
      measure(["post", file], {
        ...process.env,
        LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-bench-post-home-")),
        ...connectionEnv(emulator.info),
      }),
    );
  } finally {
    emulator.stop();
  }
  const last = posting.at(-1);
  if (last?.states?.lines_created !== JOURNALS)
    throw new Error(`post delivered ${JSON.stringify(last?.states)} of ${JOURNALS} journals`);
}
console.log(`bench:post — ${JOURNALS} journals of 2 lines, ${RUNS} interleaved runs`);
const figures: [string, Measured[], (each: Measured) => number, number, string][] = [
  ["store: journals/s", storing, (each) => each.journals / each.seconds, 0, "journals/s"],
  ["store: peak RSS", storing, (each) => each.peakRssBytes / 2 ** 20, 1, "MB"],
  ["post: wall time", posting, (each) => each.seconds, 2, "s"],
  ["post: journals/s", posting, (each) => each.journals / each.seconds, 0, "journals/s"],
  ["post: peak RSS", posting, (each) => each.peakRssBytes / 2 ** 20, 1, "MB"],
];
for (const [label, runs, value, digits, unit] of figures)
  if (runs.length > 0) show(label, runs.map(value), digits, unit);
