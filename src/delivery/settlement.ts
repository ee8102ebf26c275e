/**
 * Settlement bookkeeping: records a step's outcome through the store's fence and keeps the round's
 * view in step — a journal is done for the round when it is released or its lease was lost; every
 * recorded step is told to `onEvent` (metrics, progress bars).
 */
import type { Logger } from "pino";
import type { Clock } from "../common/time.js";
import { isBridgeError } from "../core/errors/bridge-error.js";
import type { Journal } from "../core/journal.js";
import type { TargetProblem } from "../d365/targets/index.js";
import type { JournalState } from "../outbox/states.js";
import type { JournalChanges, OutboxStore, StoredJournal } from "../outbox/store.js";
import { type FailureOutcome, journalFailure } from "./failure-policy.js";
import { type DeliveryPause, isEnvironmentWide } from "./pause.js";
import type { EngineEvent, Settlement, Work } from "./work.js";

export interface SettlementOptions {
  readonly store: OutboxStore;
  readonly workerId: string;
  readonly clock: Clock;
  readonly maxAttempts: number;
  readonly backoffMs: (attempt: number) => number;
  readonly logger?: Logger;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Told whenever a step was recorded: the worker is making progress. */
  readonly onProgress?: () => void;
  /** Environment-wide refusals pause delivery instead of failing the journal (pause.ts). */
  readonly pause?: DeliveryPause;
}

export class Settlements {
  constructor(private readonly options: SettlementOptions) {}

  /**
   * What a failure means for this journal (failure-policy.ts), logged. A refusal of the whole
   * environment is no fault of the journal: it stays in the state it reached, due at the next probe.
   */
  outcome(item: Work, error: unknown): FailureOutcome {
    const { pause } = this.options;
    if (pause !== undefined && isEnvironmentWide(error)) {
      const code = isBridgeError(error) ? error.code : "AUTH_FAILED";
      const message = error instanceof Error ? error.message : String(error);
      return {
        changes: {
          state: item.state,
          lastErrorCode: code,
          lastError: message,
          availableAt: pause.hold(error),
        },
        detail: { errorCode: code, error: message, paused: true },
      };
    }
    const outcome = journalFailure(error, {
      attempt: item.attempt,
      maxAttempts: this.options.maxAttempts,
      now: this.options.clock.now(),
      backoffMs: this.options.backoffMs(item.attempt),
    });
    this.options.logger?.warn(
      { key: item.key, attempt: item.attempt, code: outcome.detail.errorCode, state: outcome.changes.state },
      "journal delivery failed",
    );
    return outcome;
  }

  async fail(item: Work, error: unknown): Promise<void> {
    const { changes, detail } = this.outcome(item, error);
    await this.one(item, changes, detail);
  }

  /** Records through the fence; a journal whose lease was lost is dropped from this round. */
  async one(item: Work, changes: JournalChanges, detail: Record<string, unknown>): Promise<boolean> {
    const { store, workerId, clock } = this.options;
    const ok = await store.settle(item.key, item.attempt, workerId, changes, detail, clock.now());
    this.settled(item, changes, detail, ok);
    return ok;
  }

  /**
   * A claimed journal the target cannot carry (compiled again at claim time): dead with the target's
   * first problem, every problem in the trail, nothing sent.
   */
  async refuse(claim: StoredJournal, journal: Journal, problems: readonly TargetProblem[]): Promise<void> {
    const { store, workerId, clock, logger } = this.options;
    const code = problems[0]?.code ?? "CONFIG_INVALID";
    const message = problems
      .map((problem) => `${problem.line === undefined ? "" : `line ${problem.line + 1}: `}${problem.detail}`)
      .join(" ");
    const ok = await store.settle(
      claim.key,
      claim.attempt,
      workerId,
      { state: "dead", lastErrorCode: code, lastError: message },
      { errorCode: code, error: message, problems, sent: false },
      clock.now(),
    );
    logger?.warn(
      { key: claim.key, attempt: claim.attempt, code },
      "journal no longer fits the target; dead before sending",
    );
    if (ok) this.tell(claim, "dead", journal.lines.length);
  }

  /** Tells `onEvent` of a recorded step (metrics, progress bars). */
  private tell(claim: StoredJournal, state: JournalState, lines: number): void {
    this.options.onEvent?.({
      type: "settled",
      key: claim.key,
      state,
      lines,
      post: claim.post,
      createdAt: claim.createdAt,
      at: this.options.clock.now(),
    });
  }

  /** Several journals' outcomes in few transactions (one commit per chunk, not per journal). */
  async many(records: readonly Settlement[]): Promise<void> {
    if (records.length === 0) return;
    const { store, workerId, clock } = this.options;
    const results = await store.settleMany(
      workerId,
      records.map(({ item, changes, detail }) => ({ key: item.key, attempt: item.attempt, changes, detail })),
      clock.now(),
    );
    for (const [index, { item, changes, detail }] of records.entries())
      this.settled(item, changes, detail, results[index] === true);
  }

  private settled(item: Work, changes: JournalChanges, detail: Record<string, unknown>, ok: boolean): void {
    if (!ok || !changes.keepLease) item.done = true;
    this.options.onProgress?.();
    if (ok) item.state = changes.state;
    if (ok && detail.paused !== true) this.options.pause?.passed();
    if (ok) this.tell(item.claim, changes.state, item.journal.lines.length);
    else
      this.options.logger?.warn(
        { key: item.key, attempt: item.attempt },
        "lease lost; another worker owns the journal",
      );
  }
}
