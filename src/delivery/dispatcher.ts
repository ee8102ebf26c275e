/**
 * The dispatcher keeps F&O busy: exactly `concurrency` senders, each taking the next ready step — a
 * batch of journals at the same step of the protocol — as soon as its last one is recorded, while
 * claims are made ahead in the background. A round of journals no longer waits for its slowest
 * step: journals whose headers are recorded join the next lines request whichever claim they came
 * from, so requests stay full and no slot idles between a round's steps (bench:deliver's timeline).
 *
 * Sizes: a request carries up to `maxOperations`; once nothing more is due, what is left is split
 * evenly over the senders, so the last requests finish together instead of one long request
 * running alone at the end.
 *
 * Leases: each claim's journals are kept (lease-keeper.ts) until every one of them is through, then
 * released together. A step's failure is settled by the protocol for the journals it concerns; a
 * failure to record (the store away) stops the dispatch: claims stop, the steps in flight finish,
 * and the error goes to the caller (whose loop backs off and tries again; leases expire meanwhile).
 */
import type { DeliveryProtocol, Step } from "./protocol.js";
import type { Work } from "./work.js";

/** What one claim brought: the journals to deliver, and what to do when they are all through. */
export interface Claimed {
  /** The journals claimed (some may have been refused before any request: not in `work`). */
  readonly claimed: number;
  readonly work: readonly Work[];
  /** Called once every journal of the claim is through this attempt (releases the leases). */
  readonly finished: () => void;
  /** Deliver this claim alone, before claiming again (the canary after a pause). */
  readonly alone?: boolean;
}

export interface DispatcherOptions {
  readonly protocol: DeliveryProtocol;
  /** Requests in flight: the F&O client's connections. */
  readonly concurrency: number;
  /** Operations per $batch at most. */
  readonly maxOperations: number;
  /** Claims the next journals (prepared: reconciled where needed); undefined when none are due now. */
  readonly claim: () => Promise<Claimed | undefined>;
  /** Claims made at most (`round()`: one); default unlimited. */
  readonly maxClaims?: number;
  /** Journals held at most (pooled and in flight): claims wait below it. Default 8 × 500. */
  readonly maxHeld?: number;
  /**
   * Gives back journals pooled but not yet sent when the dispatch is stopped (their leases end now,
   * not when they expire): a stop finishes the requests in flight, not everything claimed ahead.
   */
  readonly giveBack?: (items: readonly Work[]) => Promise<void>;
}

/**
 * The smallest request the even split at the end makes (operations): below it a request's fixed
 * cost (F&O's ~100 ms) outweighs what splitting gains.
 */
const MIN_OPERATIONS = 100;
const ORDER: readonly Step[] = ["post", "complete", "open"];

interface Pooled {
  readonly item: Work;
  readonly operations: number;
}

export class Dispatcher {
  private readonly pools: Record<Step, Pooled[]> = { open: [], complete: [], post: [] };
  private readonly owner = new Map<Work, { left: number; finished: () => void }>();
  private held = 0;
  private claims = 0;
  private busy = 0;
  private feeding = false;
  /** The most journals one claim brought, and whether the last claim brought as many (a backlog). */
  private largestClaim = 0;
  private lastClaimFull = false;
  /** No more journals due (a claim found none with none held, or `maxClaims` were made). */
  private exhausted = false;
  /**
   * A claim found none while journals are held: those may come due again (in doubt, a retry due
   * now), so the next claim waits until one of them is through instead of ending the run.
   */
  private dry = false;
  /** The last claim found nothing due: requests are sized to finish together (see `size`). */
  private noneDue = false;
  /** Lines operations that the headers requests in flight will make ready. */
  private linesComing = 0;
  /** A claim delivered alone is still going. */
  private alone = false;
  private failure: { error: unknown } | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private claimedCount = 0;

  constructor(private readonly options: DispatcherOptions) {}

  /** Stops: no more claims or requests; the requests in flight finish, what is pooled is given back. */
  stop(): void {
    this.stopping = true;
    this.signal();
  }

