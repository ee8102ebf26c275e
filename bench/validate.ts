/**
 * bench:validate — generates a 1,000,000-line CSV (250,000 balanced journals of 4 lines) and
 * validates it, printing lines/s and peak RSS. Target: >= 200,000 lines/s, < 200 MB RSS.
 * Usage: npm run bench:validate [-- --lines N]. Builds first: it measures the shipped code in dist/.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";

const linesArg = process.argv.indexOf("--lines");
const LINES = linesArg > 0 ? Number(process.argv[linesArg + 1]) : 1_000_000;
const dir = join(import.meta.dirname ?? ".", "out");
const file = join(dir, `validate-${LINES}.csv`);

async function generate(): Promise<void> {
  await mkdir(dir, { recursive: true });
  const out = createWriteStream(file);
  out.write(
    "JournalKey,dataAreaId,JournalName,Description,Voucher,TransDate,AccountType,AccountDisplayValue," +
      "DebitAmount,CreditAmount,CurrencyCode,Text,Dim.Department\n",
  );
  let buffer = "";
  for (let i = 0; i < LINES; i++) {
    const journal = Math.floor(i / 4);
    const side = i % 4;
    const cents = String(100 + (journal % 9_000_000)).padStart(3, "0");
    const amount = `${cents.slice(0, -2)}.${cents.slice(-2)}`;
    const debit = side < 2 ? amount : "";
    const credit = side < 2 ? "" : amount;
    buffer +=
      `bench-${journal},usmf,GenJrn,Bench journal ${journal},V${journal}-${side % 2},2026-11-${String((journal % 28) + 1).padStart(2, "0")},` +
      `Ledger,${side < 2 ? "601100-001-022" : "110110"},${debit},${credit},USD,"Line ${i}, generated",022\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await once(out, "finish");
}

/** Validates in a fresh process (bench/validate-measure.mjs) so its peak RSS is the validator's alone. */
function measure(): {
  seconds: number;
  lines: number;
  journals: number;
  errorCount: number;
  peakRssBytes: number;
} {
  const output = execFileSync(
    process.execPath,
    [join(import.meta.dirname ?? ".", "validate-measure.mjs"), file],
    {
      encoding: "utf8",
    },
  );
  return JSON.parse(output);
}

if (!existsSync(file)) await generate();
const runs = [measure(), measure(), measure()];
for (const run of runs) {
  if (run.errorCount > 0 || run.lines !== LINES) {
    console.error(`the generated file did not validate (${run.errorCount} errors, ${run.lines} lines)`);
    process.exit(1);
  }
}
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
const best = runs.reduce((a, b) => (a.seconds <= b.seconds ? a : b));
const median = [...runs].sort((a, b) => a.seconds - b.seconds)[1] ?? best;
console.log(`file:        ${LINES} lines, ${best.journals} journals, ${mb((await stat(file)).size)} MB`);
console.log(`runs:        ${runs.map((run) => `${run.seconds.toFixed(2)} s`).join(", ")}`);
console.log(
  `throughput:  ${Math.round(LINES / median.seconds)} lines/s (median of 3), best ${Math.round(LINES / best.seconds)}`,
);
console.log(`peak RSS:    ${mb(Math.max(...runs.map((run) => run.peakRssBytes)))} MB (whole process)`);
