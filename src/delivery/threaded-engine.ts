/**
 * The delivery engine of `serve` on its own thread (engine-thread.ts), so that the HTTP API keeps
 * the main thread to itself: measured, a worker on the main thread kept it near 100 % busy at 200
 * journals/s and the API's p99 well above 50 ms (docs/benchmarks.md).
 */
import type { MessagePort, Worker } from "node:worker_threads";
import { startModuleThread } from "../common/threads.js";
import type { BridgeConfig } from "../config/index.js";
import type { EngineEvent } from "./engine.js";

/** What the engine's F&O client saw, for /metrics and the dashboard. */
export interface FnoActivity {
  readonly responses: readonly (readonly [number, number])[];
  readonly throttled: number;
  readonly throttleWaitMs: number;
  /** Tokens fetched again because F&O refused one (401). */
  readonly tokenRefreshes: number;
  /** Tokens Entra ID issued to the worker (first, renewals, forced). */
  readonly tokensIssued: number;
  readonly retries: number;
  readonly inDoubt: number;
  /** How long F&O asked to wait, from now (0 when not throttled). */
  readonly pausedForMs: number;
}

export interface ThreadedEngine {
  /** The latest report (at most a second old). */
  activity(): FnoActivity | undefined;
  /** Stops claiming; resolves when the journals in flight are finished and the thread has ended. */
  stop(): Promise<void>;
}

/** `storePort`: a line to the store's own thread (SQLite), else the engine opens the store itself. */
export async function startThreadedEngine(
  config: BridgeConfig,
  onEvent: (event: EngineEvent) => void,
  storePort?: MessagePort,
): Promise<ThreadedEngine> {
  const worker: Worker = startModuleThread(
    new URL("./engine-thread", import.meta.url),
    { config, storePort },
    storePort === undefined ? [] : [storePort],
  );
  let latest: FnoActivity | undefined;
  let stopped: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (message: { type: string; events?: EngineEvent[]; activity?: FnoActivity }) => {
      if (message.type === "started") resolve();
      else if (message.type === "events") for (const event of message.events ?? []) onEvent(event);
      else if (message.type === "activity") latest = message.activity;
      else if (message.type === "stopped") stopped();
    });
    worker.once("error", reject);
    worker.once("exit", () => {
      stopped();
      reject(new Error("the delivery thread ended before it started"));
    });
  });
  return {
    activity: () => latest,
    async stop() {
      worker.postMessage({ type: "stop" });
      await ended;
      await worker.terminate();
    },
  };
}
