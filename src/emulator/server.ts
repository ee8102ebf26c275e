/**
 * The emulator's HTTPS server. The request pipeline is assembled here, in one place:
 *
 *   read body → log (allow-listed headers) → /_emulator/ admin API (own key)
 *             → /{tenant}/… Entra ID token service
 *             → /data, /api/services F&O front door (throttle, faults, latency, CSRF gateway, auth,
 *               OData or posting service; see fno/front-door.ts)
 *             → anything else: 404
 *
 * Handlers return responses as data; only this file touches sockets, so dropping, hanging and cutting
 * connections (fault injection) happen here and nowhere else.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { Socket } from "node:net";
import { type AdminDeps, handleAdmin } from "./admin/routes.js";
import type { EmulatorContext } from "./context.js";
import { isEntraPath, type TokenService } from "./entra/token-service.js";
import type { FnoFrontDoor } from "./fno/front-door.js";
import { isFnoPath } from "./fno/front-door.js";
import { type EmuRequest, type HandlerResult, isConnectionAction, json } from "./http.js";
import type { LoggedRequest, RequestLog } from "./request-log.js";
import type { EmulatorTls } from "./tls.js";

const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface ServerParts {
  readonly context: EmulatorContext;
  readonly tokens: TokenService;
  readonly fno: FnoFrontDoor;
  readonly admin: AdminDeps;
  readonly log: RequestLog;
}

export class EmulatorServer {
  readonly server: Server;
  private readonly hung = new Set<Socket>();

  constructor(
    tls: EmulatorTls,
    private readonly parts: ServerParts,
  ) {
    this.server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        // A bug in the emulator must not take it down: answer 500 with an activity id only.
        const activityId = randomUUID();
        process.emitWarning(
          `emulator: unhandled error (activity ${activityId}): ${(error as Error).stack ?? String(error)}`,
        );
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            error: { code: "EmulatorError", message: `Internal emulator error; activity ${activityId}.` },
          }),
        );
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  private async readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const body = await this.readBody(req);
    const host = req.headers.host ?? `127.0.0.1:${this.port}`;
    const origin = `https://${host}`;
    const request: EmuRequest = {
      method: (req.method ?? "GET").toUpperCase(),
      url: new URL(req.url ?? "/", origin),
      headers: req.headers,
      body: body ?? Buffer.alloc(0),
      origin,
      activityId: randomUUID(),
      raw: req,
    };
    const path = request.url.pathname;
    const kind: LoggedRequest["kind"] = path.startsWith("/_emulator")
      ? "admin"
      : isEntraPath(path)
        ? "entra"
        : "fno";
    const entry = kind === "admin" ? undefined : this.parts.log.start(request, kind);
    let result: HandlerResult;
    if (body === undefined) {
      result = json(413, {
        error: { code: "", message: `The request body is larger than ${MAX_BODY_BYTES} bytes.` },
      });
    } else if (kind === "admin") {
      result = await handleAdmin(request, this.parts.admin);
    } else if (kind === "entra") {
      if (entry !== undefined && request.method === "POST") {
        const form = new URLSearchParams(request.body.toString("utf8"));
        const grant = form.get("grant_type");
        const clientId = form.get("client_id");
        if (grant !== null) entry.grantType = grant;
        if (clientId !== null) entry.clientId = clientId;
      }
      result = await this.parts.tokens.handle(request);
    } else if (isFnoPath(path)) {
      result = await this.parts.fno.handle(request, entry as LoggedRequest);
    } else {
      result = json(404, {
        error: {
          code: "",
          message: `No HTTP resource was found that matches the request URI '${request.url}'.`,
        },
      });
    }
    if (entry !== undefined) {
      entry.durationMs = Math.round(performance.now() - started);
      entry.status = isConnectionAction(result) ? 0 : result.status;
    }
    this.write(req, res, result, request.activityId);
  }

  private write(req: IncomingMessage, res: ServerResponse, result: HandlerResult, activityId: string): void {
    const socket = req.socket;
    if (isConnectionAction(result)) {
      switch (result.action) {
        case "drop":
          socket.destroy();
          return;
        case "hang":
          this.hung.add(socket);
          socket.once("close", () => this.hung.delete(socket));
          return;
        case "reset-mid-body": {
          const bytes = Buffer.from(result.response.body ?? "");
          res.writeHead(result.response.status, {
            ...result.response.headers,
            "content-length": bytes.length,
          });
          res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => socket.destroy());
          return;
        }
      }
    }
    const bytes = Buffer.from(result.body ?? "");
    res.writeHead(result.status, {
      ...result.headers,
      "content-length": bytes.length,
      "x-ms-request-id": activityId,
    });
    res.end(bytes);
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === "object" && address !== null ? address.port : 0;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    for (const socket of this.hung) socket.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
