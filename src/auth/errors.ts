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
    options: { cause?: unknown; tried?: readonly string[] } = {},
  ) {
    super(code, detail, options.cause === undefined ? {} : { cause: options.cause });
    this.tried = options.tried ?? [];
  }

  /** What each credential of a chain tried and why it failed (DefaultAzureCredential's list). */
  readonly tried: readonly string[];
}

/**
 * The AADSTS number from the library's structured answer (`errorResponse.errorCodes`, Entra's
 * `error_codes`), else from the message's text.
 */
function aadstsOf(error: unknown, message: string): number | undefined {
  const response = (error as { errorResponse?: { errorCodes?: unknown; error_codes?: unknown } } | undefined)
    ?.errorResponse;
  const codes = response?.errorCodes ?? response?.error_codes;
  if (Array.isArray(codes) && typeof codes[0] === "number") return codes[0];
  const found = /AADSTS(\d+)/.exec(message);
  return found ? Number(found[1]) : undefined;
}

/** A chain's failures, one line each, as each credential said it ("EnvironmentCredential is unavailable…"). */
function chainOf(error: unknown): string[] {
  const errors = (error as { errors?: unknown } | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((each) => {
    const text = each instanceof Error ? each.message : String(each);
    return (text.split(/\r?\n/)[0] ?? "").slice(0, 200);
  });
}

const BY_AADSTS: Record<number, ErrorCode> = {
  7000215: "AUTH_INVALID_SECRET",
  7000222: "AUTH_SECRET_EXPIRED",
  700027: "AUTH_CERTIFICATE_NOT_REGISTERED",
  700016: "AUTH_APP_NOT_FOUND",
  90002: "AUTH_TENANT_NOT_FOUND",
  500011: "AUTH_RESOURCE_NOT_FOUND",
  70011: "AUTH_INVALID_SCOPE",
  1002012: "AUTH_INVALID_SCOPE",
  65001: "AUTH_CONSENT_REQUIRED",
  70000: "AUTH_LOGIN_REQUIRED",
  70008: "AUTH_LOGIN_REQUIRED",
  700082: "AUTH_LOGIN_REQUIRED",
  50173: "AUTH_LOGIN_REQUIRED",
};

const UNTRUSTED =
  /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate|certificate has expired|CERT_/i;

/**
 * Turns whatever a credential threw into an AuthError: the AADSTS number from the structured answer
 * (the message's text as a fallback), the first line where Entra ID explains itself, and for a chain
 * what each credential tried.
 */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const number = aadstsOf(error, message);
  const tried = chainOf(error);
  const explanation = (
    /AADSTS\d+:[^\r\n]*?(?= Trace ID|\r|\n|$)/.exec(message)?.[0] ??
    message.split(/\r?\n/)[0] ??
    ""
  ).trim();
  if (number !== undefined) {
    return new AuthError(
      BY_AADSTS[number] ?? "AUTH_FAILED",
      `Entra ID refused the token request: ${explanation}`,
      number,
      { cause: error, tried },
    );
  }
  if (UNTRUSTED.test(message)) {
    return new AuthError(
      "AUTH_UNTRUSTED_CERTIFICATE",
      `The authority could not be reached over trusted TLS (${explanation}).`,
      undefined,
      { cause: error, tried },
    );
  }
  return new AuthError("AUTH_FAILED", `No token: ${explanation}`, undefined, { cause: error, tried });
}
