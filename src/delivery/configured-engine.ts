/** The delivery engine as the configuration asks for it: one place for `post`, `serve` and its thread. */
import type { Logger } from "pino";
import type { BridgeConfig } from "../config/index.js";
import type { D365Client } from "../d365/client.js";
import { createTarget } from "../d365/targets/index.js";
import type { OutboxStore } from "../outbox/store.js";
import { DeliveryEngine, type EngineOptions } from "./engine.js";

export function configuredEngine(
  config: BridgeConfig,
  store: OutboxStore,
  client: D365Client,
  logger: Logger,
  extra: Partial<EngineOptions> = {},
): DeliveryEngine {
  const engine: DeliveryEngine = new DeliveryEngine({
    store,
    client,
    target: createTarget(config.target),
    postingPath: config.postingPath,
    leaseMs: config.leaseMs,
    // The dispatcher's senders: one per connection of the client.
    concurrency: config.concurrency,
    batchSize: config.batchSize,
    logger: logger.child({ component: "delivery" }),
    ...extra,
    onPause: (change) => {
      // The pause's record lets `status` in another process tell it; a store that fails here is
      // logged, and the pause goes on regardless.
      store
        .recordPause(engine.workerId, change.type === "resumed" ? null : change.pause, Date.now())
        .catch((error: unknown) =>
          logger.warn({ err: error instanceof Error ? error.message : String(error) }, "pause not recorded"),
        );
      extra.onPause?.(change);
    },
  });
  return engine;
}
