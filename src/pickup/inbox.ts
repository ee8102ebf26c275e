/**
 * Pickup: files dropped into an inbox (a folder, an Azure Blob container) are taken one at a time,
 * checked, stored in the outbox all or nothing, and moved out with a report beside them — the way
 * Microsoft's Recurring Integrations Scheduler works with its inbound, processed and error folders.
 * An inbox is a strategy: where files wait, how one is taken so no other taker gets it, where it
 * goes when done, and which contents were already taken (by SHA-256).
 */

export interface PickupReport {
  readonly file: string;
  /** SHA-256 of the file's bytes. */
  readonly sha256: string;
  readonly status: "processed" | "failed" | "duplicate";
  readonly at: string;
  /** Journal keys stored now, and those the outbox already had (a file taken again). */
  readonly created: readonly string[];
  readonly alreadyStored: readonly string[];
  /** Problems that kept the file from being stored (status failed), as `validate --json` shows them. */
  readonly errors: readonly Record<string, unknown>[];
  /** A file with the same content taken before (status duplicate). */
  readonly duplicateOf?: string;
}

/** One file taken from an inbox: only this taker sees it until it is finished. */
export interface Claim {
  readonly name: string;
  read(): Promise<Buffer>;
  /** Moves the file to processed or error, with its report beside it. */
  finish(report: PickupReport): Promise<void>;
  /**
   * Gives the file up unfinished (the outbox away): it stays where it is, free to be taken again by
   * the next look — this taker's included.
   */
  abandon(): Promise<void>;
}

export interface Inbox {
  /** For messages: `folder /data/in`, `container journals`. */
  readonly description: string;
  /**
   * The next file to take: one a taker that stopped mid-file left behind first, then the oldest new
   * one; undefined when there is none.
   */
  next(): Promise<Claim | undefined>;
  /** The name of the file with this content taken before, if any. */
  seen(sha256: string): Promise<string | undefined>;
  /** Remembers a content once its journals are stored. */
  remember(sha256: string, name: string): Promise<void>;
}

/** Names a taker leaves alone: hidden files, partial uploads, Office lock files. */
export function ignoredName(name: string): boolean {
  return name.startsWith(".") || name.startsWith("~$") || /\.(tmp|part|partial|crdownload)$/i.test(name);
}
