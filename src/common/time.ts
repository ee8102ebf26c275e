/**
 * Time as a dependency: everything that waits or reads the clock takes these, so tests run retries,
 * throttle pauses and leases on a fake clock instead of waiting in real time.
 */
import { setTimeout as realSleep } from "node:timers/promises";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const systemClock: Clock = { now: () => Date.now() };

export const realSleepFn: Sleep = async (ms, signal) => {
  await realSleep(ms, undefined, signal === undefined ? undefined : { signal });
};
