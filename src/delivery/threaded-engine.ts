/**
 * The delivery engine of `serve` on its own thread (engine-thread.ts), so that the HTTP API keeps
 * the main thread to itself: measured, a worker on the main thread kept it near 100 % busy at 200
 * journals/s and the API's p99 well above 50 ms (docs/benchmarks.md).
 */
import type { MessagePort, Worker } from "node:worker_threads";
import type { Logger } from "pino";
import { startModuleThread } from "../common/threads.js";
import type { BridgeConfig } from "../config/index.js";
import type { EngineEvent, WorkerHealth } from "./engine.js";

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
  /** The worker's liveness, as its latest report told it; undefined while none came. */
  health(): WorkerHealth | undefined;
  /** Stops claiming; resolves when the journals in flight are finished and the thread has ended. */
  stop(): Promise<void>;
}

interface ThreadMessage {
  readonly type: string;
  readonly events?: EngineEvent[];
  readonly activity?: FnoActivity;
  readonly health?: WorkerHealth;
}

/** How long a thread that ended by itself waits before it is started again (grows to a minute). */
const RESTART_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];

/**
 * `storePort`: a line to the store's own thread (SQLite) for each thread started, else the engine
 * opens the store itself. A delivery thread that ends by itself (an uncaught error) is logged at error
 * and started again after a pause: the worker never stops silently.
 */
export async function startThreadedEngine(
  config: BridgeConfig,
  onEvent: (event: EngineEvent) => void,
  storePort?: () => MessagePort,
  logger?: Logger,
): Promise<ThreadedEngine> {
  let latest: FnoActivity | undefined;
  let health: WorkerHealth | undefined;
  let stopping = false;
  let worker: Worker;
  let restarts = 0;
  let ended: Promise<void> = Promise.resolve();

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const port = storePort?.();
      worker = startModuleThread(
        new URL("./engine-thread", import.meta.url),
        { config, storePort: port },
        port === undefined ? [] : [port],
      );
      let started = false;
      let finished: () => void = () => {};
      // Ended: the thread says it finished its journals (its port keeps it alive until terminated), or it exited.
      ended = new Promise<void>((done) => {
        finished = done;
        worker.once("exit", (code) => {
          done();
          if (!started) reject(new Error(`the delivery thread ended before it started (exit ${code})`));
          else if (!stopping) restart(code);
        });
      });
      worker.on("message", (message: ThreadMessage) => {
        if (message.type === "started") {
          started = true;
          resolve();
        } else if (message.type === "events") for (const event of message.events ?? []) onEvent(event);
        else if (message.type === "activity") {
          latest = message.activity;
          health = message.health;
        } else if (message.type === "stopped") finished();
      });
      worker.on("error", (error) => logger?.error({ err: error.message }, "the delivery thread failed"));
    });

  const restart = (code: number) => {
    const delay = RESTART_DELAYS_MS[Math.min(restarts, RESTART_DELAYS_MS.length - 1)] as number;
    restarts++;
    logger?.error(
      { exitCode: code, restartInMs: delay, restarts },
      "the delivery thread ended; starting it again",
    );
    const timer = setTimeout(() => {
      if (stopping) return;
      start().catch((error: unknown) => {
        logger?.error({ err: String(error) }, "the delivery thread could not be started again");
        if (!stopping) restart(-1);
      });
    }, delay);
    timer.unref();
  };

  await start();
  return {
    activity: () => latest,
    health: () => health,
    async stop() {
      stopping = true;
      worker.postMessage({ type: "stop" });
      await ended;
      await worker.terminate();
    },
  };
}
