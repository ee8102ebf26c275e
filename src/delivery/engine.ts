/**
 * The delivery engine: takes journals from the outbox and delivers each exactly once, to whichever
 * target is configured (src/d365/targets/). It claims rounds of due journals, compiles each again for
 * the target (one that no longer fits is dead before any request), keeps their leases while the round
 * works, and hands them to the protocol. The concerns live apart:
 *
 * - protocol.ts — the steps: reconcile by marker, open (header / first line), complete, post;
 * - failure-policy.ts — what a failure means for a journal (retry, in doubt, dead): a pure function;
 * - lease-keeper.ts — the heartbeat, on the injected clock and scheduler;
 * - settlement.ts — records through the fence, events for metrics and progress.
 *
 * Every record is fenced by the attempt number of the claim: a worker that lost its lease records
 * nothing (DESIGN.md §6, docs/reliability.md).
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { type Clock, realSleepFn, type Sleep, systemClock } from "../common/time.js";
import { DEFAULTS } from "../config/defaults.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { D365Client } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import { createTarget, type JournalTarget } from "../d365/targets/index.js";
import { isSettled } from "../outbox/states.js";
import type { JournalSelection, OutboxStore, SelectionProgress, StoredJournal } from "../outbox/store.js";
import { type Claimed, Dispatcher } from "./dispatcher.js";
import { fromPayload } from "./journal-record.js";
import { LeaseKeeper, type Scheduler } from "./lease-keeper.js";
import { DeliveryPause, isEnvironmentWide, type PauseChange, type PauseReport } from "./pause.js";
import { DeliveryProtocol } from "./protocol.js";
import { Settlements } from "./settlement.js";
import type { EngineEvent, Failpoint, Work } from "./work.js";

export type { EngineEvent, Failpoint } from "./work.js";

export interface EngineOptions {
  readonly store: OutboxStore;
  readonly client: D365Client;
  /** Where journals go (default: the ledger-journal target without a dimension format). */
  readonly target?: JournalTarget;
  readonly postingPath?: string;
  readonly workerId?: string;
  /** Journals claimed at a time (default 250). */
  readonly batchSize?: number;
  /** Requests in flight to F&O: the dispatcher's senders (default 8, the client's connections). */
  readonly concurrency?: number;
  /**
   * Operations per $batch request (default 2,000; F&O allows 5,000). Measured with bench:deliver:
   * 2,000 kept the most of the model's limit (1,000: a tenth of each request was its fixed cost;
   * 5,000: requests of 10 s left slots idle at every turn and at the end).
   */
  readonly maxBatchOperations?: number;
  /** How long a claim (or a heartbeat) gives the worker to send writes for its journals (default 60,000). */
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
  /** Runs the lease heartbeat (default: setInterval); tests beat by hand. */
  readonly schedule?: Scheduler;
  readonly onEvent?: (event: EngineEvent) => void;
  /** Told when `runUntilSettled` waits for journals that are due later or leased elsewhere. */
  readonly onWait?: (waitMs: number, journals: number) => void;
  /** Test hook: called at named points of the protocol (crash tests kill the process there). */
  readonly failpoint?: (name: Failpoint, key: string) => void | Promise<void>;
  /** Waits between probes while delivery is paused (default pause.ts PROBE_DELAYS_MS). */
  readonly probeDelaysMs?: readonly number[];
  /** Told when delivery pauses, a probe fails, and when it resumes (webhooks, the store's record). */
  readonly onPause?: (change: PauseChange) => void;
}

/** What `health()` tells. */
export interface WorkerHealth {
  /** When the worker last made progress: a round completed or a step was recorded (ms since the epoch). */
  readonly lastProgressAt: number;
  /** Rounds that failed in a row since. */
  readonly failingRounds: number;
  readonly lastFailure?: string;
  /** Set while F&O refuses the environment as a whole and delivery waits for a probe. */
  readonly paused?: PauseReport;
}

const MAX_LOOP_BACKOFF_MS = 30_000;
const DEFAULT_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 600_000;

