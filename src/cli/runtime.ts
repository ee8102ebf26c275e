/**
 * What the delivery commands share: the validated configuration, the outbox, and an F&O client —
 * for the configured environment, or for the built-in emulator (announced loudly) when none is.
 */

import { join } from "node:path";
import type { Logger } from "pino";
import { normalizeEnvironmentUrl } from "../auth/environment-url.js";
import { processLogger } from "../common/logger.js";
import { connect } from "../config/connect.js";
import { type BridgeConfig, loadConfig } from "../config/index.js";
import type { ClientEvent, D365Client } from "../d365/client.js";
import { createTarget, type JournalTarget, type TargetSettings } from "../d365/targets/index.js";
import { configuredEngine } from "../delivery/configured-engine.js";
import type { DeliveryEngine, EngineEvent, EngineOptions } from "../delivery/engine.js";
import { type RunningEmulator, startEmulator } from "../emulator/index.js";
import { DEMO } from "../emulator/scenarios/index.js";
import type { ReadOptions } from "../ingest/source.js";
import { isPostgresUrl, openStore } from "../outbox/open.js";
import type { OutboxStore } from "../outbox/store.js";
import { openThreadedStore } from "../outbox/threaded.js";
import { startTracing } from "../telemetry/tracing.js";
import type { CliIo } from "./io.js";

export interface Runtime {
  readonly config: BridgeConfig;
  /** The configuration as the user gave it (before the emulator filled in the environment). */
  readonly configured: BridgeConfig;
  readonly store: OutboxStore;
  readonly client: D365Client;
  /** The configured target, shared by the store-time compile and the engine. */
  readonly target: JournalTarget;
  readonly emulator?: RunningEmulator;
  readonly logger: Logger;
  engine(
    onEvent?: (event: EngineEvent) => void,
    onWait?: (waitMs: number, journals: number) => void,
  ): DeliveryEngine;
  close(): Promise<void>;
}

export function cliLogger(io: CliIo): Logger {
  // A command prints its own results; its log is for what went wrong.
  return processLogger(io.env);
}

/**
 * The target as configured; with no D365_URL (the built-in emulator) the emulator's own dimension
 * format, unless the config file names one.
 */
/** How this run reads table files: the config's `input`, a command's --profile and --sheet, the target's dimension format. */
export function readOptionsFor(
  config: BridgeConfig,
  flags: { readonly profile?: string; readonly sheet?: string } = {},
): ReadOptions {
  const dimensionFormat = targetSettingsFor(config).dimensionFormat;
  return {
    ...config.input,
    ...(flags.profile === undefined ? {} : { profile: flags.profile }),
    ...(flags.sheet === undefined ? {} : { sheet: flags.sheet }),
    ...(dimensionFormat === undefined ? {} : { dimensionFormat }),
  };
}

export function targetSettingsFor(config: BridgeConfig): TargetSettings {
  if (config.environment !== undefined || config.target.dimensionFormat !== undefined) return config.target;
  return { ...config.target, dimensionFormat: DEMO.dimensionFormat };
}

/**
 * The configuration to work with: as configured, or — with no D365_URL — pointed at the built-in
 * emulator, started here and announced loudly.
 */
export async function resolveEnvironment(
  io: CliIo,
): Promise<{ config: BridgeConfig; configured: BridgeConfig; emulator?: RunningEmulator }> {
  const config = loadConfig(io.env);
  for (const warning of config.warnings) io.stderr.write(`warning: ${warning}\n`);
  if (config.environment !== undefined) return { config, configured: config };
  const emulator = await startEmulator({
    stateFile: join(config.home, "emulator-state.db"),
    dataDir: join(config.home, "emulator"),
  });
  io.stderr.write(
    `*** No D365_URL is configured: using the built-in F&O emulator at ${emulator.d365Url} (state in ${join(config.home, "emulator-state.db")}).\n` +
      "*** Set D365_URL and your Entra ID credentials to deliver to Dynamics 365 Finance & Operations.\n",
  );
  const effective: BridgeConfig = {
    ...config,
    environment: normalizeEnvironmentUrl(emulator.d365Url),
    auth: {
      kind: "secret",
      credential: {
        tenantId: emulator.tenantId,
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
        authorityHost: emulator.authorityHost,
        caCertPem: emulator.caCertPem,
      },
    },
    caCertPem: emulator.caCertPem,
    // The emulator's own dimension format, unless the config file names one.
    target: targetSettingsFor(config),
  };
  return { config: effective, configured: config, emulator };
}

export async function openRuntime(
  io: CliIo,
  options: {
    onClientEvent?: (event: ClientEvent) => void;
    /** SQLite on its own thread (`serve`: the API must not wait for the worker's fsyncs). */
    threadedStore?: boolean;
  } = {},
): Promise<Runtime> {
  // Traces of this process's deliveries and requests, when OTEL_* asks for them (a bad setting is
  // refused before anything starts).
  const tracing = await startTracing(io.env);
  const { config: effective, configured, emulator } = await resolveEnvironment(io);
  const logger = cliLogger(io);
  let store: OutboxStore;
  try {
    store =
      options.threadedStore && !isPostgresUrl(effective.store)
        ? await openThreadedStore(effective.store)
        : await openStore(effective.store);
  } catch (error) {
    // A store that cannot be used (damaged, unreachable) must not leave the emulator running.
    await emulator?.close();
    await tracing?.shutdown();
    throw error;
  }
  const environment = effective.environment as NonNullable<BridgeConfig["environment"]>;
  const client = connect(effective, environment, {
    logger: logger.child({ component: "d365" }),
    ...(options.onClientEvent ? { onEvent: options.onClientEvent } : {}),
  });
  const target = createTarget(effective.target);
  return {
    config: effective,
    configured,
    store,
    client,
    target,
    ...(emulator === undefined ? {} : { emulator }),
    logger,
    engine: (onEvent, onWait) =>
      configuredEngine(effective, store, client, logger, {
        target,
        ...(onEvent ? { onEvent } : {}),
        ...(onWait ? { onWait } : {}),
        ...crashFailpoint(io.env.LEDGER_BRIDGE_FAILPOINT),
      }),
    async close() {
      client.close();
      await store.close();
      await emulator?.close();
      await tracing?.shutdown();
    },
  };
}

/**
 * LEDGER_BRIDGE_FAILPOINT=<name> makes the process kill itself (SIGKILL, as a power cut would) the
 * first time the engine reaches that point of the protocol: how the crash tests prove that no
 * journal is lost or doubled whichever step a crash interrupts (docs/reliability.md).
 */
function crashFailpoint(name: string | undefined): Pick<EngineOptions, "failpoint"> {
  if (name === undefined || name === "") return {};
  return {
    failpoint: (point) => {
      if (point === name) process.kill(process.pid, "SIGKILL");
    },
  };
}
