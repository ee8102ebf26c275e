/**
 * Delivery latency for /metrics: from the moment a journal entered the outbox to the moment it reached
 * a final state, as a Prometheus histogram per final state. Fed by the delivery engine's events.
 */
import type { EngineEvent } from "../delivery/engine.js";
import { isDelivered, type JournalState } from "../outbox/states.js";

/** Seconds: delivery ranges from sub-second (emulator) to hours (throttled or retried). */
export const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

/** Delivered, or given up on: the states a journal stops in. */
function isFinal(state: JournalState, post: boolean): boolean {
  return state === "dead" || isDelivered(state, post);
}

interface Series {
  readonly buckets: number[];
  count: number;
  sum: number;
}

export class DeliveryMetrics {
  private readonly series = new Map<string, Series>();

  /** An engine onEvent handler. */
  readonly observe = (event: EngineEvent): void => {
    if (event.type !== "settled" || !isFinal(event.state, event.post)) return;
    const seconds = Math.max(0, event.at - event.createdAt) / 1000;
    let series = this.series.get(event.state);
    if (series === undefined) {
      series = { buckets: LATENCY_BUCKETS.map(() => 0), count: 0, sum: 0 };
      this.series.set(event.state, series);
    }
    for (const [index, bound] of LATENCY_BUCKETS.entries())
      if (seconds <= bound) series.buckets[index] = (series.buckets[index] ?? 0) + 1;
    series.count++;
    series.sum += seconds;
  };

  /** Prometheus text exposition lines. */
  lines(): string[] {
    const out = [
      "# HELP ledger_bridge_delivery_seconds Time from entering the outbox to a final state, by that state.",
      "# TYPE ledger_bridge_delivery_seconds histogram",
    ];
    for (const [state, series] of [...this.series].sort(([a], [b]) => a.localeCompare(b))) {
      for (const [index, bound] of LATENCY_BUCKETS.entries())
        out.push(
          `ledger_bridge_delivery_seconds_bucket{state="${state}",le="${bound}"} ${series.buckets[index]}`,
        );
      out.push(`ledger_bridge_delivery_seconds_bucket{state="${state}",le="+Inf"} ${series.count}`);
      out.push(`ledger_bridge_delivery_seconds_sum{state="${state}"} ${series.sum}`);
      out.push(`ledger_bridge_delivery_seconds_count{state="${state}"} ${series.count}`);
    }
    return out;
  }
}
