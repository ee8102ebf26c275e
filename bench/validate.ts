/**
 * bench:validate — generates a 1,000,000-line CSV (250,000 balanced journals of 4 lines) and
 * validates it, printing lines/s and peak RSS. Target: >= 200,000 lines/s, < 200 MB RSS.
 * Usage: npm run bench:validate [-- --lines N]
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { validateFile } from "../src/ingest/report.js";

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

/** Runs in a child process so its peak RSS is the validator's alone, not the generator's. */
async function measure(): Promise<void> {
  const started = performance.now();
  const report = await validateFile(file);
  const seconds = (performance.now() - started) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  if (report.errorCount > 0 || report.lines !== LINES) {
    console.error("the generated file did not validate:", report.errors.slice(0, 3));
    process.exit(1);
  }
  const bytes = (await stat(file)).size;
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  console.log(`file:        ${LINES} lines, ${report.journals} journals, ${mb(bytes)} MB`);
  console.log(`time:        ${seconds.toFixed(2)} s`);
  console.log(`throughput:  ${Math.round(LINES / seconds)} lines/s`);
  console.log(`peak RSS:    ${mb(peakRss)} MB (whole process, including the runtime)`);
}

if (process.argv.includes("--measure")) {
  await measure();
} else {
  if (!existsSync(file)) await generate();
  execFileSync(
    process.execPath,
    [...process.execArgv, import.meta.filename ?? "", "--measure", "--lines", String(LINES)],
    {
      stdio: "inherit",
    },
  );
}
