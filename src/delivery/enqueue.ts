/** Puts checked journals into the outbox; the commit happens before anything is acknowledged. */
import type { Clock } from "../common/time.js";
import { systemClock } from "../common/time.js";
import { isBridgeError } from "../core/errors/bridge-error.js";
import { codeSpec } from "../core/errors/codes.js";
import type { Issue } from "../core/errors/issue.js";
import type { Journal } from "../core/journal.js";
import type { NewJournal, OutboxStore, StoredJournal } from "../outbox/store.js";
import { toNewJournal } from "./journal-record.js";

export interface EnqueueSummary {
  readonly created: StoredJournal[];
  /** Already stored with the same content: nothing new (re-running a file is safe). */
  readonly duplicates: StoredJournal[];
}

/** Stores journals one by one, keeping their stored rows (for callers with a handful; files use ChunkWriter). */
export async function enqueueJournals(
  store: OutboxStore,
  journals: Iterable<Journal> | AsyncIterable<Journal>,
  options: { source: string; post: boolean; clock?: Clock },
): Promise<EnqueueSummary> {
  const clock = options.clock ?? systemClock;
  const created: StoredJournal[] = [];
  const duplicates: StoredJournal[] = [];
  for await (const journal of journals) {
    const result = await store.enqueue(toNewJournal(journal, options.source, options.post), clock.now());
    (result.outcome === "created" ? created : duplicates).push(result.journal);
  }
  return { created, duplicates };
}

/**
 * Journals of this size go into one transaction: a commit per journal made 100,000 journals take
 * 110 s to store; a thousand per commit keeps the write lock short for the workers claiming beside it.
 */
export const ENQUEUE_CHUNK = 1000;

export interface ChunkWriterOptions {
  readonly source: string;
  readonly post: boolean;
  /** Names every journal stored or found stored, for the store's `progress({ run })`. */
  readonly run?: string;
  readonly chunkSize?: number;
  readonly clock?: Clock;
  /** Told after each chunk commits (delivery may start on it). */
  readonly onStored?: (count: number) => void;
}

/**
 * Stores a stream of journals in chunks, each all-or-nothing through `enqueueAll`, keeping counts
 * rather than rows. A chunk refused because some of its keys are stored with other content is stored
 * again journal by journal: the others are kept, and each conflicting one is reported as an issue.
 */
export class ChunkWriter {
  private chunk: NewJournal[] = [];
  created = 0;
  duplicates = 0;
  /** The journals refused for a conflict (OUTBOX_CONFLICT), to be shown with the file's report. */
  readonly conflicts: Issue[] = [];
  private readonly clock: Clock;
  private readonly size: number;

  constructor(
    private readonly outbox: OutboxStore,
    private readonly options: ChunkWriterOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.size = options.chunkSize ?? ENQUEUE_CHUNK;
  }

  /**
   * Adds the journal; when the chunk is full it is sent to the store, and reading goes on while it
   * commits (one chunk in flight: on a store thread, validating the next overlaps the commit).
   */
  async add(journal: Journal): Promise<void> {
    this.chunk.push(toNewJournal(journal, this.options.source, this.options.post));
    if (this.chunk.length >= this.size) await this.send();
  }

  /** Stores what is waiting, and waits for every chunk to commit. */
  async flush(): Promise<void> {
    if (this.chunk.length > 0) await this.send();
    const last = this.inFlight;
    this.inFlight = undefined;
    await last;
  }

  private inFlight: Promise<void> | undefined;

  private async send(): Promise<void> {
    const chunk = this.chunk;
    this.chunk = [];
    await this.inFlight;
    const storing = this.store(chunk);
    // Observed here so a failure is not "unhandled" before the next send or flush awaits it.
    storing.catch(() => undefined);
    this.inFlight = storing;
  }

  private async store(chunk: readonly NewJournal[]): Promise<void> {
    const run = this.options.run === undefined ? {} : { run: this.options.run };
    try {
      this.count(await this.outbox.enqueueAll(chunk, this.clock.now(), run));
    } catch (error) {
      if (!isBridgeError(error) || error.code !== "OUTBOX_CONFLICT") throw error;
      for (const journal of chunk) {
        try {
          this.count([await this.outbox.enqueue(journal, this.clock.now(), run)]);
        } catch (refused) {
          if (!isBridgeError(refused) || refused.code !== "OUTBOX_CONFLICT") throw refused;
          this.conflicts.push({
            code: refused.code,
            severity: codeSpec(refused.code).severity,
            message: refused.message,
            file: this.options.source,
            journalKey: journal.key,
          });
        }
      }
    }
    this.options.onStored?.(chunk.length);
  }

  private count(results: readonly { outcome: "created" | "duplicate" }[]): void {
    for (const result of results) {
      if (result.outcome === "created") this.created++;
      else this.duplicates++;
    }
  }
}
