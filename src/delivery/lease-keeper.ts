/**
 * Keeps a round's leases while it works, so a slow F&O does not hand its journals to another worker.
 * Beats three times a lease (one late or lost answer still leaves the window open) on an injected
 * scheduler, so tests drive it beat by beat. The send window of a journal moves only when the store
 * confirms, from the time the beat was asked; a journal the store no longer gives this worker is
 * released from the round; a renewal that fails is logged and its window left to close.
 */
import type { Logger } from "pino";
import type { Clock } from "../common/time.js";
import type { OutboxStore } from "../outbox/store.js";

/** Runs `beat` every `everyMs` until the returned function is called. */
export type Scheduler = (beat: () => void, everyMs: number) => () => void;

export const intervalScheduler: Scheduler = (beat, everyMs) => {
  const timer = setInterval(beat, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};

/** What the keeper needs of a journal in a round. */
export interface Leased {
  readonly key: string;
  readonly attempt: number;
  /** The end of the lease this worker last confirmed: no write for the journal leaves after it. */
  sendUntil: number;
  /** Set when the journal leaves the round (settled, or released). */
  done: boolean;
}

export interface LeaseKeeperOptions {
  readonly store: OutboxStore;
  readonly workerId: string;
  readonly clock: Clock;
  readonly leaseMs: number;
  /** Added to the stored lease: how long after the send window a write may still be in flight. */
  readonly writeGraceMs: number;
  readonly schedule?: Scheduler;
  readonly logger?: Logger;
}

export class LeaseKeeper {
  constructor(private readonly options: LeaseKeeperOptions) {}

  /** Keeps the leases of `items` until the returned function is called. */
  keep(items: readonly Leased[]): () => void {
    const every = Math.max(100, Math.floor(this.options.leaseMs / 3));
    return (this.options.schedule ?? intervalScheduler)(() => void this.beat(items), every);
  }

  /** One renewal of the leases still open; resolves when the store has answered. */
  async beat(items: readonly Leased[]): Promise<void> {
    const { store, workerId, clock, leaseMs, writeGraceMs, logger } = this.options;
    const at = clock.now();
    const open = items.filter((item) => !item.done);
    if (open.length === 0) return;
    let held: Set<string>;
    try {
      held = await store.extendLeases(
        workerId,
        open.map((item) => ({ key: item.key, attempt: item.attempt })),
        at + leaseMs + writeGraceMs,
      );
    } catch (error) {
      logger?.warn(
        { err: error instanceof Error ? error.message : String(error), journals: open.length },
        "lease renewal failed; the journals' send windows close at the lease they last confirmed",
      );
      return;
    }
    for (const item of open) {
      if (held.has(item.key)) item.sendUntil = Math.max(item.sendUntil, at + leaseMs);
      else {
        item.done = true;
        logger?.warn(
          { key: item.key, attempt: item.attempt },
          "lease lost; the journal is released from this round",
        );
      }
    }
  }
}
