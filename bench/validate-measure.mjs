// The measured half of bench:validate, in plain JavaScript on the built package (dist/), so that the
// figures are those of the shipped code and the process holds nothing but the validator.
import { performance } from "node:perf_hooks";
import { validateFile } from "../dist/ingest/report.js";

const file = process.argv[2];
const started = performance.now();
const report = await validateFile(file);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  JSON.stringify({
    seconds,
    lines: report.lines,
    journals: report.journals,
    errorCount: report.errorCount,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  }),
);
