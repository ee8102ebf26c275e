/**
 * MSAL reports every failure to read an authority's metadata as `endpoints_resolution_error`, whether
 * the tenant does not exist, the certificate is not trusted or the host cannot be reached. When that
 * happens we read the metadata ourselves, once, to name the real cause.
 */
import { httpsText } from "../common/https.js";
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
  const text = httpsText(url, {
    timeoutMs,
    ...(target.caCertPem === undefined ? {} : { caCertPem: target.caCertPem }),
  });
  return text.then(
    (answer): AuthorityProbeResult => {
      if (/AADSTS(\d+)/.exec(answer.text)?.[1] === "90002")
        return {
          code: "AUTH_TENANT_NOT_FOUND",
          detail: `Entra ID does not know the tenant '${target.tenantId}'.`,
          aadsts: 90002,
        };
      if (answer.status >= 400)
        return { code: "AUTH_FAILED", detail: `The authority answered ${answer.status} for its metadata.` };
      return {
        code: "AUTH_FAILED",
        detail: "The authority's metadata could be read; the library failed for another reason.",
      };
    },
    (error: NodeJS.ErrnoException): AuthorityProbeResult =>
      TLS_ERROR.test(error.code ?? "") || TLS_ERROR.test(error.message)
        ? {
            code: "AUTH_UNTRUSTED_CERTIFICATE",
            detail: `${url.host} presented a certificate that is not trusted (${error.code ?? error.message}).`,
          }
        : {
            code: "AUTH_AUTHORITY_UNREACHABLE",
            detail: `${url.host} cannot be reached (${error.code ?? error.message}).`,
          },
  );
}
