/**
 * Delegated sign-in (`ledger-bridge login`): the device-code flow runs once; MSAL's cache, with the
 * refresh token, is kept in a file encrypted with AES-256-GCM under a key from configuration
 * (LEDGER_BRIDGE_CACHE_KEY); later runs renew tokens silently from it. When the sign-in can no longer
 * be renewed the error says to run `login` again.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import {
  type ICachePlugin,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  PublicClientApplication,
  type TokenCacheContext,
} from "@azure/msal-node";
import { httpsText } from "../common/https.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import { AuthError, toAuthError } from "./errors.js";

export interface LoginConfig {
  readonly tenantId: string;
  /** A public client application (Entra admin center: "Allow public client flows"). */
  readonly clientId: string;
  readonly authorityHost?: string;
  readonly caCertPem?: string;
  readonly cacheFile: string;
  readonly cacheKey: string;
}

const FORMAT = 1;

/** The MSAL cache, encrypted at rest. A wrong key or a damaged file reads as "no sign-in". */
class EncryptedCachePlugin implements ICachePlugin {
  constructor(
    private readonly file: string,
    private readonly key: string,
  ) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    const plain = this.read();
    if (plain !== undefined) context.tokenCache.deserialize(plain);
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged) return;
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", scryptSync(this.key, salt, 32), iv);
    const data = Buffer.concat([cipher.update(context.tokenCache.serialize(), "utf8"), cipher.final()]);
    const record = {
      v: FORMAT,
      salt: salt.toString("base64"),
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: data.toString("base64"),
    };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    // Write then rename: a crash never leaves half a cache behind.
    writeFileSync(`${this.file}.tmp`, JSON.stringify(record), { mode: 0o600 });
    renameSync(`${this.file}.tmp`, this.file);
  }

  read(): string | undefined {
    let record: { v: number; salt: string; iv: string; tag: string; data: string };
    try {
      record = JSON.parse(readFileSync(this.file, "utf8"));
    } catch {
      return undefined;
    }
    if (record.v !== FORMAT) return undefined;
    try {
      const decipher = createDecipheriv(
        "aes-256-gcm",
        scryptSync(this.key, Buffer.from(record.salt, "base64"), 32),
        Buffer.from(record.iv, "base64"),
      );
      decipher.setAuthTag(Buffer.from(record.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(record.data, "base64")), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      return undefined;
    }
  }
}

/** MSAL's HTTP, over node:https, trusting the configured CA as well as the public roots. */
function networkClient(caCertPem: string | undefined): INetworkModule {
  const send = <T>(
    url: string,
    method: "GET" | "POST",
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> =>
    httpsText(url, {
      method,
      caCertPem,
      // MSAL sets its own expectations of time; no extra timeout here.
      timeoutMs: 0,
      headers: {
        ...options?.headers,
        ...(method === "POST"
          ? {
              "content-type": "application/x-www-form-urlencoded;charset=utf-8",
              "content-length": Buffer.byteLength(options?.body ?? ""),
            }
          : {}),
      },
      ...(method === "POST" ? { body: options?.body ?? "" } : {}),
    }).then((answer) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.text);
      } catch {
        parsed = answer.text;
      }
      return { status: answer.status, headers: answer.headers, body: parsed as T };
    });
  return {
    sendGetRequestAsync: (url, options) => send(url, "GET", options),
    sendPostRequestAsync: (url, options) => send(url, "POST", options),
  };
}

function application(config: LoginConfig): PublicClientApplication {
  if (config.cacheKey.length < 16) {
    throw new BridgeError("CONFIG_INVALID", "LEDGER_BRIDGE_CACHE_KEY must have at least 16 characters.");
  }
  const authorityHost = (config.authorityHost ?? "https://login.microsoftonline.com").replace(/\/+$/, "");
  const host = new URL(authorityHost).host;
  return new PublicClientApplication({
    auth: {
      clientId: config.clientId,
      authority: `${authorityHost}/${config.tenantId}`,
      // Naming the authority as known skips instance discovery, which a closed network cannot reach.
      ...(host === "login.microsoftonline.com" ? {} : { knownAuthorities: [host] }),
    },
    cache: { cachePlugin: new EncryptedCachePlugin(config.cacheFile, config.cacheKey) },
    system: { networkClient: networkClient(config.caCertPem) },
  });
}

/** Runs the device-code flow; `prompt` shows the user where to go and which code to enter. */
export async function login(
  config: LoginConfig,
  scope: string,
  prompt: (message: string, userCode: string) => void,
): Promise<{ username: string }> {
  const app = application(config);
  try {
    const result = await app.acquireTokenByDeviceCode({
      scopes: [scope],
      deviceCodeCallback: (response) => prompt(response.message, response.userCode),
    });
    if (result === null) throw new Error("The device code flow returned no result.");
    return { username: result.account?.username ?? "(unknown)" };
  } catch (error) {
    throw toAuthError(error);
  }
}

/** A TokenCredential that renews the stored sign-in silently, or says to sign in again. */
export class LoginCredential implements TokenCredential {
  private readonly app: PublicClientApplication;

  constructor(private readonly config: LoginConfig) {
    this.app = application(config);
  }

  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    const [account] = await this.app.getTokenCache().getAllAccounts();
    if (account === undefined) {
      throw new AuthError(
        "AUTH_LOGIN_REQUIRED",
        `There is no stored sign-in in ${this.config.cacheFile} (or the cache key does not open it).`,
        undefined,
      );
    }
    try {
      const result = await this.app.acquireTokenSilent({
        account,
        scopes: Array.isArray(scopes) ? scopes : [scopes],
        // F&O refused the last token: get a new one from the refresh token, not from the cache.
        forceRefresh: options.claims !== undefined,
      });
      return {
        token: result.accessToken,
        expiresOnTimestamp: result.expiresOn?.getTime() ?? Date.now() + 300_000,
      };
    } catch (error) {
      const named = toAuthError(error);
      if (
        named.code === "AUTH_FAILED" &&
        /interaction_required|invalid_grant|no_tokens_found|refresh_token/i.test(
          String((error as Error).message),
        )
      ) {
        throw new AuthError(
          "AUTH_LOGIN_REQUIRED",
          "The stored sign-in can no longer be renewed.",
          named.aadsts,
          { cause: error },
        );
      }
      throw named;
    }
  }
}