  /** Delivers until nothing is due, nothing is pooled and nothing is in flight; returns journals claimed. */
  async run(): Promise<number> {
    this.feed();
    await Promise.all(Array.from({ length: this.options.concurrency }, () => this.sender()));
    // The feeder may still be finishing a claim that found nothing.
    while (this.feeding) await this.changed();
    if (this.stopping && this.failure === undefined) {
      const left = ORDER.flatMap((step) => this.pools[step].splice(0).map((pooled) => pooled.item));
      try {
        if (left.length > 0) await this.options.giveBack?.(left);
      } finally {
        for (const item of left) this.through(item);
      }
    }
    if (this.failure !== undefined) {
      // What a failure left pooled is through for this attempt: its leases are released (the store
      // keeps them until they expire, and the next claim reconciles).
      for (const step of ORDER) for (const pooled of this.pools[step].splice(0)) this.through(pooled.item);
      throw this.failure.error;
    }
    return this.claimedCount;
  }

  private async sender(): Promise<void> {
    for (;;) {
      const next = this.failure === undefined && !this.stopping ? this.take() : undefined;
      if (next !== undefined) {
        this.busy++;
        const coming =
          next.step === "open" ? next.group.reduce((sum, item) => sum + item.compiled.lineCount, 0) : 0;
        this.linesComing += coming;
        try {
          await this.options.protocol.step(next.step, next.group);
          for (const item of next.group) this.route(item);
        } catch (error) {
          this.failure ??= { error };
          for (const item of next.group) this.through(item);
        } finally {
          this.busy--;
          this.linesComing -= coming;
          this.feed();
          this.signal();
        }
        continue;
      }
      if (this.over()) return;
      await this.changed();
    }
  }

  /** Over: nothing pooled or in flight, and no claim coming (none due, or a failure). */
  private over(): boolean {
    const pooled = ORDER.some((step) => this.pools[step].length > 0);
    if (this.failure !== undefined || this.stopping) return this.busy === 0 && !this.feeding;
    return !pooled && this.busy === 0 && !this.feeding && this.exhausted;
  }

  /**
   * The next step's batch: postings first (they finish journals), then lines, then headers — but
   * headers go first while the lines waiting and those the headers in flight will bring are less
   * than two requests per sender: lines work keeps coming instead of every sender turning to
   * headers at once when it runs out (and waiting for their answers).
   */
  private take(): { step: Step; group: Work[] } | undefined {
    const linesWaiting = this.pools.complete.reduce((sum, pooled) => sum + pooled.operations, 0);
    const primeOpen =
      this.pools.open.length > 0 &&
      linesWaiting + this.linesComing < 2 * this.options.concurrency * this.options.maxOperations;
    for (const step of primeOpen ? (["post", "open", "complete"] as const) : ORDER) {
      const pool = this.pools[step];
      if (pool.length === 0) continue;
      // A package takes claims whole: an idle sender does not start one with a claim's first few.
      const packageLines = step === "open" ? this.options.protocol.packageLines : undefined;
      // Only while claims come full (a backlog): a trickle's journals go as they come.
      if (
        packageLines !== undefined &&
        this.feeding &&
        this.lastClaimFull &&
        this.pooledLines() < packageLines
      )
        continue;
      // A posting is one request per journal.
      if (step === "post") return { step, group: [(pool.shift() as Pooled).item] };
      // A headers request is sized by the lines it makes ready: as many journals as fill one lines
      // request. Filled with headers alone, it kept four times the lines waiting for its answer.
      const weight = (pooled: Pooled) =>
        step === "open" ? Math.max(pooled.operations, pooled.item.compiled.lineCount) : pooled.operations;
      // Packages go one import at a time: splitting the rest among the senders only adds imports.
      const limit = packageLines ?? this.size();
      const group: Work[] = [];
      let load = 0;
      while (pool.length > 0) {
        const next = pool[0] as Pooled;
        if (group.length > 0 && load + weight(next) > limit) break;
        pool.shift();
        group.push(next.item);
        load += weight(next);
      }
      return { step, group };
    }
    return undefined;
  }

