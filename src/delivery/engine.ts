/**
 * The delivery engine: takes journals from the outbox and delivers each exactly once.
 *
 * Per journal, in this order (DESIGN.md §6):
 * 1. If it is in doubt, or a previous attempt may have sent something, reconcile first: look its
 *    marker up in F&O and adopt what exists (header, lines, posting) — never re-send blind.
 * 2. Create the header; record its JournalBatchNumber durably before any line is sent.
 * 3. Send all its lines in one changeset (they exist all or not at all); record that they exist.
 * 4. If posting was asked for, call the posting service; record the vouchers.
 *
 * Headers of many journals travel in one $batch, lines of many journals in one $batch with one
 * changeset each. Every record is fenced by the attempt number of the claim: a worker that lost its
 * lease records nothing. Transient failures wait and retry with backoff; business-rule failures are
 * dead with F&O's Infolog; unknown outcomes are in doubt and reconciled on the next attempt.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { type Clock, realSleepFn, type Sleep, systemClock } from "../common/time.js";
import { BridgeError, isBridgeError } from "../core/errors/bridge-error.js";
import type { Journal } from "../core/journal.js";
import { type Changeset, sendBatch } from "../d365/batch.js";
import type { D365Client, WriteOptions } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import { D365Error, isInDoubt } from "../d365/errors.js";
import { postJournal } from "../d365/posting.js";
import { and, eq, startsWith } from "../d365/query.js";
import { flatPayload, headerPayload, type JournalTarget, linePayload } from "../d365/targets.js";
import { isDelivered, type JournalState } from "../outbox/states.js";
import type { JournalChanges, OutboxStore, PostedVoucher, StoredJournal } from "../outbox/store.js";
import { carriesMarker, fromPayload, headerDescription } from "./journal-record.js";

export interface EngineOptions {
  readonly store: OutboxStore;
  readonly client: D365Client;
  readonly target?: JournalTarget;
  readonly postingPath?: string;
  readonly workerId?: string;
  /** Journals claimed per round (default 250). */
  readonly batchSize?: number;
  /** Rounds running at once (default 12). */
  readonly rounds?: number;
  /** Operations per $batch request (default 1,000; F&O allows 5,000). */
  readonly maxBatchOperations?: number;
  /** How long a claim (or a heartbeat) gives the worker to send writes for its journals (default 120,000). */
  readonly leaseMs?: number;
  /**
   * How long past that a journal stays out of other workers' reach: the longest a write sent just
   * before the lease ended may still be in flight (default: the client's timeout plus a tenth, for
   * the server's own work after the client gave up and for clocks a little apart). Another
   * worker reconciles only after any such write has landed or been given up.
   */
  readonly writeGraceMs?: number;
  /** Attempts before a journal failing transiently is dead (default 10). */
  readonly maxAttempts?: number;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  readonly random?: () => number;
  readonly logger?: Logger;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Told when `runUntilSettled` waits for journals that are due later or leased elsewhere. */
  readonly onWait?: (waitMs: number, journals: number) => void;
  /** Test hook: called at named points of the protocol (crash tests kill the process there). */
  readonly failpoint?: (name: Failpoint, key: string) => void | Promise<void>;
}

export type Failpoint =
  | "after-claim"
  | "after-header-sent"
  | "after-header-recorded"
  | "after-lines-sent"
  | "after-lines-recorded"
  | "after-post-sent";

export type EngineEvent =
  | {
      readonly type: "settled";
      readonly key: string;
      readonly state: JournalState;
      readonly lines: number;
      /** Whether the journal is to be posted (lines_created is then not its last state). */
      readonly post: boolean;
      /** When the journal entered the outbox and when this step was recorded (ms): delivery latency. */
      readonly createdAt: number;
      readonly at: number;
    }
  | { readonly type: "reconciled"; readonly key: string; readonly found: string };

interface Settlement {
  readonly item: Work;
  readonly changes: JournalChanges;
  readonly detail: Record<string, unknown>;
}

interface Work {
  claim: StoredJournal;
  /** The end of the lease this worker last confirmed: no write for the journal leaves after it. */
  sendUntil: number;
  journal: Journal;
  batchNumber: string | null;
  linesDone: boolean;
  done: boolean;
}

