/**
 * Service protection, client side: one pause shared by every request to an environment (a single
 * throttled answer holds them all back, since F&O lengthens Retry-After for clients that keep
 * pushing), and a cap on requests in flight.
 */
import type { Clock, Sleep } from "../common/time.js";

export class ThrottleGate {
  private pausedUntil = 0;

  constructor(
    private readonly clock: Clock,
    private readonly sleep: Sleep,
  ) {}

  /** Holds every request back for `ms` from now; a pause is extended, never shortened. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  remainingMs(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  async wait(signal?: AbortSignal): Promise<void> {
    for (let left = this.remainingMs(); left > 0; left = this.remainingMs()) await this.sleep(left, signal);
  }
}

/** At most `max` tasks at once; the rest queue in order. */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}
