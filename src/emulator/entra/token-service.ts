/**
 * The emulated Entra ID token service: discovery, keys, the v2 token and device code endpoints, the
 * v1 token endpoint (with `resource` and string numbers, as Entra answers it), and an authorize
 * endpoint that signs the configured user in at once. Good enough that the real @azure/identity and
 * @azure/msal-node get tokens from it unchanged.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { decodeProtectedHeader, importX509, type JWTPayload, jwtVerify } from "jose";
import type { EmulatorContext, UserGrant } from "../context.js";
import { type EmuRequest, type EmuResponse, header, json } from "../http.js";
import type { EntraApp, EntraUser } from "../state/model.js";
import { EntraErrors } from "./errors.js";

/** Delegated permissions of the Microsoft Dynamics ERP API, as F&O's tokens carry them. */
const FNO_DELEGATED = ["AX.FullAccess", "CustomService.FullAccess", "Odata.FullAccess"];
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
const GRANT_DEVICE_CODE = new Set(["device_code", "urn:ietf:params:oauth:grant-type:device_code"]);

export function normalizeResource(resource: string): string {
  return resource.toLowerCase().replace(/\/+$/, "");
}

/** A stable object id for an application's service principal. */
function servicePrincipalObjectId(clientId: string): string {
  const hex = createHash("sha256").update(`sp:${clientId}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface TenantRoute {
  readonly tenant: string;
  readonly rest: string;
}

function route(path: string): TenantRoute | undefined {
  const match = /^\/([^/]+)(\/.*)$/.exec(path);
  if (!match) return undefined;
  return { tenant: decodeURIComponent(match[1] as string), rest: match[2] as string };
}

const ENTRA_PATHS = new Set([
  "/v2.0/.well-known/openid-configuration",
  "/.well-known/openid-configuration",
  "/oauth2/v2.0/token",
  "/oauth2/v2.0/devicecode",
  "/oauth2/v2.0/authorize",
  "/oauth2/token",
  "/discovery/v2.0/keys",
  "/discovery/keys",
]);

/** Whether a path belongs to the token service (everything else is F&O or the admin API). */
export function isEntraPath(path: string): boolean {
  const parts = route(path);
  return parts !== undefined && ENTRA_PATHS.has(parts.rest);
}

type Scope = {
  readonly requested: string;
  readonly resource: string;
  readonly permissions: string[];
  readonly oidc: string[];
};

export class TokenService {
  constructor(private readonly context: EmulatorContext) {}

  private get config() {
    return this.context.state.config;
  }

  private knowsTenant(tenant: string): boolean {
    const lower = tenant.toLowerCase();
    return (
      lower === this.config.tenantId ||
      lower === "organizations" ||
      lower === "common" ||
      this.config.tenantDomains.some((domain) => domain.toLowerCase() === lower)
    );
  }

  async handle(request: EmuRequest): Promise<EmuResponse> {
    const parts = route(request.url.pathname) as TenantRoute;
    if (!this.knowsTenant(parts.tenant)) return EntraErrors.tenantNotFound(parts.tenant);
    const base = `${request.origin}/${this.config.tenantId}`;
    switch (parts.rest) {
      case "/v2.0/.well-known/openid-configuration":
      case "/.well-known/openid-configuration":
        return json(200, this.discovery(`${request.origin}/${parts.tenant}`, base));
      case "/discovery/v2.0/keys":
      case "/discovery/keys":
        return json(200, this.context.signer.jwks());
      case "/oauth2/v2.0/authorize":
        return this.authorize(request);
    }
    if (request.method !== "POST")
      return EntraErrors.invalidRequest(`${request.method} is not allowed here; use POST.`);
    const form = new URLSearchParams(request.body.toString("utf8"));
    switch (parts.rest) {
      case "/oauth2/v2.0/devicecode":
        return this.deviceCode(form, request.origin);
      case "/oauth2/v2.0/token":
        return this.token(form, `${request.origin}/${parts.tenant}/oauth2/v2.0/token`, request, "v2");
      default:
        return this.token(form, `${request.origin}/${parts.tenant}/oauth2/token`, request, "v1");
    }
  }

  /** URLs are built from the request's Host: MSAL checks the issuer against the authority it used. */
  private discovery(requested: string, base: string) {
    return {
      token_endpoint: `${requested}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${requested}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${requested}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${base}/openid/userinfo`,
      authorization_endpoint: `${requested}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${requested}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${requested}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "nonce",
        "name",
        "oid",
        "tid",
        "preferred_username",
      ],
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
    };
  }

  private app(clientId: string | null): EntraApp | undefined {
    return clientId === null ? undefined : this.context.state.data.entraApps[clientId];
  }

  /** Parses and checks the scope: one resource the tenant knows, plus OpenID scopes. */
  private scope(raw: string | null, appOnly: boolean): Scope | EmuResponse {
    const items = (raw ?? "").split(/\s+/).filter((item) => item !== "");
    const oidc = items.filter((item) => OIDC_SCOPES.has(item));
    const resources = items.filter((item) => !OIDC_SCOPES.has(item));
    if (resources.length !== 1) return EntraErrors.invalidScope(raw ?? "");
    const scope = resources[0] as string;
    const slash = scope.lastIndexOf("/");
    if (slash <= "https://".length) return EntraErrors.invalidScope(scope);
    const resource = scope.slice(0, slash);
    const permission = scope.slice(slash + 1);
    if (appOnly && permission !== ".default") return EntraErrors.defaultScopeRequired(scope);
    if (!appOnly && permission !== ".default" && !FNO_DELEGATED.includes(permission))
      return EntraErrors.invalidScope(scope);
    if (normalizeResource(resource) !== this.config.environmentUrl) {
      return EntraErrors.resourceNotFound(resource, this.config.tenantId);
    }
    return {
      requested: scope,
      resource,
      permissions: permission === ".default" ? FNO_DELEGATED : [permission],
      oidc,
    };
  }

  /** Authenticates a confidential client by secret or certificate assertion. */
  private async clientAuth(
    app: EntraApp,
    form: URLSearchParams,
    request: EmuRequest,
    tokenEndpoint: string,
  ): Promise<"1" | "2" | EmuResponse> {
    let secret = form.get("client_secret");
    const basic = header(request, "authorization");
    if (secret === null && basic?.startsWith("Basic ")) {
      const decoded = Buffer.from(basic.slice(6), "base64").toString("utf8");
      secret = decodeURIComponent(decoded.slice(decoded.indexOf(":") + 1));
    }
    if (secret !== null) {
      const match = app.secrets.find((candidate) => candidate.value === secret);
      if (match === undefined) return EntraErrors.invalidClientSecret(app.clientId);
      if (match.expiresAt !== undefined && match.expiresAt <= this.context.now()) {
        return EntraErrors.expiredClientSecret(app.clientId);
      }
      return "1";
    }
    const assertion = form.get("client_assertion");
    if (assertion === null) return EntraErrors.missingClientCredential();
    let thumbprint: unknown;
    let alg: string | undefined;
    try {
      const protectedHeader = decodeProtectedHeader(assertion);
      thumbprint = protectedHeader["x5t#S256"];
      alg = protectedHeader.alg;
    } catch {
      return EntraErrors.invalidAssertion("The assertion is not a JWT.");
    }
    const certificate = app.certificates.find((candidate) => candidate.thumbprintSha256 === thumbprint);
    if (certificate === undefined) return EntraErrors.certificateNotRegistered(app.clientId);
    try {
      const key = await importX509(certificate.pem, alg ?? "RS256");
      await jwtVerify(assertion, key, {
        audience: [tokenEndpoint, `${request.origin}/${this.config.tenantId}/oauth2/v2.0/token`],
        issuer: app.clientId,
        subject: app.clientId,
        // MSAL rounds nbf to the nearest second, so it can lie in the future; Entra allows minutes.
        clockTolerance: 300,
        currentDate: new Date(this.context.now() * 1000),
      });
    } catch (error) {
      return EntraErrors.invalidAssertion((error as Error).message);
    }
    return "2";
  }

  private async token(
    form: URLSearchParams,
    tokenEndpoint: string,
    request: EmuRequest,
    version: "v1" | "v2",
  ): Promise<EmuResponse> {
    const grant = form.get("grant_type") ?? "";
    const app = this.app(form.get("client_id"));
    if (app === undefined)
      return EntraErrors.applicationNotFound(form.get("client_id") ?? "", this.config.tenantId);
    if (version === "v1") {
      const resource = form.get("resource");
      if (resource !== null && !form.has("scope")) form.set("scope", `${resource}/.default`);
    }
    if (grant === "client_credentials") {
      const auth = await this.clientAuth(app, form, request, tokenEndpoint);
      if (typeof auth !== "string") return auth;
      const scope = this.scope(form.get("scope"), true);
      if ("status" in scope) return scope;
      return this.issueAppToken(app, scope, auth, version);
    }
    if (GRANT_DEVICE_CODE.has(grant)) return this.redeemDeviceCode(app, form, request.origin);
    if (grant === "refresh_token")
      return this.redeem(app, form, this.context.refreshTokens, "refresh_token", request, tokenEndpoint);
    if (grant === "authorization_code")
      return this.redeem(app, form, this.context.authorizationCodes, "code", request, tokenEndpoint);
    return EntraErrors.unsupportedGrant(grant);
  }

  /** Signs an access token and remembers its id, so the admin API can revoke it. */
  private issue(claims: JWTPayload, now: number, lifetime: number): Promise<string> {
    const jti = randomUUID();
    this.context.issuedTokenIds.add(jti);
    return this.context.signer.sign(claims, now, lifetime, jti);
  }

  private claimsBase(resource: string) {
    return {
      aud: resource,
      iss: `https://sts.windows.net/${this.config.tenantId}/`,
      tid: this.config.tenantId,
      ver: "1.0",
    };
  }

  private async issueAppToken(app: EntraApp, scope: Scope, appidacr: "1" | "2", version: "v1" | "v2") {
    const now = this.context.now();
    const lifetime = this.config.tokenLifetimeSeconds;
    const claims: JWTPayload = {
      ...this.claimsBase(scope.resource),
      appid: app.clientId,
      azp: app.clientId,
      appidacr,
      idtyp: "app",
      ...(app.appRoles.length > 0 ? { roles: app.appRoles } : {}),
    };
    // A multitenant app without a service principal in this tenant gets no oid (F&O refuses such tokens).
    if (app.hasServicePrincipal) {
      const oid = servicePrincipalObjectId(app.clientId);
      claims.oid = oid;
      claims.sub = oid;
    }
    const accessToken = await this.issue(claims, now, lifetime);
    if (version === "v1") {
      // Entra's v1 endpoint answers numbers as strings and echoes the resource.
      return json(200, {
        token_type: "Bearer",
        expires_in: String(lifetime),
        ext_expires_in: String(lifetime),
        expires_on: String(now + lifetime),
        not_before: String(now),
        resource: scope.resource,
        access_token: accessToken,
      });
    }
    return json(200, {
      token_type: "Bearer",
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
    });
  }

  private async issueUserTokens(
    app: EntraApp,
    user: EntraUser,
    scope: Scope,
    origin: string,
  ): Promise<EmuResponse> {
    if (!app.consented) return EntraErrors.consentRequired(app.clientId, app.displayName);
    const now = this.context.now();
    const lifetime = this.config.tokenLifetimeSeconds;
    const accessToken = await this.issue(
      {
        ...this.claimsBase(scope.resource),
        appid: app.clientId,
        azp: app.clientId,
        appidacr: app.publicClient ? "0" : "1",
        idtyp: "user",
        oid: user.objectId,
        sub: user.objectId,
        upn: user.userPrincipalName,
        unique_name: user.userPrincipalName,
        name: user.displayName,
        scp: scope.permissions.join(" "),
      },
      now,
      lifetime,
    );
    const idToken = await this.context.signer.sign(
      {
        aud: app.clientId,
        iss: `${origin}/${this.config.tenantId}/v2.0`,
        tid: this.config.tenantId,
        oid: user.objectId,
        sub: user.objectId,
        name: user.displayName,
        preferred_username: user.userPrincipalName,
        ver: "2.0",
      },
      now,
      lifetime,
    );
    const refreshToken = randomBytes(32).toString("base64url");
    const scopeText = [scope.requested, ...scope.oidc].join(" ");
    this.context.refreshTokens.set(refreshToken, {
      clientId: app.clientId,
      userObjectId: user.objectId,
      scope: scopeText,
      expiresAt: now + 90 * 24 * 3600,
    });
    return json(200, {
      token_type: "Bearer",
      // The scopes as requested: MSAL files the token in its cache under them.
      scope: scopeText,
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      client_info: Buffer.from(JSON.stringify({ uid: user.objectId, utid: this.config.tenantId })).toString(
        "base64url",
      ),
    });
  }

  private deviceCode(form: URLSearchParams, origin: string): EmuResponse {
    const app = this.app(form.get("client_id"));
    if (app === undefined)
      return EntraErrors.applicationNotFound(form.get("client_id") ?? "", this.config.tenantId);
    const scope = this.scope(form.get("scope"), false);
    if ("status" in scope) return scope;
    const userCode = randomBytes(6).toString("base64url").replace(/[-_]/g, "X").slice(0, 9).toUpperCase();
    const deviceCode = randomBytes(32).toString("base64url");
    const expiresIn = 900;
    this.context.deviceCodes.set(deviceCode, {
      deviceCode,
      userCode,
      clientId: app.clientId,
      scope: form.get("scope") ?? "",
      expiresAt: this.context.now() + expiresIn,
      status: "pending",
    });
    const verificationUri = `${origin}/_emulator/devicelogin`;
    return json(200, {
      user_code: userCode,
      device_code: deviceCode,
      verification_uri: verificationUri,
      expires_in: expiresIn,
      interval: this.config.deviceCodeIntervalSeconds,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate. (Emulator: approve it with POST /_emulator/devicecodes/${userCode}/approve.)`,
    });
  }

  private async redeemDeviceCode(app: EntraApp, form: URLSearchParams, origin: string): Promise<EmuResponse> {
    const grant = this.context.deviceCodes.get(form.get("device_code") ?? "");
    if (grant === undefined || grant.clientId !== app.clientId) return EntraErrors.badVerificationCode();
    if (grant.expiresAt <= this.context.now()) return EntraErrors.expiredToken();
    if (grant.status === "pending") return EntraErrors.authorizationPending();
    this.context.deviceCodes.delete(grant.deviceCode);
    if (grant.status === "declined") {
      return json(400, {
        error: "authorization_declined",
        error_description: "AADSTS70000: The user declined.",
      });
    }
    const user = this.context.state.data.entraUsers[grant.userObjectId ?? ""];
    const scope = this.scope(grant.scope, false);
    if (user === undefined || "status" in scope) return EntraErrors.badVerificationCode();
    return this.issueUserTokens(app, user, scope, origin);
  }

  private async redeem(
    app: EntraApp,
    form: URLSearchParams,
    store: Map<string, UserGrant>,
    field: "refresh_token" | "code",
    request: EmuRequest,
    tokenEndpoint: string,
  ): Promise<EmuResponse> {
    const value = form.get(field) ?? "";
    const grant = store.get(value);
    if (grant === undefined || grant.clientId !== app.clientId) return EntraErrors.badVerificationCode();
    if (grant.expiresAt <= this.context.now()) return EntraErrors.expiredToken();
    if (!app.publicClient) {
      const auth = await this.clientAuth(app, form, request, tokenEndpoint);
      if (typeof auth !== "string") return auth;
    }
    if (field === "code") {
      if (grant.redirectUri !== undefined && form.get("redirect_uri") !== grant.redirectUri) {
        return EntraErrors.redirectMismatch(form.get("redirect_uri") ?? "", app.clientId);
      }
      if (grant.codeChallenge !== undefined) {
        const verifier = form.get("code_verifier") ?? "";
        if (createHash("sha256").update(verifier).digest("base64url") !== grant.codeChallenge) {
          return EntraErrors.badVerificationCode();
        }
      }
    }
    store.delete(value);
    const user = this.context.state.data.entraUsers[grant.userObjectId];
    // A refresh may ask for any scope of the same resource; MSAL sends the original one.
    const scope = this.scope(form.get("scope") ?? grant.scope, false);
    if (user === undefined) return EntraErrors.badVerificationCode();
    if ("status" in scope) return scope;
    return this.issueUserTokens(app, user, scope, request.origin);
  }

  /** Signs the user named by `login_hint` (or the first user) in at once and redirects with a code. */
  private authorize(request: EmuRequest): EmuResponse {
    const query = request.url.searchParams;
    const app = this.app(query.get("client_id"));
    if (app === undefined)
      return EntraErrors.applicationNotFound(query.get("client_id") ?? "", this.config.tenantId);
    const redirectUri = query.get("redirect_uri") ?? "";
    if (!app.redirectUris.includes(redirectUri))
      return EntraErrors.redirectMismatch(redirectUri, app.clientId);
    const scope = this.scope(query.get("scope"), false);
    if ("status" in scope) return scope;
    const users = Object.values(this.context.state.data.entraUsers);
    const hint = query.get("login_hint")?.toLowerCase();
    const user =
      hint === undefined
        ? users[0]
        : users.find((candidate) => candidate.userPrincipalName.toLowerCase() === hint);
    if (user === undefined)
      return EntraErrors.invalidRequest(`No user ${hint ?? ""} in the emulated tenant.`);
    const code = randomUUID();
    const challenge = query.get("code_challenge");
    this.context.authorizationCodes.set(code, {
      clientId: app.clientId,
      userObjectId: user.objectId,
      scope: query.get("scope") ?? "",
      expiresAt: this.context.now() + 600,
      redirectUri,
      ...(challenge === null ? {} : { codeChallenge: challenge }),
    });
    const target = new URL(redirectUri);
    target.searchParams.set("code", code);
    const state = query.get("state");
    if (state !== null) target.searchParams.set("state", state);
    return { status: 302, headers: { location: target.toString() } };
  }
}
