/**
 * Preflight: every journal is compiled for the configured target when it is read — by `post`, the
 * API and uploads before anything is stored, by `validate --target` and `doctor --file` — so a
 * journal the target cannot carry is refused with its file, line and field before any request.
 * The engine compiles it again when it claims it (the configuration may have changed since).
 */
import { issue } from "../core/errors/issue.js";
import type { JournalTarget, TargetProblem } from "../d365/targets/index.js";
import { markerFor } from "../d365/targets/index.js";
import type { JournalRead, SourceEvent } from "../ingest/assemble.js";

function located(read: JournalRead, problem: TargetProblem) {
  const entry = read.entries[problem.line ?? 0];
  const at = entry?.at.at(problem.field ?? "") ?? {};
  return issue(problem.code, problem.detail, {
    ...at,
    ...(read.key === undefined ? {} : { journalKey: read.key }),
  });
}

/** The journal as read, or — when the target cannot carry it — refused with every problem located. */
export function preflight(read: JournalRead, target: JournalTarget): JournalRead {
  if (read.journal === undefined) return read;
  const result = target.compile(read.journal, markerFor(read.journal.key));
  if (result.ok) return read;
  return {
    ...read,
    journal: undefined,
    issues: [...read.issues, ...result.problems.map((problem) => located(read, problem))],
  };
}

export async function* preflightEvents(
  events: AsyncIterable<SourceEvent>,
  target: JournalTarget,
): AsyncGenerator<SourceEvent> {
  for await (const event of events)
    yield event.kind === "journal" ? { kind: "journal", read: preflight(event.read, target) } : event;
}