  /**
   * Full requests while more may come; once nothing more is due, a share of every operation still to
   * send (the lines of journals whose headers are not yet written included): half of an even split
   * over the senders, so requests shrink as the work does and the senders finish together instead
   * of one long request running alone at the end (guided self-scheduling).
   */
  private size(): number {
    const max = this.options.maxOperations;
    if (!this.exhausted && !this.noneDue) return max;
    let left = 0;
    for (const item of this.owner.keys()) left += this.operationsLeft(item);
    return Math.max(MIN_OPERATIONS, Math.min(max, Math.ceil(left / (2 * this.options.concurrency))));
  }

  /** Operations a held journal still needs: its header and lines when not yet opened. */
  private operationsLeft(item: Work): number {
    const step = this.options.protocol.next(item);
    if (step === undefined) return 0;
    if (step === "open") return 1 + item.compiled.lineCount;
    return this.options.protocol.operations(item, step);
  }

  /** Where a journal goes after a step: the next step's pool, or through. */
  private route(item: Work): void {
    const step = this.options.protocol.next(item);
    if (step === undefined) {
      this.through(item);
      return;
    }
    this.pools[step].push({ item, operations: this.options.protocol.operations(item, step) });
  }

  private through(item: Work): void {
    const owner = this.owner.get(item);
    if (owner === undefined) return;
    this.owner.delete(item);
    this.held--;
    this.dry = false;
    owner.left--;
    if (owner.left === 0) owner.finished();
  }

  /** Lines of the journals waiting to be opened. */
  private pooledLines(): number {
    return this.pools.open.reduce((sum, pooled) => sum + pooled.item.compiled.lineCount, 0);
  }

  /** Operations pooled, counting a journal not yet opened as its whole. */
  private pooledOperations(): number {
    let total = 0;
    for (const step of ORDER)
      for (const pooled of this.pools[step]) total += this.operationsLeft(pooled.item);
    return total;
  }

  /**
   * Claims ahead, one claim at a time, while the pools hold less than a full request per sender and
   * fewer journals than `maxHeld` are held.
   */
  private feed(): void {
    if (
      this.feeding ||
      this.exhausted ||
      this.dry ||
      this.alone ||
      this.stopping ||
      this.failure !== undefined
    )
      return;
    const { concurrency, maxOperations, maxClaims } = this.options;
    // Two requests' worth per sender ahead: a claim takes a while (store, compile, reconcile).
    if (this.pooledOperations() >= 2 * concurrency * maxOperations) return;
    if (this.held >= (this.options.maxHeld ?? 4000)) return;
    this.feeding = true;
    void this.claimOnce().finally(() => {
      this.feeding = false;
      if (maxClaims !== undefined && this.claims >= maxClaims) this.exhausted = true;
      this.feed();
      this.signal();
    });
  }

  private async claimOnce(): Promise<void> {
    let claimed: Claimed | undefined;
    try {
      claimed = await this.options.claim();
    } catch (error) {
      this.failure ??= { error };
      return;
    }
    this.claims++;
    this.noneDue = claimed === undefined || claimed.claimed === 0;
    if (claimed === undefined || claimed.claimed === 0) {
      claimed?.finished();
      // undefined: none may be claimed now (stopping, paused); 0: none due, unless some held come due.
      if (claimed === undefined || this.held === 0) this.exhausted = true;
      else this.dry = true;
      return;
    }
    this.claimedCount += claimed.claimed;
    this.largestClaim = Math.max(this.largestClaim, claimed.claimed);
    this.lastClaimFull = claimed.claimed >= this.largestClaim;
    const open = claimed.work.filter((item) => this.options.protocol.next(item) !== undefined);
    const finished = claimed.finished;
    if (open.length === 0) {
      finished();
      return;
    }
    const owner = {
      left: open.length,
      finished: claimed.alone
        ? () => {
            this.alone = false;
            finished();
            this.feed();
          }
        : finished,
    };
    if (claimed.alone) this.alone = true;
    for (const item of open) {
      this.owner.set(item, owner);
      this.held++;
      this.route(item);
    }
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.wake;
      this.wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
