/**
 * The embedded engine: one SQLite file, WAL with synchronous=FULL (a commit survives power loss, not
 * only a crash of the process), write transactions opened with BEGIN IMMEDIATE (a deferred read that
 * upgrades to a write gets SQLITE_BUSY despite busy_timeout). better-sqlite3 is synchronous, so the
 * transactions of one process are serialised here; several processes share the file through SQLite's
 * own locking.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { EngineCapabilities, SqlDatabase } from "./sql.js";
import { corruptError, describePages, quickCheck, scanPages } from "./sqlite-integrity.js";

const CAPABILITIES: EngineCapabilities = {
  name: "sqlite",
  skipLocked: false,
  positionalPlaceholders: false,
  serialId: "INTEGER PRIMARY KEY AUTOINCREMENT",
  writesInWith: false,
  claimIndexHint: "INDEXED BY journals_claimable",
  writeChunk: 50,
  journalSeq: {
    add: [
      "ALTER TABLE journals ADD COLUMN seq INTEGER",
      "UPDATE journals SET seq = rowid",
      "CREATE INDEX journals_seq ON journals (seq)",
    ],
    // A writer holds the file's lock for its whole transaction, so one past the largest is unique.
    next: "(SELECT COALESCE(MAX(seq), 0) + 1 FROM journals)",
  },
};

/** SQLite's "database or disk is full" (a full disk, or PRAGMA max_page_count) as STORE_FULL. */
function storeError(error: unknown): unknown {
  if ((error as { code?: unknown } | undefined)?.code !== "SQLITE_FULL") return error;
  return new BridgeError("STORE_FULL", "The SQLite outbox has no room left (SQLITE_FULL).", { cause: error });
}

/**
 * Connections to one file in one process share a queue: a transaction spans awaits, and a second
 * connection's BEGIN IMMEDIATE would block the event loop in busy_timeout while the first one cannot
 * run to finish it.
 */
const queues = new Map<string, { tail: Promise<unknown>; users: number }>();

/** A transaction waiting for the next group commit. */
interface PendingTransaction {
  readonly work: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

/** Transactions committed together at most: bounds the time one group holds SQLite's write lock. */
const MAX_GROUP = 64;

/**
 * A group of background transactions stops taking more after this long, so foreground work that
 * arrives meanwhile waits at most about this plus one fsync.
 */
const BACKGROUND_GROUP_MS = 4;

/** Marks the transactions started inside `work` as background work (see `transaction`). */
const background = new AsyncLocalStorage<true>();
export function inBackground<T>(work: () => T): T {
  return background.run(true, work);
}

/**
 * The page scan read the file outside SQLite, so a page a checkpoint was writing at that moment may
 * look damaged: SQLite's own quick_check, through its consistent view, decides.
 */
function confirmDamage(db: Database.Database, path: string, suspect: readonly string[]): void {
  let found: string[];
  try {
    found = quickCheck(db);
  } catch (error) {
    found = [(error as Error).message];
  }
  if (found.length === 0) return;
  db.close();
  throw corruptError(path, [...suspect, ...found], "pages checked at open, confirmed by quick_check");
}

export class SqliteDatabase implements SqlDatabase {
  readonly capabilities = CAPABILITIES;
  private readonly db: Database.Database;
  private readonly inTransaction = new AsyncLocalStorage<boolean>();
  private readonly queue: { tail: Promise<unknown>; users: number };

  /**
   * `scan: false` for a second connection to a file another connection of this process has just
   * opened (serve's API connection beside the store thread): the page scan reads the whole file.
   */
  constructor(
    private readonly path: string,
    options: { scan?: boolean } = {},
  ) {
    const shared = queues.get(path) ?? { tail: Promise.resolve(), users: 0 };
    shared.users++;
    queues.set(path, shared);
    this.queue = shared;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      const suspect =
        options.scan !== false && path !== ":memory:" && existsSync(path)
          ? describePages(scanPages(path))
          : [];
      this.db = new Database(path);
      if (suspect.length > 0) confirmDamage(this.db, path, suspect);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      this.db.pragma("busy_timeout = 10000");
      this.db.pragma("foreign_keys = ON");
      // Each transaction of a group runs in a savepoint, where every statement keeps a statement
      // journal: in a temporary file that doubled the cost of storing a chunk (npm run bench:post).
      // Kept in memory, as are the few small sorts and groupings the store's queries need.
      this.db.pragma("temp_store = MEMORY");
    } catch (error) {
      if (error instanceof BridgeError) throw error;
      throw new BridgeError(
        "OUTBOX_UNAVAILABLE",
        `The SQLite store ${path} cannot be opened: ${(error as Error).message}.`,
        { cause: error },
      );
    }
    const mode = String(this.db.pragma("journal_mode", { simple: true })).toLowerCase();
    const sync = Number(this.db.pragma("synchronous", { simple: true }));
    if ((mode !== "wal" && path !== ":memory:") || sync !== 2) {
      throw new BridgeError(
        "OUTBOX_NOT_DURABLE",
        `The SQLite store ${path} runs with journal_mode=${mode}, synchronous=${sync}.`,
      );
    }
  }

