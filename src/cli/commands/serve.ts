import type { MessagePort } from "node:worker_threads";
import type { Command } from "commander";
import type { FastifyInstance } from "fastify";
import { DeliveryAlerts } from "../../alerts/delivery-alerts.js";
import { Webhooks } from "../../alerts/webhooks.js";
import { systemClock } from "../../common/time.js";
import { readEnvironment } from "../../config/schema.js";
import { BridgeError } from "../../core/errors/bridge-error.js";
import type { EngineEvent } from "../../delivery/engine.js";
import { startThreadedEngine } from "../../delivery/threaded-engine.js";
import { runDoctor } from "../../doctor/doctor.js";
import type { RunningEmulator } from "../../emulator/index.js";
import { SqlOutboxStore } from "../../outbox/sql.js";
import type { ThreadedStore } from "../../outbox/threaded.js";
import type { Inbox } from "../../pickup/inbox.js";
import { runPickup } from "../../pickup/loop.js";
import { openInbox } from "../../pickup/open.js";
import { ApiStore } from "../../server/api-store.js";
import { buildApp } from "../../server/app.js";
import { DeliveryMetrics } from "../../server/delivery-metrics.js";
import { type CliIo, EXIT, styleFor, untilSignal, wholeNumber } from "../io.js";
import { openRuntime, readOptionsFor } from "../runtime.js";
import { summaryOf } from "./manifest.js";

export interface ServeFlags {
  readonly port?: string;
  readonly host?: string;
  /** commander turns --no-worker into worker: false. */
  readonly worker?: boolean;
  readonly post?: boolean;
  /** Pickup folders to take journal files from (src/pickup). */
  readonly watch?: readonly string[];
  /** Azure Blob containers to take journal files from. */
  readonly watchContainer?: readonly string[];
  readonly watchInterval?: string;
}

export interface Serving {
  readonly url: string;
  readonly app: FastifyInstance;
  /** The built-in emulator, when no F&O is configured (tests and `start` reach its admin API). */
  readonly emulator?: RunningEmulator;
}

/**
 * Runs the HTTP API and (unless --no-worker) a delivery worker in one process until `stop` resolves.
 * Shutdown order: stop accepting requests, let the worker finish the journals in flight, close the store.
 */
