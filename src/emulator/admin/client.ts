/** A small client for the admin API, handed out by startEmulator() for tests and scripts. */
import { request as httpsRequest } from "node:https";
import type { LoggedRequest } from "../request-log.js";
import type { FaultRule } from "../state/model.js";

export class EmulatorAdmin {
  constructor(
    private readonly baseUrl: string,
    private readonly key: string,
    private readonly ca: string,
  ) {}

  /** Calls an admin endpoint (path relative to /_emulator/) and returns the parsed JSON answer. */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(`/_emulator/${path.replace(/^\//, "")}`, this.baseUrl);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method,
          ca: this.ca,
          headers: {
            "x-emulator-key": this.key,
            ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((res.statusCode ?? 500) >= 400)
              reject(new Error(`admin ${method} ${path}: ${res.statusCode} ${text}`));
            else resolve((text === "" ? undefined : JSON.parse(text)) as T);
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  reset(): Promise<unknown> {
    return this.call("POST", "reset");
  }

  configure(settings: Record<string, unknown>): Promise<unknown> {
    return this.call("PATCH", "config", settings);
  }

  requests(since = 0): Promise<LoggedRequest[]> {
    return this.call("GET", `requests?since=${since}`);
  }

  clearRequests(): Promise<unknown> {
    return this.call("DELETE", "requests");
  }

  addFault(rule: Omit<FaultRule, "id" | "seen"> & { id?: string }): Promise<FaultRule> {
    return this.call("POST", "faults", rule);
  }

  clearFaults(): Promise<unknown> {
    return this.call("DELETE", "faults");
  }

  journals(): Promise<Array<Record<string, unknown> & { lines: Array<Record<string, unknown>> }>> {
    return this.call("GET", "journals");
  }

  ledger(): Promise<Array<Record<string, unknown>>> {
    return this.call("GET", "ledger");
  }

  approveDeviceCode(userCode: string, objectId?: string): Promise<unknown> {
    return this.call(
      "POST",
      `devicecodes/${encodeURIComponent(userCode)}/approve`,
      objectId === undefined ? {} : { objectId },
    );
  }

  expireTokens(): Promise<unknown> {
    return this.call("POST", "tokens/expire");
  }
}
