/**
 * The errors the F&O client raises, as data: status, OData code and message, the X++ Infolog parsed
 * into lines, F&O's activity id, and whether trying again can help (`retryable`).
 */
import { BridgeError } from "../core/errors/bridge-error.js";
import type { ErrorCode, Retryable } from "../core/errors/codes.js";

export type InfologLevel = "Error" | "Warning" | "Info";

export interface InfologLine {
  readonly level: InfologLevel;
  readonly text: string;
}

export interface D365ErrorDetails {
  readonly status?: number;
  readonly method: string;
  /** Redacted URL (allow-listed query parameters only). */
  readonly url: string;
  readonly requestId: string;
  readonly odataCode?: string;
  readonly odataMessage?: string;
  readonly innerMessage?: string;
  readonly infolog?: readonly InfologLine[];
  readonly activityId?: string;
  /** Milliseconds F&O asked to wait (429/503 with Retry-After). */
  readonly retryAfterMs?: number;
}

export class D365Error extends BridgeError {
  override readonly name: string = "D365Error";
  readonly details: D365ErrorDetails;

  constructor(
    code: ErrorCode,
    detail: string,
    details: D365ErrorDetails,
    options: { cause?: unknown; retryable?: Retryable } = {},
  ) {
    super(code, detail, options);
    this.details = details;
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get infolog(): readonly InfologLine[] {
    return this.details.infolog ?? [];
  }
}

/**
 * A write whose bytes left and whose answer never came back: it may have been carried out. Never
 * re-sent by the client; the delivery engine reconciles it.
 */
export class InDoubtError extends D365Error {
  override readonly name = "InDoubtError";
}

export function isInDoubt(error: unknown): error is InDoubtError {
  return error instanceof InDoubtError;
}

/**
 * Splits F&O's "Write failed for table row of type 'X'. Infolog: Error: a; Warning: b." into lines.
 * Messages carry `; ` inside them too, so a new line starts only where a level prefix follows.
 */
export function parseInfolog(message: string | undefined): InfologLine[] {
  if (message === undefined) return [];
  const start = message.indexOf("Infolog:");
  const text = (start < 0 ? message : message.slice(start + "Infolog:".length)).trim().replace(/\.$/, "");
  if (!/^(Error|Warning|Info):/.test(text)) return [];
  return text
    .split(/;\s*(?=(?:Error|Warning|Info):)/)
    .map((part) => {
      const match = /^(Error|Warning|Info):\s*([\s\S]*)$/.exec(part.trim());
      return match ? { level: match[1] as InfologLevel, text: (match[2] as string).trim() } : undefined;
    })
    .filter((line): line is InfologLine => line !== undefined && line.text !== "");
}
