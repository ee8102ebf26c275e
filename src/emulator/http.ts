/**
 * The emulator's request and response as data. Handlers return a response value (or a fault action)
 * instead of writing to a socket, so the same handlers serve single requests and `$batch` parts, and
 * the faults that break connections live in one place (server.ts).
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

export interface EmuRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The origin the client used (scheme, host and port from the Host header). */
  readonly origin: string;
  /** Correlates the request with the emulator's log. */
  readonly activityId: string;
  readonly raw?: IncomingMessage;
}

export interface EmuResponse {
  readonly status: number;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
}

/** What a fault rule may do to a connection instead of answering normally. */
export type ConnectionAction =
  | { readonly action: "drop" }
  | { readonly action: "hang" }
  | { readonly action: "reset-mid-body"; readonly response: EmuResponse };

export type HandlerResult = EmuResponse | ConnectionAction;

export function isConnectionAction(result: HandlerResult): result is ConnectionAction {
  return "action" in result;
}

export function json(
  status: number,
  value: unknown,
  headers: Record<string, string | string[]> = {},
): EmuResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: typeof value === "string" ? value : JSON.stringify(value),
  };
}

export function header(request: EmuRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
