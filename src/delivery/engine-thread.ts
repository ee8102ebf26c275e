/**
 * The worker-thread side of threaded-engine.ts: the delivery engine of `serve` with its own store
 * connection and F&O client, so its CPU (payloads, $batch bodies and answers) and its fsyncs never
 * delay an API request. Tells the main thread what it settles and, every second, what F&O answered.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { processLogger } from "../common/logger.js";
import { connect } from "../config/connect.js";
import type { BridgeConfig } from "../config/index.js";
import { openStore } from "../outbox/open.js";
import { storeOverPort } from "../outbox/threaded.js";
import { startTracing } from "../telemetry/tracing.js";
import { configuredEngine } from "./configured-engine.js";
import type { EngineEvent } from "./engine.js";
import type { FnoActivity } from "./threaded-engine.js";

const port = parentPort;
if (port === null) throw new Error("engine-thread.ts runs as a worker thread");
const { config, storePort } = workerData as { config: BridgeConfig; storePort?: MessagePort };
const logger = processLogger(process.env);
// Spans of this thread's deliveries, when OTEL_* asks for them (each thread has its own provider).
const tracing = await startTracing(process.env);
const environment = config.environment as NonNullable<BridgeConfig["environment"]>;
// SQLite: every write through the store's thread (one writer, group commits, no lock waits between
// threads); PostgreSQL: a pool of the engine's own.
const store = storePort === undefined ? await openStore(config.store) : storeOverPort(storePort);
const client = connect(config, environment, { logger: logger.child({ component: "d365" }) });
// Events go over in bundles a tenth of a second apart: one message per event would cost the main
// thread more than the events are worth.
let events: EngineEvent[] = [];
const flush = () => {
  if (events.length === 0) return;
  port.postMessage({ type: "events", events });
  events = [];
};
const flusher = setInterval(flush, 100);
const engine = configuredEngine(config, store, client, logger, {
  onEvent: (event) => events.push(event),
});

const activity = (): FnoActivity => ({
  responses: [...client.metrics.responses],
  throttled: client.metrics.throttled,
  throttleWaitMs: client.metrics.throttleWaitMs,
  tokenRefreshes: client.metrics.tokenRefreshes,
  tokensIssued: client.tokens.issued,
  retries: client.metrics.retries,
  inDoubt: client.metrics.inDoubt,
  pausedForMs: client.gate.remainingMs(),
});
const report = () => port.postMessage({ type: "activity", activity: activity(), health: engine.health() });
const reporter = setInterval(report, 1000);

port.on("message", (message: { type: string }) => {
  if (message.type === "stop") engine.stop();
});
port.postMessage({ type: "started" });
await engine.run();
clearInterval(reporter);
clearInterval(flusher);
flush();
report();
client.close();
await store.close();
await tracing?.shutdown();
port.postMessage({ type: "stopped" });
