/** What every part of the emulator shares: state, the token signer, the clock, short-lived grants. */
import type { TokenSigner } from "./entra/signing.js";
import type { EmulatorState } from "./state/store.js";

export interface DeviceCodeGrant {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly clientId: string;
  readonly scope: string;
  readonly expiresAt: number;
  status: "pending" | "approved" | "declined";
  userObjectId?: string;
}

export interface UserGrant {
  readonly clientId: string;
  readonly userObjectId: string;
  readonly scope: string;
  readonly expiresAt: number;
  readonly redirectUri?: string;
  readonly codeChallenge?: string;
}

export interface CsrfSession {
  token: string;
  readonly issuedAt: number;
}

export interface EmulatorContext {
  /** Replaced whole on reset. */
  state: EmulatorState;
  readonly signer: TokenSigner;
  /** Seconds since the epoch, as the emulator sees it. */
  now(): number;
  readonly deviceCodes: Map<string, DeviceCodeGrant>;
  readonly authorizationCodes: Map<string, UserGrant>;
  readonly refreshTokens: Map<string, UserGrant>;
  readonly csrfSessions: Map<string, CsrfSession>;
  /** Seeded random numbers in [0, 1), for fault rates: a run can be repeated exactly. */
  random: () => number;
  /** Ids (jti) of the tokens issued so far, and of those revoked by the admin API's tokens/expire. */
  readonly issuedTokenIds: Set<string>;
  readonly revokedTokenIds: Set<string>;
  /** F&O requests being served now (resource throttling counts them). */
  inFlight: number;
  /** Called after every change that `--state` should keep. */
  changed(): void;
}

/** mulberry32: small, fast, good enough to spread faults; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
