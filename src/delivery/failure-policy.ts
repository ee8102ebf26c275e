/**
 * What a failed delivery step means for the journal: wait and retry, in doubt (reconcile before
 * anything is sent again), or dead. A pure function of the error, the attempt and the time.
 *
 * Only an F&O answer to the request at hand can say that nothing was written (`retry_wait`, whose next
 * attempt sends without looking). Anything else that is not a definite refusal — the store failed
 * (even with OUTBOX_UNAVAILABLE, which is retryable), a bug — may have struck after a write was sent:
 * the journal is in doubt and reconciled first, never sent blind (after maxAttempts it is dead; a
 * redrive reconciles too, as every attempt after the first does). Found by terminating PostgreSQL's
 * connections during delivery: a header recorded into a failing store went to retry_wait and was
 * created again.
 */
import { isBridgeError } from "../core/errors/bridge-error.js";
import { D365Error, isInDoubt } from "../d365/errors.js";
import type { JournalChanges } from "../outbox/store.js";

export interface FailureContext {
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly now: number;
  /** The wait before the next attempt when the error names none (jittered backoff). */
  readonly backoffMs: number;
}

export interface FailureOutcome {
  readonly changes: JournalChanges;
  readonly detail: Record<string, unknown>;
}

export function journalFailure(error: unknown, context: FailureContext): FailureOutcome {
  const code = isBridgeError(error) ? error.code : "DELIVERY_INTERRUPTED";
  const message = error instanceof Error ? error.message : String(error);
  const detail: Record<string, unknown> = { errorCode: code, error: message };
  if (error instanceof D365Error) {
    if (error.status !== undefined) detail.status = error.status;
    if (error.details.requestId !== "") detail.requestId = error.details.requestId;
    if (error.details.activityId !== undefined) detail.activityId = error.details.activityId;
  }
  const last = { lastErrorCode: code, lastError: message };
  const more = context.attempt < context.maxAttempts;
  let changes: JournalChanges;
  if (isInDoubt(error) || code === "D365_INVALID_RESPONSE") {
    // A write whose outcome is unknown, or an answer that cannot be read after a write: look first.
    changes = { state: more || isInDoubt(error) ? "in_doubt" : "dead", ...last, availableAt: context.now };
  } else if (error instanceof D365Error) {
    // F&O's answer to this request is known: retrying can help (throttled, unreachable before
    // sending, a read that failed) or cannot (a business rule, a privilege, not supported).
    const retry =
      error.retryable === "yes" &&
      // A lease that ran out sent nothing: the worker stalled, not the journal; never dead for it.
      (more || code === "DELIVERY_LEASE_EXPIRED");
    const wait = error.details.retryAfterMs ?? context.backoffMs;
    changes = retry
      ? { state: "retry_wait", ...last, availableAt: context.now + wait }
      : { state: "dead", ...last };
  } else if (isBridgeError(error) && error.retryable === "no") {
    // A definite problem of the journal or the setup (an ambiguous marker, lines that differ).
    changes = { state: "dead", ...last };
  } else {
    // The store failed (OUTBOX_UNAVAILABLE) or something unforeseen: it may have struck after a
    // write was sent, so the next attempt reconciles — never retry_wait, which re-sends blind.
    changes = more
      ? { state: "in_doubt", ...last, availableAt: context.now + context.backoffMs }
      : { state: "dead", ...last };
  }
  return { changes, detail };
}