export async function runServe(
  flags: ServeFlags,
  io: CliIo,
  stop: Promise<unknown>,
  onListening?: (serving: Serving) => void,
): Promise<number> {
  // --port and --host, else PORT and HOST (as container platforms and process managers set them).
  const settings = readEnvironment(io.env);
  const port = wholeNumber("--port", flags.port, 65535) ?? settings.PORT;
  const host = flags.host ?? settings.HOST;
  const runtime = await openRuntime(io, { threadedStore: true });
  // Keys, idempotency and audit: in the outbox's database, through its connection (PostgreSQL's pool),
  // or — the SQLite outbox on its own thread — kept by that thread, off the API's thread.
  const apiStore =
    runtime.store instanceof SqlOutboxStore
      ? new ApiStore(runtime.store.database)
      : (runtime.store as ThreadedStore).api();
  const { config } = runtime;
  const entra =
    config.apiAudiences === undefined
      ? undefined
      : {
          authorityHost: config.auth.credential.authorityHost ?? "https://login.microsoftonline.com",
          tenantId: config.apiTenantId ?? config.auth.credential.tenantId ?? "",
          audiences: config.apiAudiences,
          ...(config.caCertPem === undefined ? {} : { caCertPem: config.caCertPem }),
        };
  if (entra !== undefined && !/^[0-9a-f-]{36}$/i.test(entra.tenantId)) {
    await runtime.close();
    throw new BridgeError(
      "CONFIG_INVALID",
      "LEDGER_BRIDGE_API_AUDIENCE is set: set LEDGER_BRIDGE_API_TENANT_ID (or AZURE_TENANT_ID) to the tenant id whose tokens to accept.",
    );
  }
  // The store-time compile learns the target's field lengths once F&O answers; until then it checks
  // what needs no F&O, and the worker's claim-time compile checks the rest.
  runtime.target
    .prepare(runtime.client)
    .catch((error: unknown) =>
      runtime.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        "the delivery target could not be checked against F&O yet",
      ),
    );
  const delivery = new DeliveryMetrics();
  const webhooks =
    config.webhooks === undefined
      ? undefined
      : new Webhooks({
          urls: config.webhooks.urls,
          secret: config.webhooks.secret,
          logger: runtime.logger.child({ component: "webhooks" }),
        });
  const alerts =
    webhooks === undefined || config.webhooks === undefined
      ? undefined
      : new DeliveryAlerts({
          store: runtime.store,
          send: (alert) => webhooks.send(alert),
          clock: systemClock,
          inDoubtAfterMs: config.webhooks.inDoubtAfterMs,
        });
  const observe = (event: EngineEvent) => {
    delivery.observe(event);
    alerts
      ?.onEvent(event)
      .catch((error: unknown) => runtime.logger.warn({ err: String(error) }, "alert not prepared"));
  };
  const app = await buildApp({
    store: runtime.store,
    apiStore,
    client: runtime.client,
    target: runtime.target,
    readOptions: readOptionsFor(config),
    logger: runtime.logger.child({ component: "api" }),
    post: flags.post !== false,
    rateLimit: config.apiRateLimit,
    delivery,
    worker: flags.worker !== false,
    fno: () => engine?.activity(),
    workerLiveness: { health: () => engine?.health(), stallAfterMs: config.workerStallMs },
    ...(entra === undefined ? {} : { entra }),
    doctor: () =>
      runDoctor({
        config: runtime.config,
        configured: runtime.configured,
        tokens: () => runtime.client.tokens,
        client: () => runtime.client,
        writeProbe: false,
      }),
  });
  // The worker runs on a thread of its own: its CPU and fsyncs must not delay API requests.
  // With SQLite it shares the store's thread (one writer for the file) over a port of its own.
  const share = (runtime.store as { share?: () => MessagePort }).share;
  const engine =
    flags.worker === false
      ? undefined
      : await startThreadedEngine(
          runtime.config,
          observe,
          share === undefined ? undefined : () => share.call(runtime.store),
          runtime.logger.child({ component: "delivery" }),
        );
  // Idempotency records: kept a day, stale in-flight markers released (every instance may sweep).
  const sweep = () =>
    apiStore.purgeIdempotent(Date.now()).catch((error: unknown) => {
      runtime.logger.warn({ err: String(error) }, "idempotency sweep failed");
      return 0;
    });
  await sweep();
  const sweeper = setInterval(sweep, 10 * 60_000);
  sweeper.unref();
  // Alerts on pauses follow the worker's health reports (each second); journals in doubt are looked
  // at every half minute.
  let checks = 0;
  const watcher =
    alerts === undefined
      ? undefined
      : setInterval(() => {
          alerts.onHealth(engine?.health());
          if (checks++ % 30 === 0)
            alerts
              .checkInDoubt()
              .catch((error: unknown) =>
                runtime.logger.warn({ err: String(error) }, "in-doubt check failed"),
              );
        }, 1000);
  watcher?.unref();
  // Pickup folders: files taken into the outbox here, delivered by the worker (or another instance's).
  let stopPickup: () => void = () => undefined;
  const pickupStopped = new Promise<void>((resolve) => {
    stopPickup = resolve;
  });
  const pickups: Promise<void>[] = [];
  const inboxes: Inbox[] = [];
  for (const folder of flags.watch ?? []) inboxes.push(await openInbox({ folder }, io.env));
  for (const container of flags.watchContainer ?? []) inboxes.push(await openInbox({ container }, io.env));
  for (const inbox of inboxes) {
    pickups.push(
      runPickup(
        inbox,
        {
          store: runtime.store,
          target: runtime.target,
          read: readOptionsFor(config),
          post: flags.post !== false,
          intervalMs: Number(flags.watchInterval ?? 5) * 1000,
          logger: runtime.logger.child({ component: "pickup", inbox: inbox.description }),
          onReport: (report) =>
            runtime.logger.info(
              { file: report.file, status: report.status, created: report.created.length },
              "pickup",
            ),
        },
        pickupStopped,
      ),
    );
  }
  try {
    const address = await app.listen({ port, host });
    const style = styleFor(io);
    const keys = await apiStore.listKeys();
    io.stdout.write(
      `${style.bold("ledger-bridge serve")} is listening on ${address} (delivery worker: ${engine === undefined ? "off" : "on"}; store: ${runtime.config.store.replace(/\/\/[^@/]*@/, "//***@")}).\n` +
        `  API description   ${address}/openapi.json\n` +
        `  Health            ${address}/healthz, ${address}/readyz\n` +
        (entra === undefined
          ? ""
          : `  Entra ID tokens   accepted for ${entra.audiences.join(", ")} from tenant ${entra.tenantId}\n`) +
        (inboxes.length === 0
          ? ""
          : `  Pickup            ${inboxes.map((inbox) => inbox.description).join(", ")}\n`) +
        (keys.some((key) => key.revokedAt === null)
          ? ""
          : "  No API key exists yet: create one with `ledger-bridge keys create --scope admin`.\n") +
        "Stop it with Ctrl+C (journals in flight are finished first).\n",
    );
    if (!/^(127\.|localhost$|::1$)/.test(host))
      io.stderr.write(
        `warning: listening on ${host} without TLS: API keys and tokens cross the network in clear text unless a TLS-terminating proxy is in front.\n`,
      );
    onListening?.({ url: address, app, ...(runtime.emulator ? { emulator: runtime.emulator } : {}) });
    await stop;
    io.stderr.write("stopping: no new requests; finishing the journals in flight…\n");
  } finally {
    clearInterval(sweeper);
    if (watcher !== undefined) clearInterval(watcher);
    stopPickup();
    await Promise.all(pickups);
    await app.close();
    await engine?.stop();
    await webhooks?.close();
    await runtime.close();
  }
  return EXIT.ok;
}

export function registerServe(program: Command, io: CliIo, done: (code: number) => void): void {
  program
    .command("serve")
    .description(summaryOf("serve"))
    .option("--port <n>", "TCP port (0: any free port; default: PORT, else 8080)")
    .option("--host <address>", "address to listen on (default: HOST, else 127.0.0.1)")
    .option("--no-worker", "API only: another instance sharing the store delivers")
    .option("--no-post", "deliver submitted journals without posting them")
    .option("--watch <dir...>", "also take journal files dropped into DIR/inbound (pickup folders)")
    .option(
      "--watch-container <name...>",
      "also take journal files from these Azure Blob containers' inbound/",
    )
    .option("--watch-interval <seconds>", "how often pickup folders and containers are looked at", "5")
    .action(async (flags: ServeFlags) => {
      done(await runServe(flags, io, untilSignal()));
    });
}
