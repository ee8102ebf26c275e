/** Puts checked journals into the outbox; the commit happens before anything is acknowledged. */
import type { Clock } from "../common/time.js";
import { systemClock } from "../common/time.js";
import type { Journal } from "../core/journal.js";
import type { OutboxStore, StoredJournal } from "../outbox/store.js";
import { toNewJournal } from "./journal-record.js";

export interface EnqueueSummary {
  readonly created: StoredJournal[];
  /** Already stored with the same content: nothing new (re-running a file is safe). */
  readonly duplicates: StoredJournal[];
}

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
