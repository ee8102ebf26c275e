/**
 * bench:store-check — what checking a SQLite outbox for corruption costs as it grows: a store of N
 * journals (each with the canonical payload of a two-line journal and three trail events), then,
 * interleaved, the check `ledger-bridge` runs at every open, SQLite's `PRAGMA quick_check` (what
 * `store check` and the doctor run) and `PRAGMA integrity_check`. The page cache is cold for each run
 * only as far as the OS lets it be: figures are for a file the OS has cached (a restart, not a reboot).
 *
 * Usage: npm run bench:store-check [-- --journals 1000000 --runs 3]
 */
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openStore } from "../src/outbox/open.js";
import { quickCheck, scanPages } from "../src/outbox/sqlite-integrity.js";
import { arg } from "./args.js";

const JOURNALS = arg("--journals", 1_000_000);
const RUNS = arg("--runs", 3);
const file = join(mkdtempSync(join(tmpdir(), "lb-bench-check-")), "outbox.db");

// The schema from the store itself; the rows in bulk, by SQL (storing a million through the API
// would measure the enqueue, not the check).
await (await openStore(file)).close();
const fill = new Database(file);
const payload = JSON.stringify({
  key: "K",
  company: "usmf",
  journalName: "GenJrn",
  description: "Payroll November",
  lines: [
    { lineNumber: 1, account: "601100-001-022", debit: "1200.00", currency: "USD", transDate: "2026-11-30" },
    { lineNumber: 2, account: "110110", credit: "1200.00", currency: "USD", transDate: "2026-11-30" },
  ],
});
const started = performance.now();
fill.exec("BEGIN");
fill
  .prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO journals (key, company, journal_name, source, content_hash, payload, line_count, post, marker,
       state, attempt, available_at, journal_batch_number, lines_confirmed_at, posted_at, vouchers, created_at, updated_at, seq)
     SELECT 'bench-' || i, 'usmf', 'GenJrn', 'bench.csv', hex(randomblob(32)), replace(?, '"K"', '"bench-' || i || '"'), 2, 1,
       'lb:bench-' || i, 'posted', 1, 0, 'USMF-' || i, 1, 1, '[{"voucher":"V1","postedVoucher":"GNJL' || i || '","transDate":"2026-11-30"}]', 1, 1, i
     FROM n`,
  )
  .run(JOURNALS, payload);
fill
  .prepare(
    `INSERT INTO journal_events (key, at, attempt, worker, from_state, to_state, detail)
     SELECT key, 1, 1, 'worker-bench', s.f, s.t, '{"requestId":"0b5c1f0e-8f7a-4a55-9a43-2d1c3b4a5e6f"}'
     FROM journals, (SELECT NULL AS f, 'ready' AS t UNION ALL SELECT 'ready', 'header_created' UNION ALL SELECT 'header_created', 'posted') AS s`,
  )
  .run();
fill.exec("COMMIT");
fill.pragma("wal_checkpoint(TRUNCATE)");
fill.close();
const size = statSync(file).size;
console.log(
  `bench:store-check — ${JOURNALS.toLocaleString()} journals, ${(size / 2 ** 20).toFixed(0)} MiB, filled in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

const checks: Record<string, (db: Database.Database) => void> = {
  "page scan (every open)": () => {
    scanPages(file);
  },
  "PRAGMA quick_check": (db) => {
    quickCheck(db);
  },
  "PRAGMA integrity_check": (db) => {
    db.pragma("integrity_check");
  },
};
const times = new Map<string, number[]>(Object.keys(checks).map((name) => [name, []]));
for (let run = 0; run < RUNS; run++)
  for (const [name, check] of Object.entries(checks)) {
    const db = new Database(file, { readonly: true });
    const at = performance.now();
    check(db);
    times.get(name)?.push(performance.now() - at);
    db.close();
  }
for (const [name, list] of times) {
  const sorted = [...list].sort((a, b) => a - b);
  const ms = (value: number | undefined) => `${(value ?? 0).toFixed(0)} ms`;
  console.log(
    `${name.padEnd(26)} min ${ms(sorted[0])}  median ${ms(sorted[Math.floor(sorted.length / 2)])}  max ${ms(sorted.at(-1))}`,
  );
}
