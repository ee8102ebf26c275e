/**
 * Takes files from an inbox and stores their journals: one file at a time, all of its journals or
 * none (a file with any error goes to `error/` with the report saying where; fix it and drop it
 * again). Exactly once: a content taken before is not stored again (SHA-256), and a file taken
 * again after a stop mid-file finds its journals' keys already stored. Delivery is the worker's.
 */
import { createHash } from "node:crypto";
import { BridgeError } from "../core/errors/bridge-error.js";
import { type Issue, issueJson } from "../core/errors/issue.js";
import type { Journal } from "../core/journal.js";
import type { JournalTarget } from "../d365/targets/target.js";
import { toNewJournal } from "../delivery/journal-record.js";
import { preflightEvents } from "../delivery/preflight.js";
import type { SourceEvent } from "../ingest/assemble.js";
import { type ReadOptions, readJournalText } from "../ingest/source.js";
import type { EnqueueResult, OutboxStore } from "../outbox/store.js";
import type { Claim, Inbox, PickupReport } from "./inbox.js";

export interface PickupOptions {
  readonly store: OutboxStore;
  readonly target: JournalTarget;
  readonly read?: ReadOptions;
  /** Whether the journals are posted after delivery. */
  readonly post: boolean;
  readonly now?: () => number;
}

/**
 * Takes one claimed file to its end. A failure that is not the file's (the outbox or the inbox away)
 * gives the file up unfinished and is thrown: the next look takes it again.
 */
export async function takeFile(inbox: Inbox, claim: Claim, options: PickupOptions): Promise<PickupReport> {
  try {
    return await take(inbox, claim, options);
  } catch (error) {
    await claim.abandon().catch(() => undefined);
    throw error;
  }
}

async function take(inbox: Inbox, claim: Claim, options: PickupOptions): Promise<PickupReport> {
  const now = options.now ?? Date.now;
  const bytes = await claim.read();
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const base = {
    file: claim.name,
    sha256,
    created: [] as string[],
    alreadyStored: [] as string[],
    errors: [],
  };
  const at = () => new Date(now()).toISOString();
  /** The file refused as a whole by one error (a name no reader takes, a key stored with other content). */
  const refuse = async (error: BridgeError): Promise<PickupReport> => {
    const report: PickupReport = {
      ...base,
      status: "failed",
      at: at(),
      errors: [{ code: error.code, message: error.message, line: null, column: null, field: null }],
    };
    await claim.finish(report);
    return report;
  };
  const earlier = await inbox.seen(sha256);
  // Remembered under its own name: this file, taken again after a stop before it was moved. Its
  // journals are found stored by their keys, and the report says so.
  if (earlier !== undefined && earlier !== claim.name) {
    const report: PickupReport = { ...base, status: "duplicate", at: at(), duplicateOf: earlier };
    await claim.finish(report);
    return report;
  }
  const journals: Journal[] = [];
  const errors: Issue[] = [];
  let events: AsyncGenerator<SourceEvent>;
  try {
    events = preflightEvents(readJournalText(claim.name, bytes, options.read), options.target);
  } catch (error) {
    // A name no reader takes (FILE_UNKNOWN_FORMAT).
    if (!(error instanceof BridgeError)) throw error;
    return refuse(error);
  }
  for await (const event of events) {
    if (event.kind === "issue") {
      if (event.issue.severity === "error") errors.push(event.issue);
    } else {
      errors.push(...event.read.issues.filter((found) => found.severity === "error"));
      if (event.read.journal !== undefined) journals.push(event.read.journal);
    }
  }
  if (errors.length === 0 && journals.length === 0)
    errors.push({
      code: "FILE_NO_DATA",
      severity: "error",
      message: "The file holds no journals.",
      file: claim.name,
    });
  if (errors.length > 0) {
    const report: PickupReport = { ...base, status: "failed", at: at(), errors: errors.map(issueJson) };
    await claim.finish(report);
    return report;
  }
  const source = `pickup:${inbox.description}:${claim.name}`;
  let results: EnqueueResult[];
  try {
    results = await options.store.enqueueAll(
      journals.map((journal) => toNewJournal(journal, source, options.post)),
      now(),
    );
  } catch (error) {
    // A journal key stored before with other content is the file's problem; the outbox being away
    // is not: then the file stays claimed and is taken again.
    if (!(error instanceof BridgeError) || error.code !== "OUTBOX_CONFLICT") throw error;
    return refuse(error);
  }
  await inbox.remember(sha256, claim.name);
  const report: PickupReport = {
    ...base,
    status: "processed",
    at: at(),
    created: results.filter((result) => result.outcome === "created").map((result) => result.journal.key),
    alreadyStored: results
      .filter((result) => result.outcome === "duplicate")
      .map((result) => result.journal.key),
  };
  await claim.finish(report);
  return report;
}

/** Takes every file waiting now; returns their reports. */
export async function takeWaiting(inbox: Inbox, options: PickupOptions): Promise<PickupReport[]> {
  const reports: PickupReport[] = [];
  for (let claim = await inbox.next(); claim !== undefined; claim = await inbox.next())
    reports.push(await takeFile(inbox, claim, options));
  return reports;
}