  /** One statement; outside a transaction it waits for the running one to finish. */
  query(sql: string, params: readonly unknown[] = []): Promise<Record<string, unknown>[]> {
    if (this.inTransaction.getStore()) return Promise.resolve(this.execute(sql, params));
    return this.exclusive(async () => this.execute(sql, params));
  }

  /** Prepared statements, by SQL text: preparing costs more than running most of them. */
  private readonly statements = new Map<string, Database.Statement>();

  private execute(sql: string, params: readonly unknown[]): Record<string, unknown>[] {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    try {
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
    } catch (error) {
      throw storeError(error);
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.tail.then(work, work);
    this.queue.tail = result.catch(() => undefined);
    return result;
  }

  /**
   * Group commit: transactions that queue up while one runs are carried out together, each in its own
   * savepoint (a failure undoes only its own work), under one COMMIT — one fsync for the group instead
   * of one each. Every caller's promise settles only after that COMMIT, so what it acknowledges is
   * durable. Foreground transactions (API requests) are grouped first and never behind background
   * ones (the delivery worker's, marked with `inBackground`); a background group closes after
   * BACKGROUND_GROUP_MS, and between groups the event loop runs, so a request that arrives while the
   * worker records a round waits for one short group, not for the round.
   */
  transaction<T>(work: (retry: number) => Promise<T>): Promise<T> {
    // One file on this machine: a transaction is never run again, so it is always retry 0.
    if (this.inTransaction.getStore()) return work(0);
    return new Promise<T>((resolve, reject) => {
      const queue = background.getStore() ? this.background : this.foreground;
      queue.push({ work: () => work(0), resolve, reject } as PendingTransaction);
      if (!this.draining) {
        this.draining = true;
        this.nextGroup();
      }
    });
  }

  private readonly foreground: PendingTransaction[] = [];
  private readonly background: PendingTransaction[] = [];
  private draining = false;

  /**
   * One group per turn of the connection's queue, so that reads queued meanwhile run between groups
   * (a steady stream of transactions must not starve them); between groups the event loop runs, so
   * messages that arrived during a group queue their work before the next group is chosen.
   */
  private nextGroup(): void {
    const group = () =>
      this.foreground.length > 0
        ? this.commitGroup(this.foreground, Number.POSITIVE_INFINITY)
        : this.commitGroup(this.background, BACKGROUND_GROUP_MS);
    const after = () => {
      if (this.foreground.length === 0 && this.background.length === 0) this.draining = false;
      else setImmediate(() => this.nextGroup());
    };
    this.exclusive(group).then(after, after);
  }

  /** Runs transactions from the head of `queue` under one COMMIT, taking more while `budgetMs` lasts. */
  private async commitGroup(queue: PendingTransaction[], budgetMs: number): Promise<void> {
    const group: PendingTransaction[] = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      for (const item of queue.splice(0, MAX_GROUP)) item.reject(error);
      return;
    }
    const started = performance.now();
    let aborted: unknown;
    while (queue.length > 0 && group.length < MAX_GROUP && performance.now() - started < budgetMs) {
      const item = queue.shift() as PendingTransaction;
      group.push(item);
      try {
        this.db.exec("SAVEPOINT lb_tx");
        const value = await this.inTransaction.run(true, item.work);
        this.db.exec("RELEASE lb_tx");
        outcomes.push({ ok: true, value });
      } catch (error) {
        // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back; if
        // even undoing the savepoint fails, the group cannot be trusted: all of it is rolled back.
        try {
          if (!this.db.inTransaction) throw error;
          this.db.exec("ROLLBACK TO lb_tx");
          this.db.exec("RELEASE lb_tx");
        } catch (undo) {
          aborted = undo;
          break;
        }
        outcomes.push({ ok: false, value: error });
      }
    }
    try {
      if (aborted !== undefined) throw aborted;
      this.db.exec("COMMIT");
    } catch (error) {
      try {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
      } catch {
        // Nothing more to undo here: SQLite rolls back a transaction whose connection failed.
      }
      for (const item of group) item.reject(storeError(error));
      return;
    }
    for (const [index, item] of group.entries()) {
      const outcome = outcomes[index] as { ok: boolean; value: unknown };
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    }
  }

  async close(): Promise<void> {
    // Transactions still queued are committed first: between groups the queue's tail is settled
    // while the next group waits for its turn of the event loop.
    while (this.draining) await new Promise((resolve) => setImmediate(resolve));
    await this.queue.tail;
    this.db.close();
    if (--this.queue.users === 0) queues.delete(this.path);
  }
}
