/** The process's structured log: JSON lines on stderr, only errors unless LOG_LEVEL asks for more. */
import pino, { type Logger } from "pino";

export function processLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  return pino({ level: env.LOG_LEVEL ?? "error", base: { app: "ledger-bridge" } }, pino.destination(2));
}
