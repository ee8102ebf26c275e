/**
 * The worker-thread side of the threaded store (threaded.ts): opens the SQLite outbox and runs the
 * store's methods as messages arrive. Statements and fsyncs happen on this thread; calls that arrive
 * while one commits queue up and are committed together (sqlite.ts's group commit).
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { isBridgeError } from "../core/errors/bridge-error.js";
import { openStore } from "./open.js";
import { inBackground } from "./sqlite.js";
import type { OutboxStore } from "./store.js";

interface Call {
  readonly id: number;
  readonly method: Exclude<keyof OutboxStore, "close"> | "shutdown";
  readonly args: unknown[];
}

const port = parentPort;
if (port === null) throw new Error("store-thread.ts runs as a worker thread");

let store: OutboxStore;
try {
  store = await openStore((workerData as { location: string }).location);
  port.postMessage({ id: 0, ok: true, value: null });
} catch (error) {
  port.postMessage({ id: 0, ok: false, error: describe(error) });
}

/** Errors cross the thread boundary as data: the stable code survives, the class is rebuilt there. */
function describe(error: unknown) {
  return {
    message: error instanceof Error ? error.message : String(error),
    ...(isBridgeError(error) ? { code: error.code, retryable: error.retryable } : {}),
  };
}

/**
 * Serves calls arriving on a port: the main thread's (API requests: foreground), or one shared with
 * another thread (the delivery worker's: background, its transactions wait while requests queue).
 */
function serve(endpoint: Pick<MessagePort, "on" | "postMessage">, lane: "foreground" | "background"): void {
  endpoint.on("message", (call: Call | { connect: MessagePort }) => {
    if ("connect" in call) {
      serve(call.connect, "background");
      return;
    }
    // "shutdown" closes the store (the main thread's close); another thread's line closes its own port.
    const method = (call.method === "shutdown" ? store.close : store[call.method]) as (
      ...args: unknown[]
    ) => Promise<unknown>;
    const run = () => method.apply(store, call.args);
    (lane === "background" ? inBackground(run) : run()).then(
      (value) => endpoint.postMessage({ id: call.id, ok: true, value }),
      (error: unknown) => endpoint.postMessage({ id: call.id, ok: false, error: describe(error) }),
    );
  });
}
serve(port, "foreground");
