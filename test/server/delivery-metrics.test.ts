import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JournalState } from "../../src/outbox/states.js";
import { DeliveryMetrics } from "../../src/server/delivery-metrics.js";

const settled = (state: JournalState, post: boolean, seconds: number) => ({
  type: "settled" as const,
  key: `k-${state}-${seconds}`,
  state,
  lines: 2,
  post,
  createdAt: 1_000_000,
  at: 1_000_000 + seconds * 1000,
});

describe("delivery latency histogram", () => {
  it("counts final states only, into cumulative buckets with sum and count", () => {
    const metrics = new DeliveryMetrics();
    metrics.observe(settled("header_created", true, 0.05));
    metrics.observe(settled("lines_created", true, 0.2));
    metrics.observe(settled("posted", true, 0.3));
    metrics.observe(settled("posted", true, 7));
    metrics.observe(settled("lines_created", false, 1));
    metrics.observe({ type: "reconciled", key: "x", found: "none" });
    const text = metrics.lines().join("\n");
    assert.match(text, /^ledger_bridge_delivery_seconds_bucket\{state="posted",le="0.25"\} 0$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_bucket\{state="posted",le="0.5"\} 1$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_bucket\{state="posted",le="10"\} 2$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_sum\{state="posted"\} 7.3$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_count\{state="lines_created"\} 1$/m);
    assert.doesNotMatch(text, /header_created/);
  });
});
