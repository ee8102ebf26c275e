import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
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
  it("counts final states only, into cumulative buckets with sum and count", async () => {
    const metrics = new DeliveryMetrics();
    metrics.observe(settled("header_created", true, 0.05));
    metrics.observe(settled("lines_created", true, 0.2));
    metrics.observe(settled("posted", true, 0.3));
    metrics.observe(settled("posted", true, 7));
    metrics.observe(settled("lines_created", false, 1));
    metrics.observe({ type: "reconciled", key: "x", found: "none" });
    const registry = new Registry();
    registry.registerMetric(metrics.latency);
    const text = await registry.metrics();
    assert.match(text, /^ledger_bridge_delivery_seconds_bucket\{le="0.25",state="posted"\} 0$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_bucket\{le="0.5",state="posted"\} 1$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_bucket\{le="10",state="posted"\} 2$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_sum\{state="posted"\} 7.3$/m);
    assert.match(text, /^ledger_bridge_delivery_seconds_count\{state="lines_created"\} 1$/m);
    assert.doesNotMatch(text, /header_created/);
  });
});

describe("the last hour, minute by minute", () => {
  const T = Date.parse("2026-11-30T12:00:00Z");
  const at = (minute: number, latencyMs: number, state: JournalState = "posted") => ({
    type: "settled" as const,
    key: `k-${minute}-${latencyMs}`,
    state,
    lines: 2,
    post: true,
    createdAt: T + minute * 60_000 - latencyMs,
    at: T + minute * 60_000,
  });

  it("counts delivered and dead journals per minute with latency percentiles; quiet minutes are zeros", () => {
    const metrics = new DeliveryMetrics();
    for (let i = 1; i <= 100; i++) metrics.observe(at(0, i * 10));
    metrics.observe(at(0, 5, "dead"));
    metrics.observe(at(2, 40));
    metrics.observe(at(2, 20, "lines_created"));
    const hour = metrics.activity(T + 2 * 60_000 + 30_000);
    assert.equal(hour.length, 60);
    assert.equal(hour.at(-1)?.minute, "2026-11-30T12:02:00.000Z");
    const first = hour.find((minute) => minute.minute === "2026-11-30T12:00:00.000Z");
    assert.deepEqual(first, {
      minute: "2026-11-30T12:00:00.000Z",
      delivered: 100,
      dead: 1,
      p50Ms: 510,
      p95Ms: 960,
    });
    assert.deepEqual(hour.at(-2), {
      minute: "2026-11-30T12:01:00.000Z",
      delivered: 0,
      dead: 0,
      p50Ms: null,
      p95Ms: null,
    });
    assert.equal(hour.at(-1)?.delivered, 1, "lines_created of a journal to be posted is not delivered yet");
  });

  it("keeps an hour only, and bounded memory however busy a minute is", () => {
    const metrics = new DeliveryMetrics(() => 0.999);
    for (let i = 0; i < 5000; i++) metrics.observe(at(0, 7));
    metrics.observe(at(61, 3));
    const hour = metrics.activity(T + 61 * 60_000);
    assert.equal(
      hour.reduce((sum, minute) => sum + minute.delivered, 0),
      1,
      "minute 0 fell out of the hour",
    );
    const busy = metrics.activity(T + 30 * 60_000).find((minute) => minute.delivered === 5000);
    assert.equal(busy?.p50Ms, 7);
  });
});