const DEFAULT_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 600_000;

export class DeliveryEngine {
  private readonly store: OutboxStore;
  private readonly client: D365Client;
  private readonly entities: Entities;
  private readonly target: JournalTarget;
  readonly workerId: string;
  private readonly batchSize: number;
  private readonly rounds: number;
  private readonly maxBatchOperations: number;
  private readonly leaseMs: number;
  private readonly writeGraceMs: number;
  private readonly maxAttempts: number;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private stopping = false;

  constructor(private readonly options: EngineOptions) {
    this.store = options.store;
    this.client = options.client;
    this.entities = new Entities(options.client);
    this.target = options.target ?? { kind: "ledger-journal" };
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.batchSize = options.batchSize ?? 250;
    this.rounds = options.rounds ?? 12;
    this.maxBatchOperations = options.maxBatchOperations ?? 1000;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.writeGraceMs = options.writeGraceMs ?? Math.ceil(options.client.timeoutMs * 1.1);
    this.maxAttempts = options.maxAttempts ?? 10;
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleepFn;
    this.random = options.random ?? Math.random;
  }

  /** Stops claiming; rounds in progress finish their journals. */
  stop(): void {
    this.stopping = true;
  }

  /** Delivers until nothing is due (used by `post`); returns how many journals were settled. */
  async runUntilIdle(): Promise<number> {
    let settled = 0;
    const loop = async () => {
      while (!this.stopping) {
        const count = await this.round();
        if (count === 0) return;
        settled += count;
      }
    };
    await Promise.all(Array.from({ length: this.rounds }, loop));
    return settled;
  }

  /**
   * Delivers until every journal named is delivered or dead (used by `post`): waits for journals that
   * are due later (a retry, a throttle pause) or leased by a worker that may have died, up to
   * `maxWaitMs`. Returns the keys still pending then.
   */
  async runUntilSettled(keys: readonly string[], maxWaitMs: number): Promise<string[]> {
    const deadline = this.clock.now() + maxWaitMs;
    for (;;) {
      await this.runUntilIdle();
      const pending: StoredJournal[] = [];
      for (const key of keys) {
        const journal = await this.store.get(key);
        if (journal !== undefined && journal.state !== "dead" && !isDelivered(journal.state, journal.post))
          pending.push(journal);
      }
      if (pending.length === 0 || this.stopping) return pending.map((journal) => journal.key);
      const now = this.clock.now();
      const due = Math.min(
        ...pending.map((journal) => Math.max(journal.availableAt, journal.leaseUntil ?? 0)),
      );
      if (due > deadline) return pending.map((journal) => journal.key);
      this.options.onWait?.(Math.max(0, due - now), pending.length);
      await this.sleep(Math.max(50, due - now + 1));
    }
  }

  /** Delivers forever until stopped (used by `serve`), sleeping `idleMs` when nothing is due. */
  async run(idleMs = 1000): Promise<void> {
    const loop = async () => {
      while (!this.stopping) {
        const count = await this.round().catch((error: unknown) => {
          this.options.logger?.error({ err: String(error) }, "delivery round failed");
          return 0;
        });
        if (count === 0 && !this.stopping) await this.sleep(idleMs);
      }
    };
    await Promise.all(Array.from({ length: this.rounds }, loop));
  }

