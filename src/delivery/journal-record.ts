/**
 * How a journal is kept in the outbox and recognised in F&O: canonical JSON (amounts as strings, so
 * exact), its content hash, and its marker — `lb:<key>` (or `lb:#<hash>` for long keys), written at the
 * start of the header's Description so the journal can be found again after a lost answer.
 */
import { createHash } from "node:crypto";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { Journal } from "../core/journal.js";
import type { JournalRead } from "../ingest/assemble.js";
import { journalToJsonValue } from "../ingest/json/write.js";
import { readJournalText } from "../ingest/source.js";
import type { NewJournal } from "../outbox/store.js";

/** F&O's LedgerJournalHeader.Description holds 60 characters. */
const DESCRIPTION_LENGTH = 60;
const MARKER_LENGTH = 40;

export function markerFor(key: string): string {
  const plain = `lb:${key}`;
  if (plain.length <= MARKER_LENGTH) return plain;
  return `lb:#${createHash("sha256").update(key).digest("base64url").slice(0, 24)}`;
}

/** The header's Description: the marker, then as much of the journal's own description as fits. */
export function headerDescription(journal: Journal, marker: string): string {
  if (journal.description === undefined) return marker;
  return `${marker} ${journal.description}`.slice(0, DESCRIPTION_LENGTH);
}

/** Whether a Description found in F&O is this journal's (keys contain no spaces, so the prefix is exact). */
export function carriesMarker(description: unknown, marker: string): boolean {
  return typeof description === "string" && (description === marker || description.startsWith(`${marker} `));
}

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
