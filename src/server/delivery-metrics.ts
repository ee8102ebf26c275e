/**
 * What this process's delivery worker did, fed by the engine's events: delivery latency (from entering
 * the outbox to a final state) as a Prometheus histogram per final state for /metrics, and the last
 * hour minute by minute (journals delivered and dead, latency percentiles) for the dashboard's charts.
 */
import { Histogram } from "prom-client";
import type { EngineEvent } from "../delivery/engine.js";
import { isDelivered, type JournalState } from "../outbox/states.js";

/** Seconds: delivery ranges from sub-second (emulator) to hours (throttled or retried). */
export const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

/** Delivered, or given up on: the states a journal stops in. */
function isFinal(state: JournalState, post: boolean): boolean {
  return state === "dead" || isDelivered(state, post);
}

/** One minute of the last hour. */
export interface ActivityMinute {
  /** The minute's start (ISO 8601). */
  readonly minute: string;
  readonly delivered: number;
  readonly dead: number;
  /** Delivery latency of the journals delivered in the minute (ms), or null when none were. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

interface Minute {
  readonly start: number;
  delivered: number;
  dead: number;
  /** A uniform sample of the minute's latencies (reservoir), enough for percentiles. */
  readonly sample: number[];
}

const MINUTE_MS = 60_000;
const WINDOW_MINUTES = 60;
const SAMPLE_SIZE = 1024;

function percentile(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? null;
}

export class DeliveryMetrics {
  /** Registered by the API's registry (src/server/prometheus.ts); kept here, where events arrive. */
  readonly latency = new Histogram({
    name: "ledger_bridge_delivery_seconds",
    help: "Time from entering the outbox to a final state, by that state.",
    labelNames: ["state"],
    buckets: [...LATENCY_BUCKETS],
    registers: [],
  });
  private readonly minutes: Minute[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  /** An engine onEvent handler. */
  readonly observe = (event: EngineEvent): void => {
    if (event.type !== "settled" || !isFinal(event.state, event.post)) return;
    this.latency.observe({ state: event.state }, Math.max(0, event.at - event.createdAt) / 1000);
    this.record(event.at, event.state === "dead", Math.max(0, event.at - event.createdAt));
  };

  private record(at: number, dead: boolean, latencyMs: number): void {
    const start = at - (at % MINUTE_MS);
    let minute = this.minutes.at(-1);
    if (minute === undefined || minute.start < start) {
      minute = { start, delivered: 0, dead: 0, sample: [] };
      this.minutes.push(minute);
      while (this.minutes.length > WINDOW_MINUTES + 1) this.minutes.shift();
    } else if (minute.start > start) {
      // A late event for an earlier minute: counted where it belongs, if still kept.
      minute = this.minutes.find((each) => each.start === start);
      if (minute === undefined) return;
    }
    if (dead) {
      minute.dead++;
      return;
    }
    minute.delivered++;
    if (minute.sample.length < SAMPLE_SIZE) minute.sample.push(latencyMs);
    else {
      const slot = Math.floor(this.random() * minute.delivered);
      if (slot < SAMPLE_SIZE) minute.sample[slot] = latencyMs;
    }
  }

  /** The last hour up to `now`, one entry per minute, oldest first (minutes without work are zeros). */
  activity(now: number): ActivityMinute[] {
    const last = now - (now % MINUTE_MS);
    const byStart = new Map(this.minutes.map((minute) => [minute.start, minute]));
    const out: ActivityMinute[] = [];
    for (let start = last - (WINDOW_MINUTES - 1) * MINUTE_MS; start <= last; start += MINUTE_MS) {
      const minute = byStart.get(start);
      const sorted = [...(minute?.sample ?? [])].sort((a, b) => a - b);
      out.push({
        minute: new Date(start).toISOString(),
        delivered: minute?.delivered ?? 0,
        dead: minute?.dead ?? 0,
        p50Ms: percentile(sorted, 0.5),
        p95Ms: percentile(sorted, 0.95),
      });
    }
    return out;
  }
}
