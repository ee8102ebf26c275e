/** The process's structured log: JSON lines on stderr, only errors unless LOG_LEVEL asks for more. */
import pino, { type Logger } from "pino";
import { traceIds } from "../telemetry/tracing.js";

export function processLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  return pino(
    // trace_id and span_id of the active span on every line, when tracing is on (src/telemetry).
    { level: env.LOG_LEVEL ?? "error", base: { app: "ledger-bridge" }, mixin: traceIds },
    pino.destination(2),
  );
}
