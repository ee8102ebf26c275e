/**
 * A journal's states in the outbox, in delivery order, and the moves between them (drawn in
 * docs/outbox-states.md). Progress is recorded in fields as well — the JournalBatchNumber once the
 * header exists, the time the lines were confirmed, the vouchers once posted — so a journal waiting to
 * retry or in doubt still knows how far it got.
 */
export const STATES = [
  "ready",
  "header_created",
  "lines_created",
  "posted",
  "retry_wait",
  "in_doubt",
  "dead",
  "cancelled",
] as const;
export type JournalState = (typeof STATES)[number];

/** Delivered: lines created (when posting was not asked for) or posted. */
export function isDelivered(state: JournalState, post: boolean): boolean {
  return state === "posted" || (state === "lines_created" && !post);
}

/**
 * Settled: nothing more happens to it without a person — delivered, dead (until redriven) or
 * cancelled. A `post` run waits until each of its journals is.
 */
export function isSettled(state: JournalState, post: boolean): boolean {
  return isDelivered(state, post) || state === "dead" || state === "cancelled";
}

/** States a worker may claim (when due and not leased). */
export const CLAIMABLE: readonly JournalState[] = [
  "ready",
  "header_created",
  "lines_created",
  "retry_wait",
  "in_doubt",
];

/** A journal waiting to retry or in doubt may go anywhere a delivery can, or back to ready. */
const FROM_WAITING: readonly JournalState[] = [
  "header_created",
  "lines_created",
  "posted",
  "retry_wait",
  "in_doubt",
  "dead",
  "ready",
  "cancelled",
];

const MOVES: Record<JournalState, readonly JournalState[]> = {
  ready: ["header_created", "lines_created", "posted", "retry_wait", "in_doubt", "dead", "cancelled"],
  header_created: ["lines_created", "posted", "retry_wait", "in_doubt", "dead", "cancelled"],
  lines_created: ["posted", "retry_wait", "in_doubt", "dead", "cancelled"],
  posted: [],
  retry_wait: FROM_WAITING,
  in_doubt: FROM_WAITING,
  dead: ["ready", "cancelled"],
  // Final: cancelled by hand; what it left in F&O is for `cleanup`.
  cancelled: [],
};

/** States a person may cancel a journal in: everything not yet delivered (not while a worker holds it). */
export const CANCELLABLE: readonly JournalState[] = [
  "ready",
  "header_created",
  "lines_created",
  "retry_wait",
  "in_doubt",
  "dead",
];

/** Whether a person may cancel a journal in this state (not while a worker holds it: the store checks). */
export function isCancellable(state: JournalState, post: boolean): boolean {
  return CANCELLABLE.includes(state) && !isDelivered(state, post);
}

/** States a bulk redrive takes: dead (back to ready), and waiting or in doubt (due now). */
export const REDRIVABLE: readonly JournalState[] = ["dead", "retry_wait", "in_doubt"];

export function canMove(from: JournalState, to: JournalState): boolean {
  return from === to || MOVES[from].includes(to);
}
