/**
 * ledger-bridge as a library: the same pieces the CLI composes — configuration from the environment,
 * the F&O client, the outbox, the delivery target and engine, the doctor — opened together for a
 * program that embeds the bridge (docs/library.md).
 */
import type { Logger } from "pino";
import { processLogger } from "../common/logger.js";
import { connect, tokenProvider } from "../config/connect.js";
import { type BridgeConfig, type Env, loadConfig } from "../config/index.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { Journal } from "../core/journal.js";
import type { D365Client } from "../d365/client.js";
import { createTarget, type JournalTarget } from "../d365/targets/index.js";
import { configuredEngine } from "../delivery/configured-engine.js";
import type { DeliveryEngine, EngineEvent } from "../delivery/engine.js";
import { ChunkWriter } from "../delivery/enqueue.js";
import { type DoctorReport, runDoctor } from "../doctor/doctor.js";
import { openStore } from "../outbox/open.js";
import type { JournalEvent, OutboxStore, StoredJournal } from "../outbox/store.js";

export interface Bridge {
  readonly config: BridgeConfig;
  readonly client: D365Client;
  readonly store: OutboxStore;
  readonly target: JournalTarget;
  /**
   * Stores journals (checked ones: `readJournalText`/`openJournalFile` give them) in chunks, each
   * committed before this resolves; the same key with the same content is a no-op.
   */
  enqueue(
    journals: Iterable<Journal> | AsyncIterable<Journal>,
    options: { source: string; post?: boolean },
  ): Promise<{ created: number; duplicates: number; conflicts: readonly string[] }>;
  /** Delivers what is due until nothing is; resolves with how many journals were claimed. */
  deliver(): Promise<number>;
  /** A journal as stored, and its trail. */
  status(key: string): Promise<{ journal: StoredJournal; events: JournalEvent[] } | undefined>;
  /** The doctor's checks (configuration, network, token, read access, target, posting, store). */
  doctor(options?: { writeProbe?: boolean }): Promise<DoctorReport>;
  /** The delivery engine, for `run()` (deliver until stopped) and `stop()`. */
  readonly engine: DeliveryEngine;
  close(): Promise<void>;
}

export interface OpenBridgeOptions {
  /** Told of each step a journal takes (metrics, progress). */
  readonly onEvent?: (event: EngineEvent) => void;
  readonly logger?: Logger;
}

/**
 * Opens the bridge the environment describes (`D365_URL`, `AZURE_*`, `LEDGER_BRIDGE_*`: the
 * variables of docs/configuration.md). Unlike the CLI it never starts the emulator by itself: start
 * one with `startEmulator()` and pass its address and credentials.
 */
export async function openBridge(env: Env = process.env, options: OpenBridgeOptions = {}): Promise<Bridge> {
  const config = loadConfig(env);
  const environment = config.environment;
  if (environment === undefined)
    throw new BridgeError("CONFIG_MISSING", "openBridge needs D365_URL (the F&O environment to deliver to).");
  const logger = options.logger ?? processLogger(env);
  const store = await openStore(config.store);
  const client = connect(config, environment, { logger: logger.child({ component: "d365" }) });
  const target = createTarget(config.target);
  const engine = configuredEngine(config, store, client, logger, {
    target,
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
  return {
    config,
    client,
    store,
    target,
    engine,
    async enqueue(journals, { source, post = false }) {
      // The engine's check of the target, made once (and again only after a failure).
      await engine.prepare();
      const writer = new ChunkWriter(store, { source, post });
      for await (const journal of journals) await writer.add(journal);
      await writer.flush();
      return {
        created: writer.created,
        duplicates: writer.duplicates,
        conflicts: writer.conflicts.map((conflict) => conflict.message),
      };
    },
    deliver: () => engine.runUntilIdle(),
    async status(key) {
      const journal = await store.get(key);
      return journal === undefined ? undefined : { journal, events: await store.events(key) };
    },
    doctor: ({ writeProbe = false } = {}) =>
      runDoctor({
        config,
        configured: config,
        tokens: () => tokenProvider(config, environment),
        client: () => client,
        writeProbe,
        target,
      }),
    async close() {
      engine.stop();
      client.close();
      await store.close();
    },
  };
}
