/** Builds the authenticated F&O client a command needs from the validated configuration. */
import { join } from "node:path";
import type { Logger } from "pino";
import { tokenProviderFor } from "../auth/credentials.js";
import type { EnvironmentUrl } from "../auth/environment-url.js";
import { type LoginConfig, LoginCredential } from "../auth/login.js";
import { TokenProvider } from "../auth/token-provider.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import { type ClientEvent, D365Client, type D365ClientOptions } from "../d365/client.js";
import type { BridgeConfig } from "./index.js";

export function loginCacheFile(config: BridgeConfig): string {
  return join(config.home, "login-cache.json");
}

/** What `login` needs; every missing piece is named. */
export function loginConfig(config: BridgeConfig): LoginConfig {
  const { tenantId, clientId, authorityHost, caCertPem } = config.auth.credential;
  for (const [name, value] of [
    ["AZURE_TENANT_ID", tenantId],
    ["AZURE_CLIENT_ID", clientId],
    ["LEDGER_BRIDGE_CACHE_KEY", config.cacheKey],
  ] as const) {
    if (value === undefined) throw new BridgeError("CONFIG_MISSING", `Signing in needs ${name}.`);
  }
  return {
    tenantId: tenantId as string,
    clientId: clientId as string,
    cacheFile: loginCacheFile(config),
    cacheKey: config.cacheKey as string,
    ...(authorityHost === undefined ? {} : { authorityHost }),
    ...(caCertPem === undefined ? {} : { caCertPem }),
  };
}

export function tokenProvider(config: BridgeConfig, environment: EnvironmentUrl): TokenProvider {
  if (config.auth.kind === "login") {
    const login = loginConfig(config);
    return new TokenProvider(new LoginCredential(login), environment.scope, {
      authorityHost: login.authorityHost ?? "https://login.microsoftonline.com",
      tenantId: login.tenantId,
      ...(login.caCertPem === undefined ? {} : { caCertPem: login.caCertPem }),
    });
  }
  return tokenProviderFor({ kind: config.auth.kind, ...config.auth.credential }, environment.scope);
}

/**
 * The F&O client for the configuration: the one place a client is composed (delivery, commands, the
 * doctor). `tokens` shares a provider already made; `tuning` overrides what a caller needs otherwise
 * (the doctor: fewer connections, a short timeout, no sitting out throttling).
 */
export function connect(
  config: BridgeConfig,
  environment: EnvironmentUrl,
  options: {
    logger?: Logger;
    onEvent?: (event: ClientEvent) => void;
    tokens?: TokenProvider;
    tuning?: Pick<D365ClientOptions, "concurrency" | "timeoutMs" | "retry">;
  } = {},
): D365Client {
  return new D365Client({
    url: environment.url,
    tokens: options.tokens ?? tokenProvider(config, environment),
    csrf: config.csrf,
    concurrency: config.concurrency,
    timeoutMs: config.timeoutMs,
    ...options.tuning,
    ...(config.caCertPem === undefined ? {} : { caCertPem: config.caCertPem }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  });
}
