/**
 * What a failed delivery step means for the journal: wait and retry, in doubt (reconcile before
 * anything is sent again), or dead. A pure function of the error, the attempt and the time.
 *
 * Anything not classified (the store failed, a bug) may have struck after a write was sent: the
 * journal is in doubt and reconciled first, never sent blind (after maxAttempts it is dead; a redrive
 * reconciles too, as every attempt after the first does).
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
  // An answer that cannot be read after a write is as good as no answer: look before sending again.
  if (isInDoubt(error) || code === "D365_INVALID_RESPONSE") {
    changes = { state: more || isInDoubt(error) ? "in_doubt" : "dead", ...last, availableAt: context.now };
  } else if (!isBridgeError(error)) {
    changes = more
      ? { state: "in_doubt", ...last, availableAt: context.now + context.backoffMs }
      : { state: "dead", ...last };
  } else if (
    error.retryable === "yes" &&
    // A lease that ran out sent nothing: the worker stalled, not the journal; never dead for it.
    (more || code === "DELIVERY_LEASE_EXPIRED")
  ) {
    const retryAfter = error instanceof D365Error ? error.details.retryAfterMs : undefined;
    changes = { state: "retry_wait", ...last, availableAt: context.now + (retryAfter ?? context.backoffMs) };
  } else {
    changes = { state: "dead", ...last };
  }
  return { changes, detail };
}
