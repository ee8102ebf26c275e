/**
 * Token failures, named: the AADSTS code Entra ID answered with becomes a stable ledger-bridge code,
 * a cause in plain words and the screen to fix it in.
 */
import { BridgeError } from "../core/errors/bridge-error.js";
import type { ErrorCode } from "../core/errors/codes.js";

export class AuthError extends BridgeError {
  override readonly name = "AuthError";

  constructor(
    code: ErrorCode,
    detail: string,
    /** The AADSTS number, when Entra ID gave one. */
    readonly aadsts: number | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(code, detail, options);
  }
}

const BY_AADSTS: Record<number, ErrorCode> = {
  7000215: "AUTH_INVALID_SECRET",
  7000222: "AUTH_SECRET_EXPIRED",
  700027: "AUTH_CERTIFICATE_NOT_REGISTERED",
  700016: "AUTH_APP_NOT_FOUND",
  90002: "AUTH_TENANT_NOT_FOUND",
  500011: "AUTH_RESOURCE_NOT_FOUND",
  70011: "AUTH_INVALID_SCOPE",
  65001: "AUTH_CONSENT_REQUIRED",
  70000: "AUTH_LOGIN_REQUIRED",
  70008: "AUTH_LOGIN_REQUIRED",
  700082: "AUTH_LOGIN_REQUIRED",
  50173: "AUTH_LOGIN_REQUIRED",
};

const UNTRUSTED =
  /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate|certificate has expired|CERT_/i;

/**
 * Turns whatever a credential threw into an AuthError. The library's message keeps the AADSTS text
 * (it names no secret); we keep only its first line, where Entra ID explains itself.
 */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const aadsts = /AADSTS(\d+)/.exec(message);
  const explanation = (
    /AADSTS\d+:[^\r\n]*?(?= Trace ID|\r|\n|$)/.exec(message)?.[0] ??
    message.split(/\r?\n/)[0] ??
    ""
  ).trim();
  if (aadsts) {
    const number = Number(aadsts[1]);
    return new AuthError(
      BY_AADSTS[number] ?? "AUTH_FAILED",
      `Entra ID refused the token request: ${explanation}`,
      number,
      { cause: error },
    );
  }
  if (UNTRUSTED.test(message)) {
    return new AuthError(
      "AUTH_UNTRUSTED_CERTIFICATE",
      `The authority could not be reached over trusted TLS (${explanation}).`,
      undefined,
      { cause: error },
    );
  }
  return new AuthError("AUTH_FAILED", `No token: ${explanation}`, undefined, { cause: error });
}
