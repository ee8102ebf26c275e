/**
 * How a journal is kept in the outbox: canonical JSON (amounts as strings, so exact), its content
 * hash, and its marker (src/d365/targets/marker.ts), by which the journal is found again in F&O.
 */
import { createHash } from "node:crypto";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { Journal } from "../core/journal.js";
import { markerFor } from "../d365/targets/index.js";
import type { JournalRead } from "../ingest/assemble.js";
import { journalToJsonValue } from "../ingest/json/write.js";
import { readJournalText } from "../ingest/source.js";
import type { NewJournal } from "../outbox/store.js";

export function canonicalPayload(journal: Journal): string {
  return JSON.stringify(journalToJsonValue(journal));
}

export function toNewJournal(journal: Journal, source: string, post: boolean): NewJournal {
  const payload = canonicalPayload(journal);
  return {
    key: journal.key,
    company: journal.company,
    journalName: journal.journalName,
    source,
    contentHash: createHash("sha256").update(payload).digest("hex"),
    payload,
    lineCount: journal.lines.length,
    post,
    marker: markerFor(journal.key),
  };
}

/** Reads a stored payload back into a journal (it was valid when stored; it is checked again). */
export async function fromPayload(payload: string): Promise<Journal> {
  let read: JournalRead | undefined;
  for await (const event of readJournalText("outbox.json", payload)) {
    if (event.kind === "journal") read = event.read;
  }
  if (read?.journal === undefined) {
    throw new BridgeError(
      "OUTBOX_UNAVAILABLE",
      "A stored journal could not be read back; the outbox may be damaged.",
    );
  }
  return read.journal;
}
