/**
 * One small HTTPS call for the side channels that are not F&O traffic (the client has its own
 * pipeline): reading an authority's metadata or keys, and MSAL's network module. Node replaces its
 * roots with `ca`, so an extra CA (the emulator's, a corporate proxy's) is added to the public roots.
 */
import { request } from "node:https";
import { rootCertificates } from "node:tls";

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

export function withSystemRoots(caCertPem: string): string[] {
  return [...rootCertificates, caCertPem];
}

/** Rejects with the socket's error (code kept) or ETIMEDOUT; any HTTP status resolves. */
export function httpsText(
  url: string | URL,
  options: {
    method?: "GET" | "POST";
    caCertPem?: string | undefined;
    headers?: Record<string, string | number>;
    body?: string;
    timeoutMs?: number;
  } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? "GET",
        timeout: options.timeoutMs ?? 10_000,
        ...(options.caCertPem === undefined ? {} : { ca: withSystemRoots(options.caCertPem) }),
        ...(options.headers === undefined ? {} : { headers: options.headers }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) headers[name] = String(value);
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.end(options.body);
  });
}
