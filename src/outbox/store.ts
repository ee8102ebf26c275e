/**
 * The outbox: journals stored under their key before anything is acknowledged, claimed by workers
 * with a lease and a fencing token (the attempt number), settled only by the worker that still holds
 * them. One interface; engines differ only in the capability flags of sql.ts.
 */
import type { JournalState } from "./states.js";

export interface PostedVoucher {
  readonly voucher: string;
  readonly postedVoucher: string;
  readonly transDate: string;
}

export interface NewJournal {
  readonly key: string;
  readonly company: string;
  readonly journalName: string;
  /** Where it came from: a file path, "api", a library caller's name. */
  readonly source: string;
  /** SHA-256 of the canonical payload: the same key with other content is a conflict. */
  readonly contentHash: string;
  /** The journal as canonical JSON (amounts as strings). */
  readonly payload: string;
  readonly lineCount: number;
  readonly post: boolean;
  /** What identifies the journal in F&O (the header's Description starts with it). */
  readonly marker: string;
}

export interface StoredJournal extends NewJournal {
  readonly state: JournalState;
  readonly attempt: number;
  readonly leaseOwner: string | null;
  readonly leaseUntil: number | null;
  readonly availableAt: number;
  readonly journalBatchNumber: string | null;
  readonly linesConfirmedAt: number | null;
  readonly postedAt: number | null;
  readonly vouchers: PostedVoucher[] | null;
  readonly lastErrorCode: string | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** The data package import the journal went into last (dmf-package target), until it is settled. */
  readonly executionId: string | null;
}

export interface JournalEvent {
  readonly key: string;
  readonly at: number;
  readonly attempt: number;
  readonly worker: string | null;
  readonly fromState: JournalState | null;
  readonly toState: JournalState;
  /** Request ids, F&O numbers, vouchers, error code and message. */
  readonly detail: Record<string, unknown>;
}

export interface JournalChanges {
  readonly state: JournalState;
  readonly journalBatchNumber?: string;
  readonly linesConfirmedAt?: number;
  readonly postedAt?: number;
  readonly vouchers?: readonly PostedVoucher[];
  readonly lastErrorCode?: string | null;
  readonly lastError?: string | null;
  readonly availableAt?: number;
  /** Keep the lease (the worker goes on with the next step) instead of releasing it. */
  readonly keepLease?: boolean;
  /** The data package import the journal goes into (null: none any more); absent: unchanged. */
  readonly executionId?: string | null;
}

export interface SettleEntry {
  readonly key: string;
  readonly attempt: number;
  readonly changes: JournalChanges;
  readonly detail: Record<string, unknown>;
}

export type EnqueueResult =
  | { readonly outcome: "created"; readonly journal: StoredJournal }
  | { readonly outcome: "duplicate"; readonly journal: StoredJournal };

export interface CancelResult {
  readonly cancelled: readonly string[];
  /** Why each other key was not cancelled: unknown, delivered (its state), or held by a worker now. */
  readonly refused: readonly {
    readonly key: string;
    readonly reason: "unknown" | "delivered" | "in-flight";
    readonly state?: JournalState;
  }[];
}

/** A worker's delivery pause: F&O refuses the environment as a whole (src/delivery/pause.ts). */
export interface PauseRecord {
  readonly code: string;
  readonly message: string;
  readonly since: number;
  readonly nextProbeAt: number;
  readonly probes: number;
}

export interface StoredPause extends PauseRecord {
  readonly worker: string;
  /** When the worker last wrote it: a record much older than its next probe was left by a worker gone. */
  readonly updatedAt: number;
}

/** Journals picked by what they are: for listing, counting and bulk redrive. */
export interface JournalSelection {
  readonly state?: JournalState;
  readonly company?: string;
  readonly source?: string;
  /** The code of the journal's last error (e.g. D365_BUSINESS_RULE). */
  readonly errorCode?: string;
  /** Last changed at or after this time (ms since the epoch). */
  readonly updatedSince?: number;
  /** Last changed before this time (ms since the epoch). */
  readonly updatedBefore?: number;
  /** Named by this run (a `post` run's id, given to `enqueueAll`): stored then or already stored. */
  readonly run?: string;
}

/** How to store: `run` names every journal of the call, created or duplicate, for `progress`. */
export interface EnqueueOptions {
  readonly run?: string;
}

