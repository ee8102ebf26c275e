/**
 * The worker-thread side of the threaded store (threaded.ts): opens the SQLite outbox and runs the
 * store's methods as messages arrive. Statements and fsyncs happen on this thread; calls that arrive
 * while one commits queue up and are committed together (sqlite.ts's group commit).
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { toWire } from "../core/errors/wire.js";
import { ApiStore } from "../server/api-store.js";
import { openStore } from "./open.js";
import type { SqlOutboxStore } from "./sql.js";
import { inBackground } from "./sqlite.js";
import type { OutboxStore } from "./store.js";

/** A call to the outbox, to the API's records (`api:<method>`), or the main thread's "shutdown". */
interface Call {
  readonly id: number;
  readonly method: Exclude<keyof OutboxStore, "close"> | "shutdown" | `api:${string}`;
  readonly args: unknown[];
}

const port = parentPort;
if (port === null) throw new Error("store-thread.ts runs as a worker thread");

let store: OutboxStore;
/**
 * The API's keys, audit log and idempotency records, in the same database on this thread's
 * connection: on the main thread their fsync'd writes stopped the API for their duration.
 */
let api: ApiStore;
// Errors cross the thread boundary as data (toWire): the class and the stable code survive.
try {
  store = await openStore((workerData as { location: string }).location);
  api = new ApiStore((store as SqlOutboxStore).database);
  port.postMessage({ id: 0, ok: true, value: null });
} catch (error) {
  port.postMessage({ id: 0, ok: false, error: toWire(error) });
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
    const [owner, name] = call.method.startsWith("api:")
      ? [api, call.method.slice(4) as keyof ApiStore]
      : [store, call.method === "shutdown" ? "close" : (call.method as keyof OutboxStore)];
    const method = (owner as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
    if (typeof method !== "function") {
      endpoint.postMessage({ id: call.id, ok: false, error: { message: `no store method ${call.method}` } });
      return;
    }
    const run = () => method.apply(owner, call.args);
    (lane === "background" ? inBackground(run) : run()).then(
      (value) => endpoint.postMessage({ id: call.id, ok: true, value }),
      (error: unknown) => endpoint.postMessage({ id: call.id, ok: false, error: toWire(error) }),
    );
  });
}
serve(port, "foreground");
