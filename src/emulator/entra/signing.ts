/**
 * The key the emulated Entra ID signs tokens with (RS256), kept in the data directory so tokens stay
 * valid across restarts with `--state`. The F&O side verifies with the same key, as F&O does with
 * Entra's published keys.
 */
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, importPKCS8, importSPKI, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { putWhole, withLock } from "../files.js";

type KeyLike = Awaited<ReturnType<typeof importPKCS8>>;

export type VerifyOutcome =
  | { readonly ok: true; readonly payload: JWTPayload }
  | { readonly ok: false; readonly reason: "malformed" | "signature" | "expired" | "not-yet-valid" };

export class TokenSigner {
  private constructor(
    readonly kid: string,
    private readonly privateKey: KeyLike,
    private readonly publicKey: KeyLike,
    private readonly publicJwk: JWK,
  ) {}

  static async load(dir: string): Promise<TokenSigner> {
    const privatePath = join(dir, "token-signing-key.pem");
    const publicPath = join(dir, "token-signing-key.pub.pem");
    const made = () => existsSync(privatePath) && existsSync(publicPath);
    if (!made())
      withLock(join(dir, ".token-key.lock"), () => {
        if (made()) return;
        const pair = generateKeyPairSync("rsa", {
          modulusLength: 2048,
          privateKeyEncoding: { type: "pkcs8", format: "pem" },
          publicKeyEncoding: { type: "spki", format: "pem" },
        });
        putWhole(privatePath, pair.privateKey, 0o600);
        putWhole(publicPath, pair.publicKey, 0o644);
      });
    const publicPem = readFileSync(publicPath, "utf8");
    const privateKey = await importPKCS8(readFileSync(privatePath, "utf8"), "RS256");
    const publicKey = await importSPKI(publicPem, "RS256", { extractable: true });
    const kid = createHash("sha256").update(publicPem).digest("base64url").slice(0, 27);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" };
    return new TokenSigner(kid, privateKey, publicKey, publicJwk);
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** Signs `claims`; iat/nbf/exp come from `now` (seconds) and the lifetime; `jti` from the caller. */
  sign(
    claims: JWTPayload,
    now: number,
    lifetimeSeconds: number,
    jti: string = crypto.randomUUID(),
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.kid })
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetimeSeconds)
      .setJti(jti)
      .sign(this.privateKey);
  }

  /** Checks signature and lifetime at `now` (seconds) with five minutes of clock skew, as F&O allows. */
  async verify(token: string, now: number): Promise<VerifyOutcome> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: ["RS256"],
        clockTolerance: 300,
        currentDate: new Date(now * 1000),
      });
      return { ok: true, payload };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "ERR_JWT_EXPIRED") return { ok: false, reason: "expired" };
      if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") return { ok: false, reason: "not-yet-valid" };
      if (code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED") return { ok: false, reason: "signature" };
      return { ok: false, reason: "malformed" };
    }
  }
}
