/**
 * The outbox on a SQL database. One statement per operation; the two engines differ only in the
 * capability flags below (placeholders, row locking for concurrent claimers, id columns), never by
 * `if (postgres)` scattered through the code.
 */
import { randomUUID } from "node:crypto";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { JournalState } from "./states.js";
import { CLAIMABLE, canMove, isCancellable, isDelivered, isSettled, REDRIVABLE } from "./states.js";
import type {
  CancelResult,
  EnqueueOptions,
  EnqueueResult,
  JournalChanges,
  JournalEvent,
  JournalSelection,
  ListFilter,
  NewJournal,
  OutboxStore,
  PauseRecord,
  PostedVoucher,
  SelectionProgress,
  SettleEntry,
  StoredJournal,
  StoredPause,
} from "./store.js";

export interface EngineCapabilities {
  readonly name: "sqlite" | "postgres";
  /** Row locking that lets concurrent claimers skip each other's rows (PostgreSQL). */
  readonly skipLocked: boolean;
  /** `$1` (PostgreSQL) or `?` (SQLite). */
  readonly positionalPlaceholders: boolean;
  /** The column type of an auto-increment id. */
  readonly serialId: string;
  /**
   * Adding `journals.seq`, the order journals were stored in (claims take equally due journals in
   * that order): the statements, and the SQL expression of the next value in an INSERT.
   */
  readonly journalSeq: { readonly add: readonly string[]; readonly next: string };
  /**
   * A WITH clause may hold INSERT … RETURNING (PostgreSQL): a journal and its first event are then
   * stored by one statement, atomic without a transaction — one round trip instead of four.
   */
  readonly writesInWith: boolean;
  /**
   * Written after `FROM journals` in the claim: SQLite's planner, without statistics, prefers the
   * state index and sorts every claimable journal; it is told to read journals_claimable in order.
   */
  readonly claimIndexHint: string;
  /**
   * Journals per transaction when the worker claims or records many at once. SQLite has one writer
   * per file, so an API request's enqueue waits for the transaction in progress: small chunks (a few
   * ms each). PostgreSQL writers do not wait for each other here, and every commit is a WAL flush:
   * one transaction.
   */
  readonly writeChunk: number;
}

