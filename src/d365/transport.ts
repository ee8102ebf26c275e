/**
 * HTTPS with a keep-alive connection pool, and the one fact the exactly-once protocol needs from the
 * network: whether a failed request's bytes may have reached the server. A failure before the request
 * was written (refused connection, DNS, TLS) provably changed nothing; any later failure may have.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent, request as httpsRequest } from "node:https";
import { createSecureContext, type TLSSocket } from "node:tls";
import { withSystemRoots } from "../common/https.js";

export interface HttpRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export type FailureKind = "dns" | "refused" | "tls" | "timeout" | "reset" | "aborted" | "other";

/** The request failed without a complete answer. `sent`: its bytes may have reached the server. */
export class TransportFailure extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly sent: boolean,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL"]);
const REFUSED_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);
const TLS_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_NOT_YET_VALID",
]);

export interface TransportOptions {
  /** Extra CA certificates to trust (PEM), added to Node's own roots. */
  readonly ca?: string;
  /** Connections kept per host: the concurrency limit of the client. */
  readonly maxSockets: number;
}

export class HttpsTransport {
  private readonly agent: Agent;
  private readonly plainAgent: HttpAgent;

  constructor(options: TransportOptions) {
    this.plainAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets,
      // One secure context for every connection: building one from the full root list is costly.
      ...(options.ca === undefined
        ? {}
        : { secureContext: createSecureContext({ ca: withSystemRoots(options.ca) }) }),
    });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      let written = false;
      let connected = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const fail = (error: NodeJS.ErrnoException, kindOverride?: FailureKind) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const code = error.code;
        const kind: FailureKind =
          kindOverride ??
          (code !== undefined && DNS_CODES.has(code)
            ? "dns"
            : code !== undefined && REFUSED_CODES.has(code)
              ? "refused"
              : code !== undefined && TLS_CODES.has(code)
                ? "tls"
                : code === "ECONNRESET" || code === "EPIPE"
                  ? "reset"
                  : "other");
        const beforeSend = kind === "dns" || kind === "refused" || kind === "tls" || (!connected && !written);
        reject(new TransportFailure(error.message, kind, !beforeSend, code, { cause: error }));
      };
      // Plain HTTP only to this machine: a local storage emulator's write URL (Azurite), never F&O.
      const plain = request.url.protocol === "http:";
      if (plain && !LOOPBACK.has(request.url.hostname)) {
        fail(
          Object.assign(new Error(`plain http to ${request.url.host} is refused`), { code: "EPROTO" }),
          "tls",
        );
        return;
      }
      const req = (plain ? httpRequest : httpsRequest)(request.url, {
        method: request.method,
        headers:
          request.body === undefined
            ? request.headers
            : { ...request.headers, "content-length": String(request.body.length) },
        agent: plain ? this.plainAgent : this.agent,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      req.on("socket", (socket) => {
        const tls = socket as TLSSocket;
        // A pooled socket is connected already; a new one is once its TLS handshake is done.
        if (!tls.connecting) connected = true;
        else tls.once(plain ? "connect" : "secureConnect", () => (connected = true));
      });
      req.on("finish", () => (written = true));
      // A deadline for the whole exchange, not an idle timer: a write's longest possible time in
      // flight bounds how long a lapsed lease must wait before another worker may take the journal.
      timer = setTimeout(() => {
        req.destroy(
          Object.assign(new Error(`no answer within ${request.timeoutMs} ms`), { code: "ETIMEDOUT" }),
        );
      }, request.timeoutMs);
      timer.unref();
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (error.name === "AbortError") fail(error, "aborted");
        else if (error.code === "ETIMEDOUT") fail(error, "timeout");
        else fail(error);
      });
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("aborted", () =>
          fail(Object.assign(new Error("the answer was cut off"), { code: "ECONNRESET" }), "reset"),
        );
        res.on("error", (error: NodeJS.ErrnoException) => fail(error, "reset"));
        res.on("end", () => {
          if (settled) return;
          if (!res.complete) {
            fail(Object.assign(new Error("the answer was cut off"), { code: "ECONNRESET" }), "reset");
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(request.body);
    });
  }

  close(): void {
    this.plainAgent.destroy();
    this.agent.destroy();
  }
}
