/**
 * A local emulator of Dynamics 365 Finance & Operations and of the Entra ID token service, in the
 * spirit of Azurite: `startEmulator()` in-process, or `ledger-bridge emulator` as a process. It
 * imports nothing from the client side of ledger-bridge, so the two cannot share a bug.
 */
import { randomBytes } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import { EmulatorAdmin } from "./admin/client.js";
import { type EmulatorContext, seededRandom } from "./context.js";
import { TokenSigner } from "./entra/signing.js";
import { TokenService } from "./entra/token-service.js";
import { entitySetsFor } from "./fno/entities.js";
import { FnoFrontDoor } from "./fno/front-door.js";
import { Journals } from "./fno/journals.js";
import { ODataService } from "./fno/odata/service.js";
import { RequestLog } from "./request-log.js";
import { DEMO, SCENARIOS, type ScenarioName, scenarioData } from "./scenarios/index.js";
import { EmulatorServer } from "./server.js";
import type { EmulatorData } from "./state/model.js";
import { StateFile } from "./state/persist.js";
import { EmulatorState } from "./state/store.js";
import { upgradeSavedState } from "./state/upgrade.js";
import { ensureTls } from "./tls.js";

export { EmulatorAdmin } from "./admin/client.js";
export { DEMO, SCENARIOS, type ScenarioName } from "./scenarios/index.js";

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly scenario?: ScenarioName;
  /** Added to every F&O request, in milliseconds. */
  readonly latencyMs?: number;
  /** Keeps the state in this SQLite file across restarts. */
  readonly stateFile?: string;
  /** Where the local CA, the server certificate and the token signing key live. */
  readonly dataDir?: string;
  /** The admin API key (a random one by default). */
  readonly adminKey?: string;
}

export interface RunningEmulator {
  /** The F&O environment URL: also the audience tokens must carry. */
  readonly d365Url: string;
  /** For AZURE_AUTHORITY_HOST / the credential's authorityHost. */
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** A public client for device code sign-in. */
  readonly publicClientId: string;
  readonly caCertPath: string;
  readonly caCertPem: string;
  readonly adminUrl: string;
  readonly adminKey: string;
  readonly scenario: ScenarioName;
  /** The demo environment's dimension format for integrating applications. */
  readonly dimensionFormat: readonly string[];
  readonly admin: EmulatorAdmin;
  close(): Promise<void>;
}

export function defaultDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return env.LEDGER_BRIDGE_HOME
    ? join(env.LEDGER_BRIDGE_HOME, "emulator")
    : join(homedir(), ".ledger-bridge", "emulator");
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const scenario = options.scenario ?? "default";
  if (!SCENARIOS.includes(scenario))
    throw new Error(`Unknown scenario '${scenario}'; known: ${SCENARIOS.join(", ")}.`);
  const dataDir = options.dataDir ?? defaultDataDir();
  const tls = ensureTls(dataDir);
  const signer = await TokenSigner.load(dataDir);
  const stateFile = options.stateFile === undefined ? undefined : new StateFile(options.stateFile);
  const defs = entitySetsFor(scenario);
  const adminKey = options.adminKey ?? randomBytes(18).toString("base64url");
  const log = new RequestLog();

  const fresh = (url: string): EmulatorData => {
    const data = scenarioData(scenario, url);
    if (options.latencyMs !== undefined) data.config.latency.perRequestMs = options.latencyMs;
    return data;
  };
  let saveTimer: NodeJS.Timeout | undefined;
  const context: EmulatorContext = {
    state: new EmulatorState(fresh(""), defs),
    signer,
    now: () => Math.floor(Date.now() / 1000),
    deviceCodes: new Map(),
    authorizationCodes: new Map(),
    refreshTokens: new Map(),
    csrfSessions: new Map(),
    issuedTokenIds: new Set(),
    revokedTokenIds: new Set(),
    random: seededRandom(42),
    inFlight: 0,
    changed: () => {
      if (stateFile === undefined || saveTimer !== undefined) return;
      saveTimer = setTimeout(() => {
        saveTimer = undefined;
        stateFile.save(context.state.snapshot());
      }, 50);
    },
  };
  const journals = new Journals(context);
  const odata = new ODataService(context, journals, defs);
  const fno = new FnoFrontDoor(context, odata, journals);
  const server = new EmulatorServer(tls, {
    context,
    log,
    tokens: new TokenService(context),
    fno,
    admin: {
      context,
      log,
      adminKey,
      reset: () => {
        context.state = new EmulatorState(fresh(context.state.config.environmentUrl), defs);
        context.random = seededRandom(context.state.config.randomSeed);
        context.deviceCodes.clear();
        context.refreshTokens.clear();
        context.authorizationCodes.clear();
        context.csrfSessions.clear();
        fno.packages.reset();
      },
    },
  });
  await server.listen(options.port ?? 0);
  const origin = `https://127.0.0.1:${server.port}`;
  // The environment URL is the emulator's own origin, so `aud` checks work as in F&O.
  const saved = stateFile?.load();
  const data = saved ?? fresh(origin);
  if (saved !== undefined) {
    // A state saved by an older emulator lacks what was added since and has shapes since corrected.
    upgradeSavedState(data, fresh(origin).tables);
  }
  data.config.environmentUrl = origin;
  context.state = new EmulatorState(data, defs);
  context.random = seededRandom(data.config.randomSeed);

  return {
    d365Url: origin,
    authorityHost: origin,
    tenantId: data.config.tenantId,
    clientId: DEMO.clientId,
    clientSecret: DEMO.clientSecret,
    publicClientId: DEMO.publicClientId,
    caCertPath: tls.caCertPath,
    caCertPem: tls.caCertPem,
    adminUrl: `${origin}/_emulator`,
    adminKey,
    scenario,
    dimensionFormat: DEMO.dimensionFormat,
    admin: new EmulatorAdmin(origin, adminKey, tls.caCertPem),
    async close() {
      if (saveTimer !== undefined) clearTimeout(saveTimer);
      await server.close();
      if (stateFile !== undefined) {
        stateFile.save(context.state.snapshot());
        stateFile.close();
      }
    },
  };
}
