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
  return new DeliveryEngine({
    store,
    client,
    target: createTarget(config.target),
    postingPath: config.postingPath,
    leaseMs: config.leaseMs,
    // Measured with bench:deliver: more rounds than connections keep every connection busy while a
    // round records its results; 250 journals a round keep a lines $batch near 1,000 operations.
    rounds: Math.ceil(config.concurrency * 1.5),
    batchSize: config.batchSize,
    maxBatchOperations: 1000,
    logger: logger.child({ component: "delivery" }),
    ...extra,
  });
}