/** How far the journals of a selection have come, in one query (how `post` knows it is settled). */
export interface SelectionProgress {
  /** Journals by state. */
  readonly byState: Readonly<Record<string, number>>;
  /** Lines created (when posting was not asked for) or posted. */
  readonly delivered: number;
  /** Neither delivered nor final (dead, cancelled): still to be worked on. */
  readonly pending: number;
  /** When the earliest pending journal may be claimed (its retry time, or another lease's end); null with none pending. */
  readonly nextDueAt: number | null;
}

export interface ListFilter extends JournalSelection {
  /** Keys after this one (cursor pagination, by key). */
  readonly after?: string;
  readonly limit?: number;
}

export interface OutboxStore {
  /** Applies pending migrations and checks the engine's durability settings. */
  init(): Promise<void>;
  /** Stores the journal; the same key with the same content is a no-op; other content throws OUTBOX_CONFLICT. */
  enqueue(journal: NewJournal, now: number, options?: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Stores all of `journals` in one transaction, or none: when any conflicts (its key is stored, or
   * comes earlier in the list, with other content) nothing is stored and the OUTBOX_CONFLICT names
   * every conflicting key. The API's submissions use it, and `post` for each chunk of a file.
   */
  enqueueAll(
    journals: readonly NewJournal[],
    now: number,
    options?: EnqueueOptions,
  ): Promise<EnqueueResult[]>;
  /** Leases up to `limit` due journals to `worker` and returns them with their new attempt number. */
  claim(worker: string, limit: number, leaseMs: number, now: number): Promise<StoredJournal[]>;
  /** Records progress; false when the worker no longer holds the journal (fenced out). */
  settle(
    key: string,
    attempt: number,
    worker: string,
    changes: JournalChanges,
    detail: Record<string, unknown>,
    now: number,
  ): Promise<boolean>;
  /**
   * Several settles, a result per entry, in few transactions (up to 50 entries each: one commit per
   * chunk, not per journal); each entry is fenced on its own, so they need not commit together.
   */
  settleMany(worker: string, entries: readonly SettleEntry[], now: number): Promise<boolean[]>;
  /** Extends the leases the worker still holds (same key and attempt); returns their keys. */
  extendLeases(
    worker: string,
    claims: readonly { key: string; attempt: number }[],
    leaseUntil: number,
  ): Promise<Set<string>>;
  /** Gives a claimed journal back without progress (graceful shutdown). */
  release(key: string, attempt: number, worker: string, now: number): Promise<boolean>;
  get(key: string): Promise<StoredJournal | undefined>;
  list(filter: ListFilter): Promise<StoredJournal[]>;
  events(key: string): Promise<JournalEvent[]>;
  /** Journals by state; only the companies named, when given (lower-case company ids). */
  countByState(companies?: readonly string[] | null): Promise<Record<string, number>>;
  /**
   * Cancels journals not yet delivered and not held by a worker right now (final state `cancelled`,
   * the attempt number moved on so a late worker's record is fenced out); audited in the trail.
   */
  cancel(keys: readonly string[], actor: string, now: number): Promise<CancelResult>;
  /** Adds an entry to a journal's trail without changing it (what `cleanup` did in F&O); false if unknown. */
  note(key: string, actor: string, detail: Record<string, unknown>, now: number): Promise<boolean>;
  /** Records (or, with null, clears) the worker's delivery pause, for `status` in other processes. */
  recordPause(worker: string, pause: PauseRecord | null, now: number): Promise<void>;
  /** The pauses workers recorded, oldest first. */
  pauses(): Promise<StoredPause[]>;
  /** How many journals the selection holds (shown before a bulk redrive). */
  count(selection: JournalSelection): Promise<number>;
  /** How far the selection's journals have come: counts by state and the next due time, in one query. */
  progress(selection: JournalSelection): Promise<SelectionProgress>;
  /** Forgets which journals a run named (the journals stay), and runs left older than a week by runs that died. */
  forgetRun(run: string, now: number): Promise<void>;
  /**
   * Named dead journals back to ready; or every journal of a selection (state dead by default):
   * dead ones back to ready, ones waiting to retry or in doubt due now. Audited in the trail; returns
   * how many moved.
   */
  redrive(selection: readonly string[] | JournalSelection, actor: string, now: number): Promise<number>;
  close(): Promise<void>;
}
