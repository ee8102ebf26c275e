/**
 * Credentials from configuration, over @azure/identity. Credentials only acquire tokens; the library
 * caches and renews them. For a non-public authority (the emulator, a sovereign cloud) instance
 * discovery is turned off and its CA is trusted through the credential's own options — never by
 * turning TLS checks off.
 */
import { readFileSync } from "node:fs";
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { withSystemRoots } from "../common/https.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import { TokenProvider } from "./token-provider.js";

export const CREDENTIAL_KINDS = [
  "secret",
  "certificate",
  "managed-identity",
  "workload-identity",
  "environment",
  "default",
] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

export interface CredentialConfig {
  readonly kind: CredentialKind;
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly certificatePath?: string;
  /** e.g. https://login.microsoftonline.com (default) or the emulator's URL. */
  readonly authorityHost?: string;
  /** Extra CA (PEM) to trust for the authority, added to the public roots. */
  readonly caCertPem?: string;
}

const PUBLIC_AUTHORITIES = [
  "https://login.microsoftonline.com",
  "https://login.microsoftonline.us",
  "https://login.chinacloudapi.cn",
  "https://login.partner.microsoftonline.cn",
];

function required(
  config: CredentialConfig,
  field: "tenantId" | "clientId" | "clientSecret" | "certificatePath",
  setting: string,
): string {
  const value = config[field];
  if (value === undefined || value === "") {
    throw new BridgeError("CONFIG_MISSING", `The ${config.kind} credential needs ${setting}.`);
  }
  return value;
}

/** Options every credential takes: authority, instance discovery, trust. */
function commonOptions(config: CredentialConfig) {
  const authorityHost = config.authorityHost?.replace(/\/+$/, "");
  const isPublic = authorityHost === undefined || PUBLIC_AUTHORITIES.includes(authorityHost.toLowerCase());
  return {
    ...(authorityHost === undefined ? {} : { authorityHost }),
    // Off the public cloud, the libraries would otherwise ask login.microsoftonline.com whether the
    // authority is genuine: 7 s of retries, then failure, on a closed network.
    ...(isPublic ? {} : { disableInstanceDiscovery: true }),
    ...(config.caCertPem === undefined ? {} : { tlsOptions: { ca: withSystemRoots(config.caCertPem) } }),
  };
}

export function createCredential(config: CredentialConfig): TokenCredential {
  const options = commonOptions(config);
  switch (config.kind) {
    case "secret":
      return new ClientSecretCredential(
        required(config, "tenantId", "AZURE_TENANT_ID"),
        required(config, "clientId", "AZURE_CLIENT_ID"),
        required(config, "clientSecret", "AZURE_CLIENT_SECRET"),
        options,
      );
    case "certificate": {
      const path = required(config, "certificatePath", "AZURE_CLIENT_CERTIFICATE_PATH");
      let pem: string;
      try {
        pem = readFileSync(path, "utf8");
      } catch (error) {
        throw new BridgeError("CONFIG_INVALID", `AZURE_CLIENT_CERTIFICATE_PATH '${path}' cannot be read.`, {
          cause: error,
        });
      }
      return new ClientCertificateCredential(
        required(config, "tenantId", "AZURE_TENANT_ID"),
        required(config, "clientId", "AZURE_CLIENT_ID"),
        { certificate: pem },
        options,
      );
    }
    case "managed-identity":
      return config.clientId === undefined
        ? new ManagedIdentityCredential(options)
        : new ManagedIdentityCredential(config.clientId, options);
    case "workload-identity":
      return new WorkloadIdentityCredential({
        ...options,
        ...(config.tenantId === undefined ? {} : { tenantId: config.tenantId }),
        ...(config.clientId === undefined ? {} : { clientId: config.clientId }),
      });
    case "environment":
      return new EnvironmentCredential(options);
    case "default":
      return new DefaultAzureCredential(options);
  }
}

/** A token provider for the environment's scope, able to name the cause of authority failures. */
export function tokenProviderFor(config: CredentialConfig, scope: string): TokenProvider {
  const tenantId = config.tenantId ?? process.env.AZURE_TENANT_ID;
  const authorityHost =
    config.authorityHost ?? process.env.AZURE_AUTHORITY_HOST ?? "https://login.microsoftonline.com";
  return new TokenProvider(
    createCredential(config),
    scope,
    tenantId === undefined
      ? undefined
      : {
          authorityHost,
          tenantId,
          ...(config.caCertPem === undefined ? {} : { caCertPem: config.caCertPem }),
        },
  );
}
