/**
 * Delivery paused because F&O refuses the environment as a whole. A token Entra ID will not issue,
 * a 401 after a fresh token, a 403 for a privilege: every journal would fail the same way, so none is
 * blamed for it. The journals stay in the state they reached (nothing was written by a refused
 * request), the worker stops claiming, and a probe with backoff finds out when the cause is fixed.
 *
 * Resuming is careful: after a probe (a read of the target's first entity set) succeeds, one journal
 * goes first (the canary: a read can pass while a write privilege is still missing); only when it
 * gets past the environment's checks do all rounds claim again. Each probe that fails, and each
 * canary that is refused again, waits longer (PROBE_DELAYS_MS), so an environment that stays broken
 * costs one read per five minutes, and at most one journal's attempt number per cycle.
 */
import type { Logger } from "pino";
import type { Clock } from "../common/time.js";
import { isBridgeError } from "../core/errors/bridge-error.js";
import type { ErrorCode } from "../core/errors/codes.js";

/** Errors that say the environment refuses us, whatever the journal: the rule, as data. */
export const ENVIRONMENT_WIDE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "AUTH_INVALID_SECRET",
  "AUTH_SECRET_EXPIRED",
  "AUTH_CERTIFICATE_NOT_REGISTERED",
  "AUTH_APP_NOT_FOUND",
  "AUTH_TENANT_NOT_FOUND",
  "AUTH_RESOURCE_NOT_FOUND",
  "AUTH_INVALID_SCOPE",
  "AUTH_CONSENT_REQUIRED",
  "AUTH_LOGIN_REQUIRED",
  "AUTH_UNTRUSTED_CERTIFICATE",
  "AUTH_AUTHORITY_UNREACHABLE",
  "AUTH_FAILED",
  "D365_UNAUTHORIZED",
  "D365_FORBIDDEN",
]);

export function isEnvironmentWide(error: unknown): boolean {
  return isBridgeError(error) && ENVIRONMENT_WIDE.has(error.code as ErrorCode);
}

/** Waits between probes, growing with each refusal in a row (the last repeats). */
export const PROBE_DELAYS_MS: readonly number[] = [5_000, 15_000, 30_000, 60_000, 120_000, 300_000];

/** What is told about a pause (status, /v1/overview, the dashboard, webhooks). */
export interface PauseReport {
  readonly code: string;
  readonly message: string;
  /** When delivery paused (ms since the epoch). */
  readonly since: number;
  /** When the next probe is due (ms since the epoch). */
  readonly nextProbeAt: number;
  /** Probes that failed since. */
  readonly probes: number;
}

export type PauseChange =
  | { readonly type: "paused"; readonly pause: PauseReport }
  | { readonly type: "probe-failed"; readonly pause: PauseReport }
  | { readonly type: "resumed"; readonly pause: PauseReport; readonly at: number };

export interface PauseOptions {
  readonly clock: Clock;
  readonly delaysMs?: readonly number[];
  readonly logger?: Logger;
  readonly onChange?: (change: PauseChange) => void;
}

/** What a delivery loop should do now. */
export type Admission =
  | { readonly go: true; readonly canary: boolean }
  | { readonly go: false; readonly waitMs: number }
  | { readonly go: false; readonly probe: true };

export class DeliveryPause {
  private report: PauseReport | undefined;
  /** Refusals in a row, kept through a resume until a canary gets through. */
  private level = 0;
  private probing = false;
  private canary: "none" | "waiting" | "in-flight" = "none";
  private readonly delays: readonly number[];

  constructor(private readonly options: PauseOptions) {
    this.delays = options.delaysMs ?? PROBE_DELAYS_MS;
  }

  current(): PauseReport | undefined {
    return this.report;
  }

  private delay(): number {
    return this.delays[Math.min(this.level, this.delays.length - 1)] as number;
  }

  /**
   * A request was refused for the environment's sake: pause (or, during a canary, pause again with a
   * longer wait). Returns when the journal concerned is due again: the next probe.
   */
  hold(error: unknown): number {
    const now = this.options.clock.now();
    if (this.report !== undefined) return this.report.nextProbeAt;
    const code = isBridgeError(error) ? error.code : "AUTH_FAILED";
    const message = error instanceof Error ? error.message : String(error);
    this.report = { code, message, since: now, nextProbeAt: now + this.delay(), probes: 0 };
    this.level++;
    this.canary = "none";
    this.options.logger?.error(
      { code, nextProbeAt: new Date(this.report.nextProbeAt).toISOString() },
      "F&O refuses the environment: delivery paused; journals stay where they are",
    );
    this.options.onChange?.({ type: "paused", pause: this.report });
    return this.report.nextProbeAt;
  }

  /** Asked by a loop before it claims. */
  admit(): Admission {
    const now = this.options.clock.now();
    if (this.report !== undefined) {
      if (this.probing || now < this.report.nextProbeAt)
        return { go: false, waitMs: Math.max(250, this.report.nextProbeAt - now) };
      this.probing = true;
      return { go: false, probe: true };
    }
    if (this.canary === "in-flight") return { go: false, waitMs: 250 };
    if (this.canary === "waiting") {
      this.canary = "in-flight";
      return { go: true, canary: true };
    }
    return { go: true, canary: false };
  }

  /** The probe's outcome: undefined when it passed, else the error (a refusal waits longer). */
  probed(error?: unknown): void {
    this.probing = false;
    const report = this.report;
    if (report === undefined) return;
    const now = this.options.clock.now();
    if (error === undefined) {
      this.report = undefined;
      this.canary = "waiting";
      this.options.logger?.warn(
        { code: report.code, pausedForMs: now - report.since },
        "F&O answers again: delivery resumes with one journal first",
      );
      this.options.onChange?.({ type: "resumed", pause: report, at: now });
      return;
    }
    const refused = isEnvironmentWide(error);
    if (refused) this.level++;
    this.report = {
      ...report,
      ...(refused && isBridgeError(error) ? { code: error.code, message: error.message } : {}),
      nextProbeAt: now + this.delay(),
      probes: report.probes + 1,
    };
    this.options.logger?.warn(
      { code: this.report.code, probes: this.report.probes, nextProbeAt: this.report.nextProbeAt },
      "F&O still refuses the environment: delivery stays paused",
    );
    this.options.onChange?.({ type: "probe-failed", pause: this.report });
  }

  /** A journal's step was recorded for a reason of its own (or succeeded): the environment lets us in. */
  passed(): void {
    if (this.report !== undefined) return;
    this.level = 0;
    this.canary = "none";
  }

  /** A canary round ended (the canary may have found nothing to claim: then it proves nothing more). */
  canaryDone(): void {
    if (this.canary === "in-flight") this.canary = "none";
  }
}