export interface SqlDatabase {
  readonly capabilities: EngineCapabilities;
  query(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * Runs `work` in one write transaction (BEGIN IMMEDIATE on SQLite). An engine that runs it again
   * after a lost connection passes the retry's number (0 the first time): the commit of the attempt
   * before may have landed unseen, and `work` can look for what it left.
   */
  transaction<T>(work: (retry: number) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Versioned migrations, applied in order; each engine gets its id column type. */
export function migrations(capabilities: EngineCapabilities): ReadonlyArray<readonly [number, string[]]> {
  return [
    [
      1,
      [
        `CREATE TABLE journals (
          key TEXT PRIMARY KEY,
          company TEXT NOT NULL,
          journal_name TEXT NOT NULL,
          source TEXT NOT NULL,
          content_hash TEXT NOT NULL,
          payload TEXT NOT NULL,
          line_count INTEGER NOT NULL,
          post INTEGER NOT NULL,
          marker TEXT NOT NULL,
          state TEXT NOT NULL,
          attempt INTEGER NOT NULL DEFAULT 0,
          lease_owner TEXT,
          lease_until BIGINT,
          available_at BIGINT NOT NULL,
          journal_batch_number TEXT,
          lines_confirmed_at BIGINT,
          posted_at BIGINT,
          vouchers TEXT,
          last_error_code TEXT,
          last_error TEXT,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )`,
        "CREATE INDEX journals_due ON journals (state, available_at)",
        "CREATE INDEX journals_company ON journals (company, key)",
        `CREATE TABLE journal_events (
          id ${capabilities.serialId},
          key TEXT NOT NULL,
          at BIGINT NOT NULL,
          attempt INTEGER NOT NULL,
          worker TEXT,
          from_state TEXT,
          to_state TEXT NOT NULL,
          detail TEXT NOT NULL
        )`,
        "CREATE INDEX journal_events_key ON journal_events (key, id)",
      ],
    ],
    [
      2,
      [
        `CREATE TABLE api_keys (
          id TEXT PRIMARY KEY,
          secret_hash TEXT NOT NULL,
          scope TEXT NOT NULL,
          companies TEXT,
          label TEXT,
          created_at BIGINT NOT NULL,
          revoked_at BIGINT
        )`,
        `CREATE TABLE audit_log (
          id ${capabilities.serialId},
          at BIGINT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          target TEXT,
          detail TEXT NOT NULL
        )`,
        `CREATE TABLE idempotency_keys (
          client TEXT NOT NULL,
          idempotency_key TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          status INTEGER,
          body TEXT,
          created_at BIGINT NOT NULL,
          PRIMARY KEY (client, idempotency_key)
        )`,
      ],
    ],
    [
      3,
      [
        ...capabilities.journalSeq.add,
        // Claims read the due journals in this order and stop at their limit: without it, each claim
        // sorted every claimable journal (30-50 ms a chunk with 100,000 waiting; npm run bench:claim). Partial: posted and dead
        // journals, the great majority over time, are not in it.
        `CREATE INDEX journals_claimable ON journals (available_at, seq) WHERE state IN (${claimableStates()})`,
      ],
    ],
    [
      4,
      [
        // Which claim took the journal: a claim run again after a lost connection finds what its
        // first run committed unseen, and no other claim's journals (rounds of one worker claim in
        // the same millisecond).
        "ALTER TABLE journals ADD COLUMN claim_id TEXT",
      ],
    ],
    [
      5,
      [
        // A worker's delivery pause (F&O refusing the environment), for `status` in another process.
        `CREATE TABLE delivery_pauses (
          worker TEXT PRIMARY KEY,
          code TEXT NOT NULL,
          message TEXT NOT NULL,
          since BIGINT NOT NULL,
          next_probe_at BIGINT NOT NULL,
          probes INTEGER NOT NULL,
          updated_at BIGINT NOT NULL
        )`,
      ],
    ],
    [
      6,
      [
        // Lists by state walk this index in key order and stop at their page: without it, listing
        // one state sorted every journal in it (200-295 ms with 1,000,000 stored; npm run bench:claim).
        "CREATE INDEX journals_state_key ON journals (state, key)",
      ],
    ],
    [
      7,
      [
        // Which journals a `post` run stored or found stored: its progress is one query however many
        // there are (the run keeps counts, not keys). Rows go when the run ends (forgetRun).
        `CREATE TABLE run_journals (
          run TEXT NOT NULL,
          key TEXT NOT NULL,
          at BIGINT NOT NULL,
          PRIMARY KEY (run, key)
        )`,
      ],
    ],
    [
      8,
      [
        // Claims walk journals_claimable and lists by state journals_state_key: this one served
        // neither any more, and keeping it up cost a third of storing a journal (npm run bench:post).
        "DROP INDEX journals_due",
      ],
    ],
    [
      9,
      [
        // A journal delivered without posting stays in state lines_created, which is claimable (for
        // the journals that are to be posted): in the index, every claim walked past all of them
        // (321 ms a claim with 775,000 stored; npm run bench:post -- --journals 1000000). The
        // claim's own condition is now the index's, so it holds only what a claim can take.
        "DROP INDEX journals_claimable",
        `CREATE INDEX journals_claimable ON journals (available_at, seq) WHERE state IN (${claimableStates()}) AND NOT (state = 'lines_created' AND post = 0)`,
      ],
    ],
    [
      10,
      [
        // The data package import a journal went into (the dmf-package target): recorded before the
        // import starts, so a worker that finds the journal later asks F&O about that execution first.
        "ALTER TABLE journals ADD COLUMN execution_id TEXT",
      ],
    ],
  ];
}

/** The WHERE conditions of a selection (and its parameters), shared by list, count and redrive. */
function selectionWhere(selection: JournalSelection): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace("?", `$${params.length}`));
  };
  if (selection.state !== undefined) add("state = ?", selection.state);
  if (selection.company !== undefined) add("company = ?", selection.company);
  if (selection.source !== undefined) add("source = ?", selection.source);
  if (selection.errorCode !== undefined) add("last_error_code = ?", selection.errorCode);
  if (selection.updatedSince !== undefined) add("updated_at >= ?", selection.updatedSince);
  if (selection.updatedBefore !== undefined) add("updated_at < ?", selection.updatedBefore);
  if (selection.run !== undefined) add("key IN (SELECT key FROM run_journals WHERE run = ?)", selection.run);
  return { where, params };
}