  /** Claims one batch of due journals and takes each as far as it goes. */
  async round(): Promise<number> {
    // The store keeps the journals for the lease plus the write grace; this worker sends writes only
    // within the lease, so a write can still be in flight only while no other worker may claim.
    const claimedAt = this.clock.now();
    const claimed = await this.store.claim(
      this.workerId,
      this.batchSize,
      this.leaseMs + this.writeGraceMs,
      claimedAt,
    );
    if (claimed.length === 0) return 0;
    const work: Work[] = [];
    for (const claim of claimed) {
      await this.options.failpoint?.("after-claim", claim.key);
      work.push({
        claim,
        sendUntil: claimedAt + this.leaseMs,
        journal: await fromPayload(claim.payload),
        batchNumber: claim.journalBatchNumber,
        linesDone: claim.linesConfirmedAt !== null,
        done: false,
      });
    }
    // Keep the leases while the round works: a slow F&O must not hand the journals to another worker.
    // The send window moves only when the store confirms, from the time the heartbeat was asked.
    const heartbeat = setInterval(
      () => {
        const at = this.clock.now();
        const open = work.filter((item) => !item.done);
        void this.store
          .extendLeases(
            this.workerId,
            open.map((item) => ({ key: item.claim.key, attempt: item.claim.attempt })),
            at + this.leaseMs + this.writeGraceMs,
          )
          .then((held) => {
            for (const item of open)
              if (held.has(item.claim.key)) item.sendUntil = Math.max(item.sendUntil, at + this.leaseMs);
          })
          .catch(() => undefined);
      },
      // Three beats a lease: one late or lost answer still leaves the window open.
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    heartbeat.unref();
    try {
      return await this.work(work);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** A write for a group of journals may leave only while every one of their leases runs. */
  private withinLease(group: readonly Work[]): WriteOptions {
    return { mayStillSend: () => group.every((item) => this.clock.now() < item.sendUntil) };
  }

  private async work(work: Work[]): Promise<number> {
    for (const item of work) {
      if (this.needsReconciliation(item.claim)) await this.guard([item], () => this.reconcile(item));
    }
    await this.createHeaders(work.filter((item) => !item.done && item.batchNumber === null));
    await this.createLines(work.filter((item) => !item.done && item.batchNumber !== null && !item.linesDone));
    await this.postJournals(work.filter((item) => !item.done && item.linesDone && item.claim.post));
    for (const item of work.filter((each) => !each.done && each.linesDone && !each.claim.post)) {
      await this.settle(item, { state: "lines_created" }, {});
    }
    return work.length;
  }

  /**
   * An attempt after the first may follow a crash after something was sent; a journal in doubt
   * certainly does. A journal waiting to retry failed before anything reached F&O.
   */
  private needsReconciliation(claim: StoredJournal): boolean {
    return claim.state === "in_doubt" || (claim.attempt > 1 && claim.state !== "retry_wait");
  }

  private async reconcile(item: Work): Promise<void> {
    const { claim, journal } = item;
    if (item.batchNumber === null) {
      const candidates = await this.entities.queryAll("LedgerJournalHeaders", {
        // The marker with or without the journal's description after it; checked exactly below.
        filter: and(eq("dataAreaId", journal.company), startsWith("Description", claim.marker)),
        select: ["JournalBatchNumber", "Description", "IsPosted"],
        crossCompany: true,
      });
      const mine = candidates.filter((header) => carriesMarker(header.Description, claim.marker));
      if (mine.length > 1) {
        throw new BridgeError(
          "DELIVERY_MARKER_AMBIGUOUS",
          `Journal ${claim.key} has ${mine.length} headers in F&O: ${mine.map((header) => String(header.JournalBatchNumber)).join(", ")}.`,
        );
      }
      if (mine.length === 0) return;
      item.batchNumber = String(mine[0]?.JournalBatchNumber);
      this.options.onEvent?.({ type: "reconciled", key: claim.key, found: "header" });
      if (
        !(await this.settle(
          item,
          { state: "header_created", journalBatchNumber: item.batchNumber, keepLease: true },
          { reconciled: "header" },
        ))
      )
        return;
    }
    if (!item.linesDone) {
      const lines = await this.entities.queryAll("LedgerJournalLines", {
        filter: and(eq("dataAreaId", journal.company), eq("JournalBatchNumber", item.batchNumber as string)),
        select: ["LineNumber"],
        crossCompany: true,
      });
      if (lines.length === 0) return;
      if (lines.length !== journal.lines.length) {
        throw new BridgeError(
          "DELIVERY_LINES_MISMATCH",
          `Journal ${claim.key} (${item.batchNumber}) has ${lines.length} lines in F&O; the source has ${journal.lines.length}.`,
        );
      }
      item.linesDone = true;
      this.options.onEvent?.({ type: "reconciled", key: claim.key, found: "lines" });
      if (
        !(await this.settle(
          item,
          { state: "lines_created", linesConfirmedAt: this.clock.now(), keepLease: true },
          { reconciled: "lines" },
        ))
      )
        return;
    }
    if (claim.post) {
      const vouchers = await this.postedVouchers(journal.company, item.batchNumber as string);
      if (vouchers !== undefined) {
        this.options.onEvent?.({ type: "reconciled", key: claim.key, found: "posting" });
        await this.settle(
          item,
          { state: "posted", postedAt: this.clock.now(), vouchers },
          { reconciled: "posting", vouchers },
        );
      }
    }
  }

  /** The posted vouchers of a journal, when F&O says it is posted (read back from the ledger). */
  private async postedVouchers(company: string, batchNumber: string): Promise<PostedVoucher[] | undefined> {
    const header = await this.entities.get("LedgerJournalHeaders", {
      dataAreaId: company,
      JournalBatchNumber: batchNumber,
    });
    if (header?.IsPosted !== "Yes") return undefined;
    const entries = await this.entities.queryAll("GeneralJournalAccountEntries", {
      filter: and(eq("dataAreaId", company), eq("JournalNumber", batchNumber)),
      select: ["Voucher", "AccountingDate"],
      crossCompany: true,
    });
    const seen = new Map<string, string>();
    for (const entry of entries) seen.set(String(entry.Voucher), String(entry.AccountingDate));
    // The ledger knows final vouchers only; which line voucher each came from was in the lost answer.
    return [...seen].map(([postedVoucher, transDate]) => ({
      voucher: "(reconciled)",
      postedVoucher,
      transDate,
    }));
  }

  private chunks(items: Work[], operations: (item: Work) => number): Work[][] {
    const groups: Work[][] = [];
    let current: Work[] = [];
    let count = 0;
    for (const item of items) {
      const size = operations(item);
      if (current.length > 0 && count + size > this.maxBatchOperations) {
        groups.push(current);
        current = [];
        count = 0;
      }
      current.push(item);
      count += size;
    }
    if (current.length > 0) groups.push(current);
    return groups;
  }

  private async createHeaders(items: Work[]): Promise<void> {
    if (items.length === 0) return;
    if (this.target.kind === "flat-entity") {
      for (const item of items) await this.guard([item], () => this.createFlatHeader(item));
      return;
    }
    for (const group of this.chunks(items, () => 1)) {
      await this.guard(group, async () => {
        const changesets: Changeset[] = group.map((item) => ({
          operations: [
            {
              method: "POST",
              path: "/data/LedgerJournalHeaders",
              body: headerPayload(item.journal, headerDescription(item.journal, item.claim.marker)),
            },
          ],
        }));
        const results = await sendBatch(this.client, changesets, this.withinLease(group));
        for (const item of group) await this.options.failpoint?.("after-header-sent", item.claim.key);
        // One transaction records the whole batch's outcome: one commit instead of one per journal.
        const records: Settlement[] = [];
        for (const [index, item] of group.entries()) {
          const result = results[index];
          if (result === undefined) continue;
          if (!result.ok) {
            records.push({ item, ...this.failure(item, result.error) });
            continue;
          }
          const created = result.results[0]?.body as Record<string, unknown> | undefined;
          item.batchNumber = String(created?.JournalBatchNumber);
          records.push({
            item,
            changes: { state: "header_created", journalBatchNumber: item.batchNumber, keepLease: true },
            detail: { journalBatchNumber: item.batchNumber },
          });
        }
        await this.settleGroup(records);
        for (const item of group) await this.options.failpoint?.("after-header-recorded", item.claim.key);
      });
    }
  }

  /** A flat entity makes the header with the journal's first line; the others follow in a changeset. */
  private async createFlatHeader(item: Work): Promise<void> {
    if (this.target.kind !== "flat-entity") return;
    const [first] = item.journal.lines;
    if (first === undefined) return;
    const created = await this.entities.create(
      this.target.entitySet,
      flatPayload(item.journal, first, undefined, this.target),
      this.withinLease([item]),
    );
    await this.options.failpoint?.("after-header-sent", item.claim.key);
    item.batchNumber = String(created[this.target.fields.journalBatchNumber]);
    await this.settle(
      item,
      { state: "header_created", journalBatchNumber: item.batchNumber, keepLease: true },
      { journalBatchNumber: item.batchNumber, flatFirstLine: true },
    );
  }

  private lineOperations(item: Work): Changeset["operations"] {
    const { journal } = item;
    const batch = item.batchNumber as string;
    if (this.target.kind === "flat-entity") {
      const target = this.target;
      return journal.lines.slice(1).map((line) => ({
        method: "POST" as const,
        path: `/data/${target.entitySet}`,
        body: flatPayload(journal, line, batch, target),
      }));
    }
    const target = this.target;
    return journal.lines.map((line) => ({
      method: "POST" as const,
      path: "/data/LedgerJournalLines",
      body: linePayload(journal, line, batch, target),
    }));
  }

  private async createLines(items: Work[]): Promise<void> {
    if (items.length === 0) return;
    // Payloads first: a journal whose lines cannot be mapped (say, dimensions without a configured
    // format) fails alone instead of taking its batch with it.
    const operations = new Map<Work, Changeset["operations"]>();
    for (const item of items) {
      try {
        operations.set(item, this.lineOperations(item));
      } catch (error) {
        await this.fail(item, error);
      }
    }
    const mapped = items.filter((item) => operations.has(item));
    for (const group of this.chunks(mapped, (item) => item.journal.lines.length)) {
      await this.guard(group, async () => {
        const withLines = group.filter((item) => (operations.get(item)?.length ?? 0) > 0);
        const results =
          withLines.length === 0
            ? []
            : await sendBatch(
                this.client,
                withLines.map((item) => ({ operations: operations.get(item) ?? [] })),
                this.withinLease(withLines),
              );
        for (const item of group) await this.options.failpoint?.("after-lines-sent", item.claim.key);
        const records: Settlement[] = [];
        for (const item of group) {
          const index = withLines.indexOf(item);
          const result = index < 0 ? { ok: true as const, results: [] } : results[index];
          if (result === undefined) continue;
          if (!result.ok) {
            records.push({ item, ...this.failure(item, result.error) });
            continue;
          }
          item.linesDone = true;
          records.push({
            item,
            changes: {
              state: "lines_created",
              linesConfirmedAt: this.clock.now(),
              keepLease: item.claim.post,
            },
            detail: { lines: item.journal.lines.length },
          });
        }
        await this.settleGroup(records);
        for (const item of group) await this.options.failpoint?.("after-lines-recorded", item.claim.key);
      });
    }
  }

  private async postJournals(items: Work[]): Promise<void> {
    // Postings run at once; their results are recorded together (one commit for the round, not one
    // per journal). A crash before that commit leaves them to the next attempt's reconciliation.
    const records: Settlement[] = [];
    await Promise.all(
      items.map((item) =>
        this.guard([item], async () => {
          try {
            const vouchers = await postJournal(
              this.client,
              item.journal.company,
              item.batchNumber as string,
              {
                ...(this.options.postingPath === undefined ? {} : { path: this.options.postingPath }),
                ...this.withinLease([item]),
              },
            );
            await this.options.failpoint?.("after-post-sent", item.claim.key);
            records.push({
              item,
              changes: { state: "posted", postedAt: this.clock.now(), vouchers },
              detail: { vouchers },
            });
          } catch (error) {
            // "Already posted" after a lost answer: the ledger has the vouchers.
            if (
              error instanceof D365Error &&
              error.code === "D365_BUSINESS_RULE" &&
              /already been posted/i.test(error.message)
            ) {
              const vouchers = await this.postedVouchers(item.journal.company, item.batchNumber as string);
              if (vouchers !== undefined) {
                records.push({
                  item,
                  changes: { state: "posted", postedAt: this.clock.now(), vouchers },
                  detail: { vouchers, reconciled: "posting" },
                });
                return;
              }
            }
            throw error;
          }
        }),
      ),
    );
    await this.guard(
      records.map((record) => record.item),
      () => this.settleGroup(records),
    );
  }

  /** Runs one step for a group; any failure settles every journal of the group not yet settled. */
  private async guard(group: Work[], step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      for (const item of group) if (!item.done) await this.fail(item, error);
    }
  }

  /** What a failure means for the journal: wait and retry, in doubt, or dead. */
  private failure(item: Work, error: unknown): { changes: JournalChanges; detail: Record<string, unknown> } {
    // Anything not classified (the store failed, a bug) may have struck after a write was sent: the
    // journal is in doubt and reconciled before anything is sent again, never sent blind (after
    // maxAttempts it is dead; a redrive reconciles too, as every attempt after the first does).
    const code = isBridgeError(error) ? error.code : "DELIVERY_INTERRUPTED";
    const message = error instanceof Error ? error.message : String(error);
    const detail: Record<string, unknown> = { errorCode: code, error: message };
    if (error instanceof D365Error) {
      detail.status = error.status;
      detail.requestId = error.details.requestId;
      if (error.details.activityId !== undefined) detail.activityId = error.details.activityId;
    }
    let changes: JournalChanges;
    if (isInDoubt(error)) {
      changes = { state: "in_doubt", lastErrorCode: code, lastError: message, availableAt: this.clock.now() };
    } else if (!isBridgeError(error) && item.claim.attempt < this.maxAttempts) {
      changes = {
        state: "in_doubt",
        lastErrorCode: code,
        lastError: message,
        availableAt: this.clock.now() + this.backoff(item.claim.attempt),
      };
    } else if (
      isBridgeError(error) &&
      error.retryable === "yes" &&
      // A lease that ran out sent nothing: the worker stalled, not the journal; never dead for it.
      (item.claim.attempt < this.maxAttempts || code === "DELIVERY_LEASE_EXPIRED")
    ) {
      const retryAfter = error instanceof D365Error ? error.details.retryAfterMs : undefined;
      const wait = retryAfter ?? this.backoff(item.claim.attempt);
      changes = {
        state: "retry_wait",
        lastErrorCode: code,
        lastError: message,
        availableAt: this.clock.now() + wait,
      };
    } else {
      changes = { state: "dead", lastErrorCode: code, lastError: message };
    }
    this.options.logger?.warn(
      { key: item.claim.key, attempt: item.claim.attempt, code, state: changes.state },
      "journal delivery failed",
    );
    return { changes, detail };
  }

  private async fail(item: Work, error: unknown): Promise<void> {
    const { changes, detail } = this.failure(item, error);
    await this.settle(item, changes, detail);
  }

  private backoff(attempt: number): number {
    return Math.floor(this.random() * Math.min(MAX_BACKOFF_MS, DEFAULT_BACKOFF_MS * 2 ** attempt));
  }

  /** Records through the fence; a journal whose lease was lost is dropped from this round. */
  private async settle(
    item: Work,
    changes: JournalChanges,
    detail: Record<string, unknown>,
  ): Promise<boolean> {
    const ok = await this.store.settle(
      item.claim.key,
      item.claim.attempt,
      this.workerId,
      changes,
      detail,
      this.clock.now(),
    );
    this.settled(item, changes, ok);
    return ok;
  }

  private async settleGroup(records: readonly Settlement[]): Promise<void> {
    const results = await this.store.settleMany(
      this.workerId,
      records.map(({ item, changes, detail }) => ({
        key: item.claim.key,
        attempt: item.claim.attempt,
        changes,
        detail,
      })),
      this.clock.now(),
    );
    for (const [index, { item, changes }] of records.entries())
      this.settled(item, changes, results[index] === true);
  }

  private settled(item: Work, changes: JournalChanges, ok: boolean): void {
    if (!ok || !changes.keepLease) item.done = true;
    if (ok)
      this.options.onEvent?.({
        type: "settled",
        key: item.claim.key,
        state: changes.state,
        lines: item.journal.lines.length,
        post: item.claim.post,
        createdAt: item.claim.createdAt,
        at: this.clock.now(),
      });
    else
      this.options.logger?.warn(
        { key: item.claim.key, attempt: item.claim.attempt },
        "lease lost; another worker owns the journal",
      );
  }
}