export class DeliveryEngine {
  private readonly store: OutboxStore;
  private readonly client: D365Client;
  private readonly target: JournalTarget;
  readonly workerId: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxBatchOperations: number;
  private readonly leaseMs: number;
  private readonly writeGraceMs: number;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly settlements: Settlements;
  private readonly protocol: DeliveryProtocol;
  private readonly leases: LeaseKeeper;
  private readonly pause: DeliveryPause;
  private prepared: Promise<void> | undefined;
  private stopping = false;
  /** Aborts the loops' waits when the engine stops (a backoff can be 30 s). */
  private readonly stopped = new AbortController();
  private lastProgressAt: number;
  private failures = 0;
  private lastFailure: string | undefined;

  constructor(private readonly options: EngineOptions) {
    this.store = options.store;
    this.client = options.client;
    this.target = options.target ?? createTarget();
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.batchSize = options.batchSize ?? DEFAULTS.batchSize;
    this.concurrency = options.concurrency ?? DEFAULTS.concurrency;
    this.maxBatchOperations = options.maxBatchOperations ?? DEFAULTS.maxBatchOperations;
    this.leaseMs = options.leaseMs ?? DEFAULTS.leaseMs;
    this.writeGraceMs = options.writeGraceMs ?? Math.ceil(options.client.timeoutMs * 1.1);
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleepFn;
    this.random = options.random ?? Math.random;
    this.lastProgressAt = this.clock.now();
    this.pause = new DeliveryPause({
      clock: this.clock,
      ...(options.probeDelaysMs ? { delaysMs: options.probeDelaysMs } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.onPause ? { onChange: options.onPause } : {}),
    });
    this.settlements = new Settlements({
      pause: this.pause,
      store: this.store,
      workerId: this.workerId,
      clock: this.clock,
      maxAttempts: options.maxAttempts ?? DEFAULTS.maxAttempts,
      backoffMs: (attempt) => this.backoff(attempt),
      onProgress: () => {
        this.lastProgressAt = this.clock.now();
      },
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    this.protocol = new DeliveryProtocol({
      client: this.client,
      target: this.target,
      settlements: this.settlements,
      clock: this.clock,
      maxBatchOperations: this.maxBatchOperations,
      sleep: this.sleep,
      signal: this.stopped.signal,
      ...(options.postingPath === undefined ? {} : { postingPath: options.postingPath }),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.failpoint ? { failpoint: options.failpoint } : {}),
    });
    this.leases = new LeaseKeeper({
      store: this.store,
      workerId: this.workerId,
      clock: this.clock,
      leaseMs: this.leaseMs,
      writeGraceMs: this.writeGraceMs,
      ...(options.schedule ? { schedule: options.schedule } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /**
   * Stops claiming; the requests in flight finish and are recorded, and the journals claimed ahead
   * but not yet sent are given back (their leases end now).
   */
  stop(): void {
    this.stopping = true;
    this.stopped.abort();
    for (const dispatcher of this.dispatching) dispatcher.stop();
  }

  /** The dispatches running now (runUntilIdle, round), for stop(). */
  private readonly dispatching = new Set<Dispatcher>();

  /**
   * Checks the target against the environment once, before the first claim: a target through which
   * delivery cannot be exactly once (a flat entity with no field for the marker) refuses to start
   * with CONFIG_INVALID, and nothing is claimed. A failed check is asked again next time.
   */
  prepare(): Promise<void> {
    if (this.prepared === undefined) {
      this.prepared = this.target.prepare(this.client);
      this.prepared.catch(() => {
        this.prepared = undefined;
      });
    }
    return this.prepared;
  }

  /**
   * Delivers until nothing is due (used by `post`); returns how many journals were claimed. While
   * delivery is paused it returns as soon as a probe is not yet due (`runUntilSettled` waits for it).
   */
  async runUntilIdle(): Promise<number> {
    if (this.stopping) return 0;
    return this.dispatch(this.dispatcher(() => this.claimNext()));
  }

  private async dispatch(dispatcher: Dispatcher): Promise<number> {
    this.dispatching.add(dispatcher);
    try {
      return await dispatcher.run();
    } finally {
      this.dispatching.delete(dispatcher);
    }
  }

  /** A dispatcher over this engine's protocol, claiming with `claim`. */
  private dispatcher(claim: () => Promise<Claimed | undefined>, maxClaims?: number): Dispatcher {
    return new Dispatcher({
      protocol: this.protocol,
      concurrency: this.concurrency,
      maxOperations: this.maxBatchOperations,
      claim,
      // Enough for every sender's next request twice over, and no more in memory.
      maxHeld: Math.max(this.batchSize * 2, this.concurrency * this.batchSize * 2),
      ...(maxClaims === undefined ? {} : { maxClaims }),
      // In one call per chunk (settleMany), the state unchanged: the trail says why the lease ended.
      giveBack: async (items) => {
        await this.store.settleMany(
          this.workerId,
          items.map((item) => ({
            key: item.key,
            attempt: item.attempt,
            changes: { state: item.state },
            detail: { givenBack: "the worker stopped before sending it" },
          })),
          this.clock.now(),
        );
      },
    });
  }

  /**
   * The next claim, once the gate lets one through (none when stopping or paused with a probe not
   * yet due); a canary after a pause is one journal, delivered alone.
   */
  private async claimNext(): Promise<Claimed | undefined> {
    for (;;) {
      if (this.stopping) return undefined;
      const gate = await this.gate();
      if (gate.waitMs !== undefined) {
        if (gate.waitMs === 0) continue;
        return undefined;
      }
      let claimed: Claimed;
      try {
        claimed = await this.claimSet(gate.canary ? 1 : this.batchSize);
      } catch (error) {
        if (gate.canary) this.pause.canaryDone();
        throw error;
      }
      this.roundDone();
      if (!gate.canary) return claimed;
      return {
        ...claimed,
        alone: true,
        finished: () => {
          claimed.finished();
          this.pause.canaryDone();
        },
      };
    }
  }

  /**
   * Delivers until every journal named is settled — delivered, dead or cancelled (used by `post` with
   * its run's selection, and by `watch --once` with keys): waits for journals that are due later (a
   * retry, a throttle pause) or leased by a worker that may have died, up to `maxWaitMs`. Returns how
   * many are still pending then.
   */
  async runUntilSettled(journals: readonly string[] | JournalSelection, maxWaitMs: number): Promise<number> {
    const deadline = this.clock.now() + maxWaitMs;
    for (;;) {
      await this.runUntilIdle();
      const { pending, nextDueAt } = await this.progressOf(journals);
      if (pending === 0 || nextDueAt === null || this.stopping) return pending;
      const now = this.clock.now();
      const due = Math.max(this.pause.current()?.nextProbeAt ?? 0, nextDueAt);
      if (due > deadline) return pending;
      this.options.onWait?.(Math.max(0, due - now), pending);
      await this.sleep(Math.max(50, due - now + 1));
    }
  }

  /** A selection's progress is one store query; named keys are looked up one by one (a few files' worth). */
  private async progressOf(
    journals: readonly string[] | JournalSelection,
  ): Promise<Pick<SelectionProgress, "pending" | "nextDueAt">> {
    if (!Array.isArray(journals)) return this.store.progress(journals as JournalSelection);
    let pending = 0;
    let nextDueAt: number | null = null;
    for (const key of journals as readonly string[]) {
      const journal = await this.store.get(key);
      if (journal === undefined || isSettled(journal.state, journal.post)) continue;
      pending++;
      nextDueAt = Math.min(
        nextDueAt ?? Number.POSITIVE_INFINITY,
        Math.max(journal.availableAt, journal.leaseUntil ?? 0),
      );
    }
    return { pending, nextDueAt };
  }

  /**
   * How the worker is doing, for readiness: when a round last completed (a claim that found nothing
   * counts), and how many rounds in a row have failed since (the store unreachable, the target refused).
   */
  health(): WorkerHealth {
    return {
      lastProgressAt: this.lastProgressAt,
      failingRounds: this.failures,
      ...(this.lastFailure === undefined ? {} : { lastFailure: this.lastFailure }),
      ...(this.pause.current() === undefined ? {} : { paused: this.pause.current() }),
    };
  }

  /**
   * Whether a loop may claim now (`canary`: one journal first after a pause), or how long to wait
   * (0: ask again at once). A due probe is run here by the one loop that was told to; `prepare`
   * refused for the environment's sake pauses delivery like a journal's request.
   */
  private async gate(): Promise<{ canary: boolean; waitMs?: undefined } | { waitMs: number }> {
    const admission = this.pause.admit();
    if (admission.go) {
      try {
        await this.prepare();
      } catch (error) {
        if (admission.canary) this.pause.canaryDone();
        if (!isEnvironmentWide(error)) throw error;
        this.pause.hold(error);
        return { waitMs: 0 };
      }
      return { canary: admission.canary };
    }
    if ("waitMs" in admission) return { waitMs: admission.waitMs };
    let failure: unknown;
    try {
      // A read of the target's first entity set: a token F&O accepts, the app known, read privilege.
      await new Entities(this.client).queryAll(
        this.target.entitySets[0] as string,
        { top: 1 },
        this.stopped.signal,
      );
    } catch (error) {
      failure = error;
    }
    this.pause.probed(failure);
    return { waitMs: 0 };
  }

  /**
   * Delivers forever until stopped (used by `serve`), sleeping `idleMs` when nothing is due. A round
   * that fails is logged at error and the loop goes on after a backoff that grows with each failure
   * in a row (to 30 s): the loop never dies silently, and heals when the store or F&O comes back.
   */
  async run(idleMs = 1000): Promise<void> {
    while (!this.stopping) {
      let wait = 0;
      try {
        if ((await this.runUntilIdle()) === 0) wait = idleMs;
      } catch (error) {
        this.failures++;
        this.lastFailure = error instanceof Error ? error.message : String(error);
        wait = Math.min(MAX_LOOP_BACKOFF_MS, idleMs * 2 ** Math.min(this.failures, 10));
        this.options.logger?.error(
          {
            code: error instanceof BridgeError ? error.code : "DELIVERY_INTERRUPTED",
            err: this.lastFailure,
            failingRounds: this.failures,
            retryInMs: wait,
          },
          "delivery round failed; the worker goes on after a pause",
        );
      }
      if (wait > 0 && !this.stopping) await this.sleep(wait, this.stopped.signal).catch(() => undefined);
    }
  }

  private roundDone(): void {
    this.lastProgressAt = this.clock.now();
    if (this.failures > 0)
      this.options.logger?.warn({ failingRounds: this.failures }, "delivery rounds succeed again");
    this.failures = 0;
    this.lastFailure = undefined;
  }

  /** Claims one batch of due journals (`limit`, default the batch size) and takes each as far as it goes. */
  async round(limit = this.batchSize): Promise<number> {
    return this.dispatch(this.dispatcher(() => this.claimSet(limit), 1));
  }

  /** Claims up to `limit` due journals, compiles them, keeps their leases and reconciles where needed. */
  private async claimSet(limit: number): Promise<Claimed> {
    // The store keeps the journals for the lease plus the write grace; this worker sends writes only
    // within the lease, so a write can still be in flight only while no other worker may claim.
    const claimedAt = this.clock.now();
    const claimed = await this.store.claim(this.workerId, limit, this.leaseMs + this.writeGraceMs, claimedAt);
    if (claimed.length === 0) return { claimed: 0, work: [], finished: () => undefined };
    const work: Work[] = [];
    for (const [index, claim] of claimed.entries()) {
      await this.options.failpoint?.("after-claim", claim.key);
      const item = await this.compiled(claim, claimedAt + this.leaseMs);
      if (item !== undefined) work.push(item);
      // Compiling is the worker's heaviest local work: the event loop runs between slices of it,
      // so the dispatcher's senders answer and send meanwhile (bench:deliver's timeline dipped).
      if (index % 25 === 24) await new Promise((resolve) => setImmediate(resolve));
    }
    const release = this.leases.keep(work);
    try {
      await this.protocol.prepare(work);
    } catch (error) {
      release();
      throw error;
    }
    return { claimed: claimed.length, work, finished: release };
  }

  /**
   * The claimed journal compiled for the target again (the configuration may have changed since it
   * was stored): one that no longer fits is dead with the target's code before any request.
   */
  private async compiled(claim: StoredJournal, sendUntil: number): Promise<Work | undefined> {
    const journal = await fromPayload(claim.payload);
    const result = this.target.compile(journal, claim.marker);
    const base = {
      key: claim.key,
      attempt: claim.attempt,
      sendUntil,
      done: false,
      claim,
      journal,
      state: claim.state,
    };
    if (result.ok)
      return {
        ...base,
        compiled: result.compiled,
        batchNumber: claim.journalBatchNumber,
        linesDone: claim.linesConfirmedAt !== null,
      };
    await this.settlements.refuse(claim, journal, result.problems);
    return undefined;
  }

  private backoff(attempt: number): number {
    return Math.floor(this.random() * Math.min(MAX_BACKOFF_MS, DEFAULT_BACKOFF_MS * 2 ** attempt));
  }
}
