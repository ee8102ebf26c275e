/**
 * Whether the delivery worker is alive, from what it last reported: one pure function for /readyz,
 * /v1/overview, the dashboard and /metrics.
 *
 * The worker reports the time it last made progress (a round completed, or a journal's step was
 * recorded). It is `stalled` when that is older than the stall bound while F&O did not ask it to
 * wait, `failing` while its rounds fail (the store unreachable, the target refused), `starting` before
 * its first report, `paused` while F&O refuses the environment and delivery waits for a probe
 * (pause.ts) — none of these is ready.
 */
import type { WorkerHealth } from "./engine.js";
import type { PauseReport } from "./pause.js";

export type WorkerState = "ok" | "starting" | "failing" | "stalled" | "paused";

export interface Liveness {
  readonly state: WorkerState;
  readonly lastProgressAt: number | null;
  readonly lastProgressAgeMs: number | null;
  readonly failingRounds: number;
  readonly lastFailure?: string;
  readonly paused?: PauseReport;
}

export function liveness(
  health: WorkerHealth | undefined,
  now: number,
  stallAfterMs: number,
  /** How long F&O still asks to wait (a throttle pause is not a stall). */
  pausedForMs = 0,
): Liveness {
  if (health === undefined)
    return { state: "starting", lastProgressAt: null, lastProgressAgeMs: null, failingRounds: 0 };
  const age = Math.max(0, now - health.lastProgressAt);
  const state: WorkerState =
    health.paused !== undefined
      ? "paused"
      : health.failingRounds > 0
        ? "failing"
        : age > stallAfterMs && pausedForMs <= 0
          ? "stalled"
          : "ok";
  return {
    state,
    lastProgressAt: health.lastProgressAt,
    lastProgressAgeMs: age,
    failingRounds: health.failingRounds,
    ...(health.lastFailure === undefined ? {} : { lastFailure: health.lastFailure }),
    ...(health.paused === undefined ? {} : { paused: health.paused }),
  };
}