function whereClause(where: readonly string[]): string {
  return where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`;
}

/** A selection as the trail records it (times as ISO text). */
function describeSelection(selection: JournalSelection): Record<string, string> {
  return Object.fromEntries(
    Object.entries(selection)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [
        name,
        typeof value === "number" ? new Date(value).toISOString() : String(value),
      ]),
  );
}

/** How long a run's rows stay when the run died before it could forget them. */
const RUN_ROWS_KEPT_MS = 7 * 24 * 3_600_000;

/** The claimable states as SQL, written the same in the claim and in the index that serves it. */
function claimableStates(): string {
  return CLAIMABLE.map((state) => `'${state}'`).join(", ");
}

/** One entry of a journal's trail (journal_events). */
interface TrailEvent {
  readonly key: string;
  readonly attempt: number;
  readonly worker: string | null;
  readonly from: JournalState | null;
  readonly to: JournalState;
  readonly detail: Record<string, unknown>;
}

/** A journal whose key is stored with other content. */
interface Conflict {
  readonly outcome: "conflict";
  readonly journal: NewJournal;
  readonly existing: StoredJournal;
}

/** Names every conflicting key (the first ten in full); `of`: the submission's size, when many. */
function conflictError(conflicts: readonly Conflict[], of?: number): BridgeError {
  const described = conflicts
    .slice(0, 10)
    .map(
      ({ journal, existing }) =>
        `Journal ${journal.key} is stored from ${existing.source} (content ${existing.contentHash.slice(0, 12)}); ${journal.source} gives it other content (${journal.contentHash.slice(0, 12)}).`,
    )
    .join(" ");
  const more = conflicts.length > 10 ? ` And ${conflicts.length - 10} more.` : "";
  const prefix =
    of === undefined
      ? ""
      : `${conflicts.length} of ${of} journals conflict with stored ones; nothing was stored. `;
  return new BridgeError("OUTBOX_CONFLICT", `${prefix}${described}${more}`);
}

const COLUMNS = `key, company, journal_name, source, content_hash, payload, line_count, post, marker, state, attempt,
  lease_owner, lease_until, available_at, journal_batch_number, lines_confirmed_at, posted_at, vouchers,
  last_error_code, last_error, created_at, updated_at, execution_id`;

function row(record: Record<string, unknown>): StoredJournal {
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return {
    key: String(record.key),
    company: String(record.company),
    journalName: String(record.journal_name),
    source: String(record.source),
    contentHash: String(record.content_hash),
    payload: String(record.payload),
    lineCount: Number(record.line_count),
    post: Number(record.post) === 1,
    marker: String(record.marker),
    state: String(record.state) as JournalState,
    attempt: Number(record.attempt),
    leaseOwner: record.lease_owner === null ? null : String(record.lease_owner),
    leaseUntil: number(record.lease_until),
    availableAt: Number(record.available_at),
    journalBatchNumber: record.journal_batch_number === null ? null : String(record.journal_batch_number),
    linesConfirmedAt: number(record.lines_confirmed_at),
    postedAt: number(record.posted_at),
    vouchers: record.vouchers === null ? null : (JSON.parse(String(record.vouchers)) as PostedVoucher[]),
    lastErrorCode: record.last_error_code === null ? null : String(record.last_error_code),
    lastError: record.last_error === null ? null : String(record.last_error),
    createdAt: Number(record.created_at),
    updatedAt: Number(record.updated_at),
    executionId:
      record.execution_id === null || record.execution_id === undefined ? null : String(record.execution_id),
  };
}

/** A journal as `insert` has just stored it. */
function freshRow(journal: NewJournal, now: number): StoredJournal {
  return {
    key: journal.key,
    company: journal.company,
    journalName: journal.journalName,
    source: journal.source,
    contentHash: journal.contentHash,
    payload: journal.payload,
    lineCount: journal.lineCount,
    post: journal.post,
    marker: journal.marker,
    state: "ready",
    attempt: 0,
    leaseOwner: null,
    leaseUntil: null,
    availableAt: now,
    journalBatchNumber: null,
    linesConfirmedAt: null,
    postedAt: null,
    vouchers: null,
    lastErrorCode: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    executionId: null,
  };
}

/** Runs one statement written with `$n` placeholders, on engines with `?` placeholders too. */
export function runSql(
  db: SqlDatabase,
  text: string,
  params: readonly unknown[] = [],
): Promise<Record<string, unknown>[]> {
  if (db.capabilities.positionalPlaceholders) return db.query(text, params);
  let translated = TRANSLATED.get(text);
  if (translated === undefined) {
    // Rewriting the text on every call cost a twentieth of storing a file; the texts are few.
    if (TRANSLATED.size >= 1000) TRANSLATED.clear();
    translated = {
      sql: text.replace(/\$\d+/g, "?"),
      order: [...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]) - 1),
    };
    TRANSLATED.set(text, translated);
  }
  return db.query(
    translated.sql,
    translated.order.map((index) => params[index]),
  );
}

/** Statements with `$n` placeholders as `?` ones, and which parameter goes where. */
const TRANSLATED = new Map<string, { sql: string; order: number[] }>();

export class SqlOutboxStore implements OutboxStore {
  constructor(private readonly db: SqlDatabase) {}

  /** The database, shared with the other stores of the same schema (API keys, audit log). */
  get database(): SqlDatabase {
    return this.db;
  }

  private run(text: string, params: readonly unknown[]): Promise<Record<string, unknown>[]> {
    return runSql(this.db, text, params);
  }

  async init(): Promise<void> {
    await this.db.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
    );
    const applied = new Set(
      (await this.db.query("SELECT version FROM schema_migrations")).map((record) => Number(record.version)),
    );
    for (const [version, statements] of migrations(this.db.capabilities)) {
      if (applied.has(version)) continue;
      await this.db.transaction(async () => {
        // Another instance may have migrated meanwhile (PostgreSQL): check again inside the transaction.
        const again = await this.run("SELECT 1 AS present FROM schema_migrations WHERE version = $1", [
          version,
        ]);
        if (again.length > 0) return;
        for (const statement of statements) await this.db.query(statement);
        await this.run("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
          version,
          Date.now(),
        ]);
      });
    }
  }

  /** Appends to the journals' trails: one statement for all of them (one round trip on PostgreSQL). */
  private async record(events: readonly TrailEvent[], now: number): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((_, index) => {
      const at = index * 6;
      return `($${at + 1}, $${events.length * 6 + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6})`;
    });
    await this.run(
      `INSERT INTO journal_events (key, at, attempt, worker, from_state, to_state, detail) VALUES ${rows.join(", ")}`,
      [
        ...events.flatMap((event) => [
          event.key,
          event.attempt,
          event.worker,
          event.from,
          event.to,
          JSON.stringify(event.detail),
        ]),
        now,
      ],
    );
  }

  async enqueue(journal: NewJournal, now: number, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    return this.storing(1, options, async () => {
      const result = await this.insert(journal, now);
      if (result.outcome === "conflict") throw conflictError([result]);
      await this.nameInRun(options.run, [journal.key], now);
      return result;
    });
  }

  async enqueueAll(
    journals: readonly NewJournal[],
    now: number,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult[]> {
    return this.storing(journals.length, options, async () => {
      const results: EnqueueResult[] = [];
      const conflicts: Conflict[] = [];
      const events: TrailEvent[] = [];
      for (const journal of journals) {
        const result = await this.insert(journal, now, events);
        if (result.outcome === "conflict") conflicts.push(result);
        else results.push(result);
      }
      // Thrown inside the transaction: everything this call inserted is rolled back.
      if (conflicts.length > 0) throw conflictError(conflicts, journals.length);
      for (let start = 0; start < events.length; start += 500)
        await this.record(events.slice(start, start + 500), now);
      await this.nameInRun(
        options.run,
        journals.map((journal) => journal.key),
        now,
      );
      return results;
    });
  }

  /**
   * A transaction for storing `count` journals, unless one statement stores one atomically (and no
   * run is named, which is a second statement).
   */
  private storing<T>(count: number, options: EnqueueOptions, work: () => Promise<T>): Promise<T> {
    return count === 1 && options.run === undefined && this.db.capabilities.writesInWith
      ? work()
      : this.db.transaction(work);
  }

  /** Names the keys in the run, in statements of up to 500 rows (engines cap a statement's parameters). */
  private async nameInRun(run: string | undefined, keys: readonly string[], now: number): Promise<void> {
    if (run === undefined) return;
    for (let start = 0; start < keys.length; start += 500) {
      const slice = keys.slice(start, start + 500);
      await this.run(
        `INSERT INTO run_journals (run, key, at) VALUES ${slice.map((_, index) => `($1, $${index + 3}, $2)`).join(", ")}
         ON CONFLICT (run, key) DO NOTHING`,
        [run, now, ...slice],
      );
    }
  }

  /**
   * Inserts the journal and its first event unless its key is stored (see `storing`). Where the
   * event is a statement of its own, `events` (when given) collects it for one statement per chunk.
   */
  private async insert(
    journal: NewJournal,
    now: number,
    events?: TrailEvent[],
  ): Promise<EnqueueResult | Conflict> {
    const values = [
      journal.key,
      journal.company,
      journal.journalName,
      journal.source,
      journal.contentHash,
      journal.payload,
      journal.lineCount,
      journal.post ? 1 : 0,
      journal.marker,
      now,
    ];
    // Only the key comes back: the row is what was just written (reading the payload back cost a
    // tenth of storing a file).
    const insertJournal = `INSERT INTO journals (key, company, journal_name, source, content_hash, payload, line_count, post,
         marker, state, attempt, available_at, created_at, updated_at, seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ready', 0, $10, $10, $10, ${this.db.capabilities.journalSeq.next})
       ON CONFLICT (key) DO NOTHING
       RETURNING key`;
    const firstEvent = { source: journal.source, lines: journal.lineCount };
    let inserted: Record<string, unknown>[];
    if (this.db.capabilities.writesInWith) {
      inserted = await this.run(
        `WITH inserted AS (${insertJournal}),
           logged AS (INSERT INTO journal_events (key, at, attempt, worker, from_state, to_state, detail)
             SELECT key, $10, 0, NULL, NULL, 'ready', $11 FROM inserted)
         SELECT * FROM inserted`,
        [...values, JSON.stringify(firstEvent)],
      );
    } else {
      inserted = await this.run(insertJournal, values);
      if (inserted[0] !== undefined) {
        const event = {
          key: journal.key,
          attempt: 0,
          worker: null,
          from: null,
          to: "ready" as const,
          detail: firstEvent,
        };
        if (events === undefined) await this.record([event], now);
        else events.push(event);
      }
    }
    if (inserted[0] !== undefined) return { outcome: "created", journal: freshRow(journal, now) };
    const existing = await this.get(journal.key);
    if (existing === undefined) throw new Error(`journal ${journal.key} vanished during enqueue`);
    if (existing.contentHash !== journal.contentHash) return { outcome: "conflict", journal, existing };
    return { outcome: "duplicate", journal: existing };
  }

  async claim(worker: string, limit: number, leaseMs: number, now: number): Promise<StoredJournal[]> {
    // In transactions of the engine's write chunk: each claim stands alone, and short transactions keep
    // the write lock short for the API requests waiting behind them. Each chunk takes the earliest
    // due, so the chunks come back in order.
    const claimed: StoredJournal[] = [];
    while (claimed.length < limit) {
      const chunk = await this.claimChunk(
        worker,
        Math.min(this.db.capabilities.writeChunk, limit - claimed.length),
        leaseMs,
        now,
        new Set(claimed.map((journal) => journal.key)),
      );
      claimed.push(...chunk);
      if (chunk.length < this.db.capabilities.writeChunk) break;
    }
    return claimed;
  }

  private claimChunk(
    worker: string,
    limit: number,
    leaseMs: number,
    now: number,
    already: ReadonlySet<string>,
  ): Promise<StoredJournal[]> {
    const states = claimableStates();
    const lock = this.db.capabilities.skipLocked ? "FOR UPDATE SKIP LOCKED" : "";
    // The same id on every run of this transaction.
    const claimId = randomUUID();
    return this.db.transaction(async (retry) => {
      // Run again after a lost connection: if the previous run's commit landed unseen, its journals
      // carry this claim's id; they are this claim's, not stranded until their lease ends.
      const adopted =
        retry === 0
          ? []
          : (
              await this.run(
                `SELECT ${COLUMNS}, seq FROM journals WHERE claim_id = $1 AND lease_owner = $2 AND lease_until = $3`,
                [claimId, worker, now + leaseMs],
              )
            ).filter((record) => !already.has(String(record.key)));
      if (adopted.length >= limit) return adopted.map(row);
      // Journals left in a leased state by a worker that died come back once the lease expires;
      // posted and dead journals are never claimed, and lines_created only when posting is wanted.
      const fresh = await this.run(
        `UPDATE journals SET lease_owner = $1, lease_until = $2, attempt = attempt + 1, updated_at = $3, claim_id = $5
         WHERE key IN (
           SELECT key FROM journals ${this.db.capabilities.claimIndexHint}
           WHERE state IN (${states}) AND available_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
             AND NOT (state = 'lines_created' AND post = 0)
           ORDER BY available_at, seq
           LIMIT $4 ${lock})
         RETURNING ${COLUMNS}, seq`,
        [worker, now + leaseMs, now, limit - adopted.length, claimId],
      );
      // RETURNING comes in no particular order: the chunk goes back in the order it was chosen in.
      const claimed = [...adopted, ...fresh].sort(
        (a, b) => Number(a.available_at) - Number(b.available_at) || Number(a.seq) - Number(b.seq),
      );
      const journals = claimed.map(row);
      const adoptedKeys = new Set(adopted.map((record) => String(record.key)));
      await this.record(
        journals
          .filter((journal) => !adoptedKeys.has(journal.key))
          .map((journal) => ({
            key: journal.key,
            attempt: journal.attempt,
            worker,
            from: journal.state,
            to: journal.state,
            detail: { claimed: true, leaseUntil: now + leaseMs },
          })),
        now,
      );
      return journals;
    });
  }

  async settle(
    key: string,
    attempt: number,
    worker: string,
    changes: JournalChanges,
    detail: Record<string, unknown>,
    now: number,
  ): Promise<boolean> {
    const [settled] = await this.settleMany(worker, [{ key, attempt, changes, detail }], now);
    return settled === true;
  }

  async settleMany(worker: string, entries: readonly SettleEntry[], now: number): Promise<boolean[]> {
    // Each record is fenced on its own, so the chunks need not commit together (see claim).
    const results: boolean[] = [];
    const size = this.db.capabilities.writeChunk;
    for (let start = 0; start < entries.length; start += size)
      results.push(...(await this.settleChunk(worker, entries.slice(start, start + size), now)));
    return results;
  }

  private settleChunk(worker: string, entries: readonly SettleEntry[], now: number): Promise<boolean[]> {
    return this.db.transaction(async () => {
      // Lock the rows first, in key order as extendLeases does: two transactions on the same rows then
      // never wait for each other in a circle (PostgreSQL's deadlock).
      if (this.db.capabilities.skipLocked && entries.length > 1) {
        const keys = entries.map((_, index) => `$${index + 1}`).join(", ");
        await this.run(
          `SELECT key FROM journals WHERE key IN (${keys}) ORDER BY key FOR UPDATE`,
          entries.map((entry) => entry.key),
        );
      }
      const results: boolean[] = [];
      const events: TrailEvent[] = [];
      for (const entry of entries) {
        const event = await this.settleOne(worker, entry, now);
        results.push(event !== undefined);
        if (event !== undefined) events.push(event);
      }
      await this.record(events, now);
      return results;
    });
  }

  /** One fenced record, inside the caller's transaction: its trail event, or undefined when fenced out. */
  private async settleOne(
    worker: string,
    { key, attempt, changes, detail }: SettleEntry,
    now: number,
  ): Promise<TrailEvent | undefined> {
    const [current] = await this.run("SELECT state, attempt, lease_owner FROM journals WHERE key = $1", [
      key,
    ]);
    // Fencing: only the worker holding this attempt may record anything.
    if (current === undefined || Number(current.attempt) !== attempt || current.lease_owner !== worker)
      return undefined;
    const from = String(current.state) as JournalState;
    if (!canMove(from, changes.state)) {
      throw new Error(`outbox: ${key} cannot move from ${from} to ${changes.state}`);
    }
    const updated = await this.run(
      `UPDATE journals SET state = $1,
         journal_batch_number = COALESCE($2, journal_batch_number),
         lines_confirmed_at = COALESCE($3, lines_confirmed_at),
         posted_at = COALESCE($4, posted_at),
         vouchers = COALESCE($5, vouchers),
         last_error_code = $6, last_error = $7,
         available_at = COALESCE($8, available_at),
         lease_owner = CASE WHEN $9 = 1 THEN lease_owner ELSE NULL END,
         lease_until = CASE WHEN $9 = 1 THEN lease_until ELSE NULL END,
         updated_at = $10,
         execution_id = CASE WHEN $14 = 1 THEN $15 ELSE execution_id END
       WHERE key = $11 AND attempt = $12 AND lease_owner = $13
       RETURNING key`,
      [
        changes.state,
        changes.journalBatchNumber ?? null,
        changes.linesConfirmedAt ?? null,
        changes.postedAt ?? null,
        changes.vouchers === undefined ? null : JSON.stringify(changes.vouchers),
        changes.lastErrorCode ?? null,
        changes.lastError ?? null,
        changes.availableAt ?? null,
        changes.keepLease ? 1 : 0,
        now,
        key,
        attempt,
        worker,
        changes.executionId === undefined ? 0 : 1,
        changes.executionId ?? null,
      ],
    );
    if (updated.length === 0) return undefined;
    return { key, attempt, worker, from, to: changes.state, detail };
  }

  async extendLeases(
    worker: string,
    claims: readonly { key: string; attempt: number }[],
    leaseUntil: number,
  ): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    // One statement for a round's journals; the attempt (the fence) is checked on what comes back.
    const keys = claims.map((_, index) => `$${index + 3}`).join(", ");
    const lock = this.db.capabilities.skipLocked ? "ORDER BY key FOR UPDATE" : "";
    const updated = await this.run(
      `UPDATE journals SET lease_until = $1
       WHERE key IN (SELECT key FROM journals WHERE lease_owner = $2 AND key IN (${keys}) ${lock})
       RETURNING key, attempt`,
      [leaseUntil, worker, ...claims.map((claim) => claim.key)],
    );
    const mine = new Map(claims.map((claim) => [claim.key, claim.attempt]));
    return new Set(
      updated
        .filter((record) => mine.get(String(record.key)) === Number(record.attempt))
        .map((record) => String(record.key)),
    );
  }

  async release(key: string, attempt: number, worker: string, now: number): Promise<boolean> {
    const updated = await this.run(
      "UPDATE journals SET lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE key = $2 AND attempt = $3 AND lease_owner = $4 RETURNING key",
      [now, key, attempt, worker],
    );
    return updated.length > 0;
  }

  async get(key: string): Promise<StoredJournal | undefined> {
    const [found] = await this.run(`SELECT ${COLUMNS} FROM journals WHERE key = $1`, [key]);
    return found === undefined ? undefined : row(found);
  }

  async list(filter: ListFilter): Promise<StoredJournal[]> {
    const { where, params } = selectionWhere(filter);
    if (filter.after !== undefined) {
      params.push(filter.after);
      where.push(`key > $${params.length}`);
    }
    params.push(filter.limit ?? 1000);
    const rows = await this.run(
      `SELECT ${COLUMNS} FROM journals ${whereClause(where)} ORDER BY key LIMIT $${params.length}`,
      params,
    );
    return rows.map(row);
  }

  async count(selection: JournalSelection): Promise<number> {
    const { where, params } = selectionWhere(selection);
    const [found] = await this.run(`SELECT COUNT(*) AS n FROM journals ${whereClause(where)}`, params);
    return Number(found?.n ?? 0);
  }

  async progress(selection: JournalSelection): Promise<SelectionProgress> {
    const { where, params } = selectionWhere(selection);
    // When each may be claimed: its due time, or the end of a lease held now (whichever is later).
    const rows = await this.run(
      `SELECT state, post, COUNT(*) AS n,
         MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > available_at THEN lease_until ELSE available_at END) AS due
       FROM journals ${whereClause(where)} GROUP BY state, post`,
      params,
    );
    const byState: Record<string, number> = {};
    let delivered = 0;
    let pending = 0;
    let nextDueAt: number | null = null;
    for (const record of rows) {
      const state = String(record.state) as JournalState;
      const count = Number(record.n);
      byState[state] = (byState[state] ?? 0) + count;
      const post = Number(record.post) === 1;
      if (isDelivered(state, post)) delivered += count;
      else if (!isSettled(state, post)) {
        pending += count;
        nextDueAt = Math.min(nextDueAt ?? Number.POSITIVE_INFINITY, Number(record.due));
      }
    }
    return { byState, delivered, pending, nextDueAt };
  }

  async forgetRun(run: string, now: number): Promise<void> {
    await this.run("DELETE FROM run_journals WHERE run = $1 OR at < $2", [run, now - RUN_ROWS_KEPT_MS]);
  }

  async events(key: string): Promise<JournalEvent[]> {
    const rows = await this.run(
      "SELECT key, at, attempt, worker, from_state, to_state, detail FROM journal_events WHERE key = $1 ORDER BY id",
      [key],
    );
    return rows.map((record) => ({
      key: String(record.key),
      at: Number(record.at),
      attempt: Number(record.attempt),
      worker: record.worker === null ? null : String(record.worker),
      fromState: record.from_state === null ? null : (String(record.from_state) as JournalState),
      toState: String(record.to_state) as JournalState,
      detail: JSON.parse(String(record.detail)),
    }));
  }

  async countByState(companies?: readonly string[] | null): Promise<Record<string, number>> {
    const only =
      companies === undefined || companies === null
        ? ""
        : `WHERE company IN (${companies.map((_, index) => `$${index + 1}`).join(", ") || "NULL"})`;
    const rows = await this.run(`SELECT state, COUNT(*) AS n FROM journals ${only} GROUP BY state`, [
      ...(companies ?? []),
    ]);
    return Object.fromEntries(rows.map((record) => [String(record.state), Number(record.n)]));
  }

  async note(key: string, actor: string, detail: Record<string, unknown>, now: number): Promise<boolean> {
    return this.db.transaction(async () => {
      const [found] = await this.run("SELECT state, attempt FROM journals WHERE key = $1", [key]);
      if (found === undefined) return false;
      const state = String(found.state) as JournalState;
      await this.record(
        [{ key, attempt: Number(found.attempt), worker: actor, from: state, to: state, detail }],
        now,
      );
      return true;
    });
  }

  async recordPause(worker: string, pause: PauseRecord | null, now: number): Promise<void> {
    if (pause === null) {
      await this.run("DELETE FROM delivery_pauses WHERE worker = $1", [worker]);
      return;
    }
    await this.run(
      `INSERT INTO delivery_pauses (worker, code, message, since, next_probe_at, probes, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (worker) DO UPDATE SET code = $2, message = $3, since = $4, next_probe_at = $5, probes = $6, updated_at = $7`,
      [worker, pause.code, pause.message, pause.since, pause.nextProbeAt, pause.probes, now],
    );
  }

  async pauses(): Promise<StoredPause[]> {
    const rows = await this.run(
      "SELECT worker, code, message, since, next_probe_at, probes, updated_at FROM delivery_pauses ORDER BY since",
      [],
    );
    return rows.map((found) => ({
      worker: String(found.worker),
      code: String(found.code),
      message: String(found.message),
      since: Number(found.since),
      nextProbeAt: Number(found.next_probe_at),
      probes: Number(found.probes),
      updatedAt: Number(found.updated_at),
    }));
  }

  async cancel(keys: readonly string[], actor: string, now: number): Promise<CancelResult> {
    return this.db.transaction(async () => {
      const cancelled: string[] = [];
      const refused: CancelResult["refused"][number][] = [];
      for (const key of keys) {
        const [current] = await this.run(
          "SELECT state, post, lease_until, attempt FROM journals WHERE key = $1",
          [key],
        );
        if (current === undefined) {
          refused.push({ key, reason: "unknown" });
          continue;
        }
        const state = String(current.state) as JournalState;
        if (!isCancellable(state, Number(current.post) !== 0)) {
          refused.push({ key, reason: "delivered", state });
          continue;
        }
        if (current.lease_until !== null && Number(current.lease_until) >= now) {
          refused.push({ key, reason: "in-flight", state });
          continue;
        }
        // A new attempt number: a worker that held the journal before can record nothing more.
        await this.run(
          "UPDATE journals SET state = 'cancelled', attempt = attempt + 1, lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE key = $2",
          [now, key],
        );
        await this.record(
          [
            {
              key,
              attempt: Number(current.attempt) + 1,
              worker: actor,
              from: state,
              to: "cancelled",
              detail: { cancelled: true, by: actor },
            },
          ],
          now,
        );
        cancelled.push(key);
      }
      return { cancelled, refused };
    });
  }

  async redrive(
    selection: readonly string[] | JournalSelection,
    actor: string,
    now: number,
  ): Promise<number> {
    if (!Array.isArray(selection)) return this.redriveSelected(selection as JournalSelection, actor, now);
    return this.db.transaction(async () => {
      let moved = 0;
      for (const key of selection as readonly string[]) {
        const updated = await this.run(
          "UPDATE journals SET state = 'ready', available_at = $1, last_error_code = NULL, last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = $1 WHERE key = $2 AND state = 'dead' RETURNING attempt",
          [now, key],
        );
        if (updated[0] === undefined) continue;
        moved++;
        await this.record(
          [
            {
              key,
              attempt: Number(updated[0].attempt),
              worker: actor,
              from: "dead",
              to: "ready",
              detail: { redrive: true, by: actor },
            },
          ],
          now,
        );
      }
      return moved;
    });
  }

  /**
   * Every journal of the selection in one statement: dead ones back to ready (their error cleared),
   * ones waiting to retry or in doubt due now (in doubt stays in doubt: it is reconciled first). A
   * journal a worker holds is left alone.
   */
  private redriveSelected(selection: JournalSelection, actor: string, now: number): Promise<number> {
    const state = selection.state ?? "dead";
    if (!REDRIVABLE.includes(state))
      throw new BridgeError(
        "USAGE",
        `Journals ${state} cannot be redriven; redrive takes ${REDRIVABLE.join(", ")}.`,
      );
    const { where, params } = selectionWhere({ ...selection, state });
    params.push(now);
    const at = `$${params.length}`;
    where.push(`(lease_until IS NULL OR lease_until < ${at})`);
    const set =
      state === "dead"
        ? `state = 'ready', available_at = ${at}, last_error_code = NULL, last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ${at}`
        : `available_at = ${at}, updated_at = ${at}`;
    return this.db.transaction(async () => {
      const updated = await this.run(
        `UPDATE journals SET ${set} ${whereClause(where)} RETURNING key, attempt`,
        params,
      );
      const to: JournalState = state === "dead" ? "ready" : state;
      for (let from = 0; from < updated.length; from += 1000)
        await this.record(
          updated.slice(from, from + 1000).map((found) => ({
            key: String(found.key),
            attempt: Number(found.attempt),
            worker: actor,
            from: state,
            to,
            detail: { redrive: true, by: actor, selection: describeSelection(selection) },
          })),
          now,
        );
      return updated.length;
    });
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
