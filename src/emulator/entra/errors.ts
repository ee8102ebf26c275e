/**
 * Every error the emulated Entra ID token service answers with, in Entra's own shape and with the
 * real AADSTS codes. One factory per error so the catalogue lives in one place.
 */
import { randomUUID } from "node:crypto";
import { type EmuResponse, json } from "../http.js";

function aad(status: number, error: string, code: number, description: string): EmuResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace("T", " ").replace(/\..+/, "Z");
  return json(status, {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  });
}

export const EntraErrors = {
  tenantNotFound: (tenant: string) =>
    aad(
      400,
      "invalid_request",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  applicationNotFound: (clientId: string, tenant: string) =>
    aad(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    ),
  invalidClientSecret: (clientId: string) =>
    aad(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  expiredClientSecret: (clientId: string) =>
    aad(401, "invalid_client", 7000222, `The provided client secret keys for app '${clientId}' are expired.`),
  missingClientCredential: () =>
    aad(
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
  certificateNotRegistered: (clientId: string) =>
    aad(
      401,
      "invalid_client",
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application '${clientId}'.`,
    ),
  invalidAssertion: (reason: string) =>
    aad(401, "invalid_client", 700027, `Client assertion failed signature validation. ${reason}`),
  resourceNotFound: (resource: string, tenant: string) =>
    aad(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  invalidScope: (scope: string) =>
    aad(
      400,
      "invalid_scope",
      70011,
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' ('${scope}') is not valid. The scope ${scope} is not valid.`,
    ),
  // Entra's answer when the client credentials flow asks for a scope other than <resource>/.default.
  defaultScopeRequired: (scope: string) =>
    aad(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  consentRequired: (clientId: string, name: string) =>
    aad(
      400,
      "invalid_grant",
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}' named '${name}'. Send an interactive authorization request for this user and resource.`,
    ),
  unsupportedGrant: (grant: string) =>
    aad(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grant}'.`),
  invalidRequest: (detail: string) => aad(400, "invalid_request", 900144, detail),
  authorizationPending: () =>
    aad(
      400,
      "authorization_pending",
      70016,
      "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
    ),
  expiredToken: () =>
    aad(400, "expired_token", 70020, "The provided authorization code or refresh token has expired."),
  badVerificationCode: () =>
    aad(
      400,
      "invalid_grant",
      70000,
      "Provided grant is invalid or malformed (device code, authorization code or refresh token).",
    ),
  redirectMismatch: (uri: string, clientId: string) =>
    aad(
      400,
      "invalid_request",
      50011,
      `The redirect URI '${uri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
    ),
  notSupported: (what: string) =>
    aad(400, "invalid_request", 9000000, `${what} is not supported by the emulator.`),
};
