/**
 * /metrics through prom-client: the process's own metrics (CPU, memory, event-loop delay, GC,
 * handles) and ledger-bridge's — journals by state, the worker's liveness, what F&O answered, the
 * delivery latency histogram — each read when scraped, from where the numbers already live.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Liveness } from "../delivery/liveness.js";
import type { FnoActivity } from "../delivery/threaded-engine.js";
import { STATES } from "../outbox/states.js";
import type { DeliveryMetrics } from "./delivery-metrics.js";

export interface MetricSources {
  /** Journals by state (the cached counts the dashboard reads). */
  readonly counts: () => Promise<Record<string, number>>;
  /** The worker's liveness; absent without a worker. */
  readonly worker?: () => Liveness | undefined;
  /** What the worker's F&O client saw; absent without a worker. */
  readonly fno?: () => FnoActivity | undefined;
  readonly delivery?: DeliveryMetrics;
}

/** A counter whose value is read from elsewhere when scraped. */
function readCounter(registry: Registry, name: string, help: string, value: () => number | undefined): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const current = value();
      this.reset();
      if (current !== undefined) this.inc(current);
    },
  });
}

export function metricsRegistry(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ledger_bridge_" });
  new Gauge({
    name: "ledger_bridge_journals",
    help: "Journals in the outbox by state.",
    labelNames: ["state"],
    registers: [registry],
    async collect() {
      const counts = await sources.counts();
      for (const state of STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
  const { worker, fno } = sources;
  if (worker !== undefined) {
    const gauge = (name: string, help: string, value: (live: Liveness) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const live = worker();
          if (live !== undefined) this.set(value(live));
        },
      });
    gauge(
      "ledger_bridge_worker_up",
      "Whether the delivery worker makes progress (1) or is stalled, failing, paused or starting (0).",
      (live) => (live.state === "ok" ? 1 : 0),
    );
    gauge(
      "ledger_bridge_worker_progress_age_seconds",
      "Seconds since the delivery worker last made progress.",
      (live) => (live.lastProgressAgeMs ?? 0) / 1000,
    );
    gauge(
      "ledger_bridge_delivery_paused",
      "Whether delivery is paused because F&O refuses the environment (1) or not (0).",
      (live) => (live.paused === undefined ? 0 : 1),
    );
  }
  if (fno !== undefined) {
    new Counter({
      name: "ledger_bridge_fno_responses_total",
      help: "F&O answers by HTTP status.",
      labelNames: ["status"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [status, count] of fno()?.responses ?? []) this.inc({ status: String(status) }, count);
      },
    });
    readCounter(
      registry,
      "ledger_bridge_fno_throttled_total",
      "F&O answers of 429 Too Many Requests.",
      () => fno()?.throttled,
    );
    readCounter(
      registry,
      "ledger_bridge_fno_throttle_wait_seconds_total",
      "Time spent waiting as F&O's 429s asked.",
      () => {
        const wait = fno()?.throttleWaitMs;
        return wait === undefined ? undefined : wait / 1000;
      },
    );
    readCounter(
      registry,
      "ledger_bridge_token_refreshes_total",
      "Tokens fetched again because F&O refused one (401).",
      () => fno()?.tokenRefreshes,
    );
    readCounter(
      registry,
      "ledger_bridge_tokens_issued_total",
      "Tokens Entra ID issued to the delivery worker: the first, renewals, forced ones.",
      () => fno()?.tokensIssued,
    );
    readCounter(
      registry,
      "ledger_bridge_in_doubt_total",
      "Writes whose outcome was unknown (reconciled before any re-send).",
      () => fno()?.inDoubt,
    );
  }
  if (sources.delivery !== undefined) registry.registerMetric(sources.delivery.latency);
  return registry;
}
