/**
 * A journal's marker: `lb:<key>` (or `lb:#<hash>` for long keys), written into a field of what the
 * target creates in F&O so that the journal can be found again after a lost answer (DESIGN.md §6).
 * F&O has no idempotency key; the marker is how a worker that is in doubt asks "does it exist?".
 */
import { createHash } from "node:crypto";

/** The longest marker: every field that carries one must hold at least this many characters to take every key. */
export const MARKER_LENGTH = 40;
export const MARKER_PREFIX = "lb:";

export function markerFor(key: string): string {
  const plain = `${MARKER_PREFIX}${key}`;
  if (plain.length <= MARKER_LENGTH) return plain;
  return `${MARKER_PREFIX}#${createHash("sha256").update(key).digest("base64url").slice(0, 24)}`;
}

/** The marker, then as much of the journal's own description as fits a field of `length` characters. */
export function markedText(marker: string, description: string | undefined, length: number): string {
  if (description === undefined) return marker;
  return `${marker} ${description}`.slice(0, length);
}

/** Whether a text found in F&O is this journal's (keys contain no spaces, so the prefix is exact). */
export function carriesMarker(text: unknown, marker: string): boolean {
  return typeof text === "string" && (text === marker || text.startsWith(`${marker} `));
}

/** The marker at the start of a marked text (for listing journals the outbox does not know). */
export function markerIn(text: unknown): string | undefined {
  if (typeof text !== "string" || !text.startsWith(MARKER_PREFIX)) return undefined;
  return text.split(" ")[0];
}
