import { readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach } from "node:test";
import { importPKCS8, type JWTPayload, SignJWT } from "jose";
import { type EmulatorOptions, type RunningEmulator, startEmulator } from "../../src/emulator/index.js";

/** One data directory per test process: the CA and keys are made once, as a developer's would be. */
export const TEST_DATA_DIR = join(tmpdir(), `ledger-bridge-test-${process.pid}`);
process.once("exit", () => rmSync(TEST_DATA_DIR, { recursive: true, force: true }));

export function startTestEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ dataDir: TEST_DATA_DIR, ...options });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/** A plain HTTPS request to the emulator (no client code of ledger-bridge involved). */
export function call(
  emulator: RunningEmulator,
  method: string,
  path: string,
  options: {
    token?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    timeoutMs?: number;
  } = {},
): Promise<HttpAnswer> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, emulator.d365Url),
      {
        method,
        ca: emulator.caCertPem,
        agent: false,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(body ? { "content-type": "application/json", "content-length": body.length } : {}),
          ...options.headers,
        },
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text,
            json: () => JSON.parse(text),
          });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Posts a form to the emulated token service. */
export function tokenRequest(
  emulator: RunningEmulator,
  form: Record<string, string>,
  path = `/${emulator.tenantId}/oauth2/v2.0/token`,
) {
  return call(emulator, "POST", path, {
    body: new URLSearchParams(form).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
}

/** An app-only token for the demo application, by a raw client-credentials request. */
export async function appToken(
  emulator: RunningEmulator,
  scope = `${emulator.d365Url}/.default`,
): Promise<string> {
  const answer = await tokenRequest(emulator, {
    grant_type: "client_credentials",
    client_id: emulator.clientId,
    client_secret: emulator.clientSecret,
    scope,
  });
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.body}`);
  return answer.json().access_token;
}

/**
 * Mints a token with any claims, signed with the emulator's own key (as Azurite's tests mint theirs):
 * for the cases the token service would never issue (another tenant, no oid, expired).
 */
export async function mintToken(
  emulator: RunningEmulator,
  claims: JWTPayload,
  lifetimeSeconds = 3600,
): Promise<string> {
  const key = await importPKCS8(readFileSync(join(TEST_DATA_DIR, "token-signing-key.pem"), "utf8"), "RS256");
  const now = Math.floor(Date.now() / 1000);
  const base = {
    aud: emulator.d365Url,
    iss: `https://sts.windows.net/${emulator.tenantId}/`,
    tid: emulator.tenantId,
    appid: emulator.clientId,
    oid: "00000000-0000-4000-8000-000000000001",
    idtyp: "app",
  };
  const kid = (await (await call(emulator, "GET", `/${emulator.tenantId}/discovery/v2.0/keys`)).json())
    .keys[0].kid;
  return new SignJWT({ ...base, ...claims })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(key);
}

export const odataJson = (value: unknown) => JSON.stringify(value);

/**
 * Starts one emulator for the test file (with an app token ready), resets it before each test when
 * asked, and closes it after the file. Read `emulator` and `token` inside tests, not at load time.
 */
export function useEmulator(options: EmulatorOptions & { resetEachTest?: boolean } = {}) {
  const handle = {} as { emulator: RunningEmulator; token: string };
  const { resetEachTest, ...emulatorOptions } = options;
  before(async () => {
    handle.emulator = await startTestEmulator(emulatorOptions);
    handle.token = await appToken(handle.emulator);
  });
  if (resetEachTest) beforeEach(() => handle.emulator.admin.reset());
  after(() => handle.emulator.close());
  return handle;
}

/** The settings that point ledger-bridge at an emulator with its demo application's secret. */
export function connectionEnv(emulator: RunningEmulator): Record<string, string> {
  return {
    D365_URL: emulator.d365Url,
    AZURE_TENANT_ID: emulator.tenantId,
    AZURE_CLIENT_ID: emulator.clientId,
    AZURE_CLIENT_SECRET: emulator.clientSecret,
    AZURE_AUTHORITY_HOST: emulator.authorityHost,
    LEDGER_BRIDGE_CA_CERT: emulator.caCertPath,
  };
}
