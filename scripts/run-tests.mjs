#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner through tsx. Node 20's --test does not expand
// globs and does not pick up .ts files by itself, so the list is built here.
// Extra arguments are passed on (e.g. `npm test -- --test-name-pattern=csv`).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "fixtures" ? [] : find(path);
    return entry.name.endsWith(".test.ts") ? [relative(process.cwd(), path)] : [];
  });
}

const files = find("test").sort();
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", ...process.argv.slice(2), ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
