/**
 * The SQLite outbox on its own thread, for `serve`: better-sqlite3 is synchronous, so on the main
 * thread every COMMIT's fsync (synchronous=FULL) stops the HTTP API for its duration. Here each store
 * method is one message to a worker thread that owns the connection; the main thread never waits on
 * the disk. Each call is a whole store operation (enqueue, claim, settleMany…), never a statement, so
 * no transaction stays open across messages.
 */
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { startModuleThread } from "../common/threads.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { ErrorCode } from "../core/errors/codes.js";
import type { OutboxStore } from "./store.js";

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { message: string; code?: ErrorCode; retryable?: "yes" | "no" | "unknown" };
}

function rebuild(error: NonNullable<Reply["error"]>): Error {
  if (error.code === undefined) return new Error(error.message);
  const rebuilt = new BridgeError(error.code, error.message, {
    ...(error.retryable === undefined ? {} : { retryable: error.retryable }),
  });
  // The message came complete (with its fix) from the thread; do not append the fix twice.
  rebuilt.message = error.message;
  return rebuilt;
}

/** The store on its thread, and a way to give other threads (the delivery engine's) a line to it. */
export interface ThreadedStore extends OutboxStore {
  /** A port to transfer to another thread, where `storeOverPort` makes a store of it. */
  share(): MessagePort;
}

interface Endpoint {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: Reply) => void): unknown;
}

/** A store whose every method is a call over `endpoint` to store-thread.ts. */
export function storeOverPort(endpoint: Endpoint, close: () => Promise<void>): OutboxStore {
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let next = 1;
  endpoint.on("message", (reply: Reply) => {
    const pending = waiting.get(reply.id);
    if (pending === undefined) return;
    waiting.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(rebuild(reply.error ?? { message: "the store thread failed" }));
  });
  const call = (method: string, args: unknown[]): Promise<unknown> => {
    const id = next++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      endpoint.postMessage({ id, method, args });
    });
  };
  const store = new Proxy({} as OutboxStore & { fail(error: Error): void }, {
    get(_target, name) {
      if (name === "then") return undefined;
      if (name === "close") return close;
      if (name === "fail")
        return (error: Error) => {
          for (const pending of waiting.values()) pending.reject(error);
          waiting.clear();
        };
      return (...args: unknown[]) => call(String(name), args);
    },
  });
  return store;
}

export async function openThreadedStore(location: string): Promise<ThreadedStore> {
  const worker = startModuleThread(new URL("./store-thread", import.meta.url), { location });
  const opened = new Promise<void>((resolve, reject) => {
    const first = (reply: Reply) => {
      if (reply.id !== 0) return;
      worker.off("message", first);
      if (reply.ok) resolve();
      else reject(rebuild(reply.error ?? { message: "the store thread failed" }));
    };
    worker.on("message", first);
    worker.once("error", reject);
  });
  const store = storeOverPort(worker, async () => {
    await (store as unknown as { shutdown(): Promise<void> }).shutdown();
    await worker.terminate();
  }) as OutboxStore & { fail(error: Error): void };
  const fail = (error: Error) =>
    store.fail(new BridgeError("OUTBOX_UNAVAILABLE", `The store thread stopped: ${error.message}.`));
  worker.on("error", fail);
  worker.on("exit", (code) => {
    if (code !== 0) fail(new Error(`exit code ${code}`));
  });
  await opened;
  return new Proxy(store as unknown as ThreadedStore, {
    get(target, name) {
      if (name === "share")
        return () => {
          const channel = new MessageChannel();
          worker.postMessage({ connect: channel.port2 }, [channel.port2]);
          return channel.port1;
        };
      return Reflect.get(target, name);
    },
  });
}
