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
import { fromWire, type WireError } from "../core/errors/wire.js";
import type { ApiStore } from "../server/api-store.js";
import type { OutboxStore } from "./store.js";

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: WireError;
}

/** The store on its thread, and a way to give other threads (the delivery engine's) a line to it. */
export interface ThreadedStore extends OutboxStore {
  /**
   * A port to transfer to another thread, where `storeOverPort` makes a store of it. Work sent over a
   * shared port is background work: the store thread commits the main thread's calls (API requests)
   * ahead of it.
   */
  share(): MessagePort;
  /**
   * The API's keys, audit log and idempotency records, kept by the store thread in the same
   * database: each method one foreground call, so the API never waits on the disk.
   */
  api(): ApiStore;
}

interface Endpoint {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: Reply) => void): unknown;
}

/** One line to the store thread: calls go out as messages, replies settle them by id. */
class StoreLine {
  private readonly waiting = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  private next = 1;
  /** Set once the thread is gone: later calls fail at once. */
  private stopped: Error | undefined;

  constructor(private readonly endpoint: Endpoint) {
    endpoint.on("message", (reply: Reply) => {
      const pending = this.waiting.get(reply.id);
      if (pending === undefined) return;
      this.waiting.delete(reply.id);
      if (reply.ok) pending.resolve(reply.value);
      else pending.reject(fromWire(reply.error ?? { name: "Error", message: "the store thread failed" }));
    });
  }

  call(method: string, args: unknown[]): Promise<unknown> {
    const id = this.next++;
    const reply = this.expect(id);
    if (this.stopped === undefined) this.endpoint.postMessage({ id, method, args });
    return reply;
  }

  /** The reply with this id (or the thread's failure). */
  expect(id: number): Promise<unknown> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  /** The thread is gone: every call still waiting fails now instead of never. */
  failAll(error: Error): void {
    this.stopped ??= error;
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }

  /** The line as a store: `own` members as given, every other method a call over the line. */
  asStore<Own extends Pick<OutboxStore, "close">>(own: Own): OutboxStore & Own {
    return new Proxy(own, {
      get: (target, name) => {
        if (name in target) return Reflect.get(target, name);
        // Not a thenable: `await store` must not call the thread.
        if (name === "then" || typeof name === "symbol") return undefined;
        return (...args: unknown[]) => this.call(name, args);
      },
    }) as OutboxStore & Own;
  }
}

const threadStopped = (reason: string) =>
  new BridgeError("OUTBOX_UNAVAILABLE", `The store thread stopped: ${reason}.`);

/** A store whose every method is a call over `port` to store-thread.ts (another thread's line). */
export function storeOverPort(port: MessagePort): OutboxStore {
  const line = new StoreLine(port);
  port.on("close", () => line.failAll(threadStopped("its port closed")));
  return line.asStore({ close: async () => port.close() });
}

export async function openThreadedStore(location: string): Promise<ThreadedStore> {
  const worker = startModuleThread(new URL("./store-thread", import.meta.url), { location });
  const line = new StoreLine(worker);
  // The thread's first reply (id 0) says whether the store opened.
  const opened = line.expect(0);
  worker.on("error", (error) => line.failAll(threadStopped(error.message)));
  worker.on("exit", (code) => line.failAll(threadStopped(`exit code ${code}`)));
  await opened.catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  return line.asStore({
    close: async () => {
      await line.call("shutdown", []);
      await worker.terminate();
    },
    api: () =>
      new Proxy({} as ApiStore, {
        get: (_, name) =>
          name === "then" || typeof name === "symbol"
            ? undefined
            : (...args: unknown[]) => line.call(`api:${name}`, args),
      }),
    share: () => {
      const channel = new MessageChannel();
      worker.postMessage({ connect: channel.port2 }, [channel.port2]);
      return channel.port1;
    },
  });
}
