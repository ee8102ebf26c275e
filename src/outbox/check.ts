/**
 * `ledger-bridge store check` and the doctor's store check: the full integrity check of the outbox.
 * SQLite: the page scan of every open and SQLite's quick_check (sqlite-integrity.ts). PostgreSQL keeps
 * its own pages' checksums (when the cluster was initialised with them) and repairs nothing of ours to
 * look at: the check says whether it answers and whether data checksums are on.
 */
import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { isPostgresUrl } from "./open.js";
import { PostgresDatabase } from "./postgres.js";
import { describePages, quickCheck, scanPages } from "./sqlite-integrity.js";

export interface StoreCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

export interface StoreCheckReport {
  readonly engine: "sqlite" | "postgres";
  readonly ok: boolean;
  readonly checks: readonly StoreCheck[];
}

async function timed(name: string, run: () => Promise<string[]> | string[], ok: string): Promise<StoreCheck> {
  const started = performance.now();
  let problems: string[];
  try {
    problems = await run();
  } catch (error) {
    problems = [(error as Error).message];
  }
  return {
    name,
    ok: problems.length === 0,
    detail: problems.length === 0 ? ok : problems.slice(0, 10).join("; "),
    ms: Math.round(performance.now() - started),
  };
}

/** Whether PostgreSQL verifies its pages: told, never a failure (the cluster's choice, not damage). */
async function checksums(db: PostgresDatabase): Promise<StoreCheck> {
  const started = performance.now();
  const [row] = await db.query("SELECT current_setting('data_checksums') AS enabled");
  return {
    name: "data checksums",
    ok: true,
    detail:
      row?.enabled === "on"
        ? "on: PostgreSQL verifies every page it reads"
        : "off: PostgreSQL cannot tell a damaged page (initdb --data-checksums, or pg_checksums --enable)",
    ms: Math.round(performance.now() - started),
  };
}

export async function checkStore(location: string): Promise<StoreCheckReport> {
  if (isPostgresUrl(location)) {
    // A check tells at once: no reconnecting for half a minute first.
    const db = new PostgresDatabase(location, { reconnectDelaysMs: [] });
    try {
      const checks = [
        await timed(
          "journals readable",
          async () => {
            await db.query("SELECT COUNT(*) AS n FROM journals");
            return [];
          },
          "every journal row counted",
        ),
        ...(await checksums(db).then(
          (check) => [check],
          () => [],
        )),
      ];
      return { engine: "postgres", ok: checks.every((check) => check.ok), checks };
    } finally {
      await db.close();
    }
  }
  if (!existsSync(location))
    return {
      engine: "sqlite",
      ok: true,
      checks: [
        { name: "file", ok: true, detail: `${location} does not exist yet (made at first use)`, ms: 0 },
      ],
    };
  const checks = [await timed("page scan", () => describePages(scanPages(location)), "every page sound")];
  checks.push(
    await timed(
      "quick_check",
      () => {
        const db = new Database(location, { readonly: true, fileMustExist: true });
        try {
          return quickCheck(db);
        } finally {
          db.close();
        }
      },
      "ok",
    ),
  );
  return { engine: "sqlite", ok: checks.every((check) => check.ok), checks };
}
