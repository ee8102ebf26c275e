import { codeSpec, type ErrorCode, type Retryable, troubleshootingSection } from "./codes.js";

/**
 * The root of every error ledger-bridge throws. `code` is stable and documented in docs/errors.md;
 * the message says what to do next; `cause` keeps the underlying error.
 */
export class BridgeError extends Error {
  override readonly name: string = "BridgeError";
  readonly code: ErrorCode;
  readonly retryable: Retryable;

  constructor(code: ErrorCode, detail: string, options: { cause?: unknown; retryable?: Retryable } = {}) {
    const section = troubleshootingSection(code);
    super(
      `${detail} ${codeSpec(code).fix}${section === undefined ? "" : ` See ${section}.`}`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.code = code;
    this.retryable = options.retryable ?? codeSpec(code).retryable;
  }
}

/** Bad command-line usage or configuration: the CLI exits with status 2. */
export class UsageError extends BridgeError {
  override readonly name = "UsageError";
}

/** A source file that cannot be read at all (as opposed to one with bad content). */
export class InputError extends BridgeError {
  override readonly name = "InputError";
}

export function isBridgeError(value: unknown): value is BridgeError {
  return (
    value instanceof Error && typeof (value as { code?: unknown }).code === "string" && "retryable" in value
  );
}
