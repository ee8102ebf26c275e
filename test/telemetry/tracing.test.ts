/**
 * Traces: off by default; with an exporter, a delivery yields a span per step with a child per F&O
 * request and per journal (key, company, number, state — no amounts), `traceparent` reaches the
 * emulator with the request span's ids, and log lines carry the trace id.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-node";
import { createTarget } from "../../src/d365/targets/index.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { exporterWanted, startTracing, traceIds } from "../../src/telemetry/tracing.js";
import { clientFor } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";
import { csv, readText } from "../helpers/read.js";
import { ENGINES } from "../helpers/stores.js";

describe("OpenTelemetry traces", () => {
  it("stay off unless the standard variables ask for them; a bad exporter name is refused", () => {
    assert.equal(exporterWanted({}), undefined);
    assert.equal(exporterWanted({ OTEL_TRACES_EXPORTER: "none" }), undefined);
    assert.equal(exporterWanted({ OTEL_TRACES_EXPORTER: "console" }), "console");
    assert.equal(exporterWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318" }), "otlp");
    assert.equal(exporterWanted({ OTEL_TRACES_EXPORTER: "otlp", OTEL_SDK_DISABLED: "true" }), undefined);
    assert.throws(
      () => exporterWanted({ OTEL_TRACES_EXPORTER: "zipkin" }),
      /CONFIG_INVALID|OTEL_TRACES_EXPORTER/,
    );
    assert.deepEqual(traceIds(), {}, "no active span, no ids");
  });

  describe("a delivery, traced", () => {
    let emulator: RunningEmulator;
    const exporter = new InMemorySpanExporter();
    let tracing: Awaited<ReturnType<typeof startTracing>>;
    before(async () => {
      emulator = await startTestEmulator();
      tracing = await startTracing({}, { exporter });
    });
    after(async () => {
      await tracing?.shutdown();
      await emulator.close();
    });

    it("yields a span per step with its F&O request and a span per journal, and sends traceparent", async () => {
      const test = await (ENGINES[0] as (typeof ENGINES)[number]).open();
      const { client } = clientFor(emulator);
      try {
        const { journals } = await readText(
          "traced.csv",
          csv(
            "traced-1,usmf,GenJrn,V1,2026-11-30,601100,10.00,,USD",
            "traced-1,usmf,GenJrn,V1,2026-11-30,110110,,10.00,USD",
            "traced-2,usmf,GenJrn,V1,2026-11-30,601100,20.00,,USD",
            "traced-2,usmf,GenJrn,V1,2026-11-30,110110,,20.00,USD",
          ),
        );
        await enqueueJournals(test.store, journals, { source: "traced", post: true });
        const since = (await emulator.admin.requests()).at(-1)?.seq ?? 0;
        await new DeliveryEngine({ store: test.store, client, target: createTarget() }).runUntilIdle();
        await tracing?.flush();
        const spans = exporter.getFinishedSpans();
        const childrenOf = (parent: ReadableSpan) =>
          spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
        const steps = ["open", "complete", "post"].map((step) => {
          const span = spans.find((each) => each.name === `delivery ${step}`);
          assert.ok(span !== undefined, `a span for the ${step} step`);
          return span;
        });
        const open = steps[0] as ReadableSpan;
        const request = childrenOf(open).find((span) => span.name === "F&O POST");
        assert.ok(request !== undefined, "the headers' $batch is a child of the open step");
        assert.equal(request.attributes["http.response.status_code"], 200);
        assert.match(String(request.attributes["url.full"]), /\/data\/\$batch$/);
        const journalSpans = childrenOf(open).filter((span) => span.name === "journal open");
        assert.deepEqual(journalSpans.map((span) => span.attributes["ledger_bridge.journal.key"]).sort(), [
          "traced-1",
          "traced-2",
        ]);
        for (const span of journalSpans) {
          assert.equal(span.attributes["ledger_bridge.journal.company"], "usmf");
          assert.match(String(span.attributes["ledger_bridge.journal.batch_number"]), /^USMF-/);
          assert.equal(span.attributes["ledger_bridge.journal.state"], "header_created");
        }
        const posted = spans.filter((span) => span.name === "journal post");
        assert.deepEqual(
          posted.map((span) => span.attributes["ledger_bridge.journal.state"]),
          ["posted", "posted"],
        );
        const everything = JSON.stringify(spans.map((span) => span.attributes));
        assert.doesNotMatch(everything, /10\.00|20\.00|Bearer/, "no amounts, no tokens");
        // F&O was told the trace: traceparent carries the request span's trace and span ids.
        const sent = (await emulator.admin.requests(since)).find(
          (entry) => entry.method === "POST" && entry.path.includes("$batch"),
        );
        const traceparent = sent?.headers.traceparent ?? "";
        const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(traceparent) ?? [];
        const sentBy = spans.find((span) => span.spanContext().spanId === spanId);
        assert.ok(sentBy !== undefined && sentBy.name === "F&O POST", traceparent);
        assert.equal(sentBy.spanContext().traceId, traceId);
        // A log line written inside a span carries its ids.
        const span = trace.getTracer("test").startSpan("logging");
        const ids = context.with(trace.setSpan(context.active(), span), () => traceIds());
        span.end();
        assert.deepEqual(ids, { trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
      } finally {
        client.close();
        await test.cleanup();
      }
    });
  });
});
