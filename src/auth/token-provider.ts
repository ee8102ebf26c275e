/**
 * Bearer tokens for one environment. The credential (through MSAL) caches tokens and renews them before
 * they expire; this only asks, and — when F&O has just refused a token — asks once for a fresh one.
 */
import { createHash } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import { type AuthorityProbeTarget, probeAuthority } from "./authority-probe.js";
import { AuthError, toAuthError } from "./errors.js";

export class TokenProvider {
  /**
   * Tokens Entra ID issued to this provider — the first, each renewal before expiry, each forced one
   * after a 401 — counted when the credential hands out a token other than the last (MSAL answers
   * from its cache otherwise). For metrics: how often the service goes to Entra ID.
   */
  issued = 0;
  /** A digest of the last token, not the token: nothing here should hold a secret longer than MSAL. */
  private lastDigest: string | undefined;

  constructor(
    private readonly credential: TokenCredential,
    readonly scope: string,
    /** Where to look when the library cannot read the authority's metadata and will not say why. */
    private readonly authority?: AuthorityProbeTarget,
  ) {}

  async token(options: { forceRefresh?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    // A claims challenge makes MSAL skip its cache (it is how continuous access evaluation forces a
    // new token); asking for nbf now says nothing beyond "a token issued from now on".
    const claims = options.forceRefresh
      ? JSON.stringify({
          access_token: { nbf: { essential: true, value: String(Math.floor(Date.now() / 1000)) } },
        })
      : undefined;
    try {
      const result = await this.credential.getToken(this.scope, {
        ...(claims === undefined ? {} : { claims }),
        ...(options.signal === undefined ? {} : { abortSignal: options.signal }),
      });
      if (result === null) throw new Error("The credential returned no token.");
      const digest = createHash("sha256").update(result.token).digest("base64");
      if (digest !== this.lastDigest) {
        this.issued++;
        this.lastDigest = digest;
      }
      return result.token;
    } catch (error) {
      if (
        this.authority !== undefined &&
        /endpoints_resolution_error/.test(String((error as Error)?.message))
      ) {
        const probe = await probeAuthority(this.authority);
        throw new AuthError(probe.code, probe.detail, probe.aadsts, { cause: error });
      }
      throw toAuthError(error);
    }
  }
}
