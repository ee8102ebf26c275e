/**
 * OpenTelemetry traces: a span per F&O request and per journal delivery step, W3C `traceparent` sent
 * to F&O, trace ids in the log. Off unless the standard variables ask for it — `OTEL_TRACES_EXPORTER`
 * (`otlp` or `console`) or an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `OTEL_SDK_DISABLED=true` turns it off. Off, nothing of the
 * SDK is loaded and every span is the API's no-op (docs/deployment.md#traces).
 */
import { context, propagation, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { BridgeError } from "../core/errors/bridge-error.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The tracer every span of ledger-bridge comes from (the API's no-op until tracing starts). */
export function tracer() {
  return trace.getTracer("ledger-bridge");
}

/** Ends a span with the error's stable code (never its message: it may carry an F&O text with data). */
export function endWithError(span: Span, error: unknown): void {
  const code = error instanceof BridgeError ? error.code : "INTERNAL";
  span.setAttribute("error.type", code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end();
}

/** The trace and span ids of the active span, for a log line (empty when none or tracing is off). */
export function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export interface Tracing {
  /** Sends what is buffered and stops (at the end of a command, before exit). */
  shutdown(): Promise<void>;
  /** Sends what is buffered (tests). */
  flush(): Promise<void>;
}

/** Which exporter the variables ask for, or undefined: tracing stays off. */
export function exporterWanted(env: Env): "otlp" | "console" | undefined {
  if ((env.OTEL_SDK_DISABLED ?? "").toLowerCase() === "true") return undefined;
  const named = (env.OTEL_TRACES_EXPORTER ?? "").trim().toLowerCase();
  if (named === "none") return undefined;
  if (named === "otlp" || named === "console") return named;
  if (named !== "")
    throw new BridgeError(
      "CONFIG_INVALID",
      `OTEL_TRACES_EXPORTER is '${env.OTEL_TRACES_EXPORTER}'; ledger-bridge sends traces with otlp or console (or none).`,
    );
  return env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? "otlp" : undefined;
}

/**
 * Starts tracing when the variables ask for it (or with `exporter`, a test's in-memory one), once per
 * thread: registers the SDK's provider, the W3C propagator and the async context manager globally.
 */
export async function startTracing(
  env: Env,
  options: { exporter?: import("@opentelemetry/sdk-trace-node").SpanExporter } = {},
): Promise<Tracing | undefined> {
  const wanted = options.exporter === undefined ? exporterWanted(env) : "given";
  if (wanted === undefined) return undefined;
  const sdk = await import("@opentelemetry/sdk-trace-node");
  const { resourceFromAttributes } = await import("@opentelemetry/resources");
  let processor: import("@opentelemetry/sdk-trace-node").SpanProcessor;
  if (options.exporter !== undefined) processor = new sdk.SimpleSpanProcessor(options.exporter);
  else if (wanted === "console") processor = new sdk.SimpleSpanProcessor(new sdk.ConsoleSpanExporter());
  else {
    // The exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout) itself.
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    processor = new sdk.BatchSpanProcessor(new OTLPTraceExporter());
  }
  const provider = new sdk.NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || "ledger-bridge" }),
    spanProcessors: [processor],
  });
  provider.register();
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
