/**
 * MSAL reports every failure to read an authority's metadata as `endpoints_resolution_error`, whether
 * the tenant does not exist, the certificate is not trusted or the host cannot be reached. When that
 * happens we read the metadata ourselves, once, to name the real cause.
 */
import { request } from "node:https";
import { rootCertificates } from "node:tls";
import type { ErrorCode } from "../core/errors/codes.js";

export interface AuthorityProbeTarget {
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly caCertPem?: string;
}

export interface AuthorityProbeResult {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly aadsts?: number;
}

const TLS_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

export function probeAuthority(
  target: AuthorityProbeTarget,
  timeoutMs = 10_000,
): Promise<AuthorityProbeResult> {
  const url = new URL(
    `/${encodeURIComponent(target.tenantId)}/v2.0/.well-known/openid-configuration`,
    target.authorityHost,
  );
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: "GET",
        timeout: timeoutMs,
        ...(target.caCertPem === undefined ? {} : { ca: [...rootCertificates, target.caCertPem] }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const aadsts = /AADSTS(\d+)/.exec(text);
          if (aadsts?.[1] === "90002") {
            resolve({
              code: "AUTH_TENANT_NOT_FOUND",
              detail: `Entra ID does not know the tenant '${target.tenantId}'.`,
              aadsts: 90002,
            });
          } else if ((res.statusCode ?? 0) >= 400) {
            resolve({
              code: "AUTH_FAILED",
              detail: `The authority answered ${res.statusCode} for its metadata.`,
            });
          } else {
            resolve({
              code: "AUTH_FAILED",
              detail: "The authority's metadata could be read; the library failed for another reason.",
            });
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (TLS_ERROR.test(error.code ?? "") || TLS_ERROR.test(error.message)) {
        resolve({
          code: "AUTH_UNTRUSTED_CERTIFICATE",
          detail: `${url.host} presented a certificate that is not trusted (${error.code ?? error.message}).`,
        });
      } else {
        resolve({
          code: "AUTH_AUTHORITY_UNREACHABLE",
          detail: `${url.host} cannot be reached (${error.code ?? error.message}).`,
        });
      }
    });
    req.end();
  });
}
