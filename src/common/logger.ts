/** The process's structured log: JSON lines on stderr, only errors unless LOG_LEVEL asks for more. */
import pino, { type Logger } from "pino";
import { DEFAULTS } from "../config/defaults.js";
import { ENVIRONMENT } from "../config/schema.js";
import { traceIds } from "../telemetry/tracing.js";

export function processLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  return pino(
    // trace_id and span_id of the active span on every line, when tracing is on (src/telemetry).
    // A LOG_LEVEL that names no level is the configuration's error to report (src/config/schema.ts).
    { level: levelOf(env.LOG_LEVEL), base: { app: "ledger-bridge" }, mixin: traceIds },
    pino.destination(2),
  );
}

function levelOf(value: string | undefined): string {
  const checked = ENVIRONMENT.LOG_LEVEL.schema.safeParse(value ?? "");
  return checked.success ? checked.data : DEFAULTS.logLevel;
}
