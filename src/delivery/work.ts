/** A journal as a delivery round holds it, and what the round tells the world about it. */
import type { Journal } from "../core/journal.js";
import type { CompiledJournal } from "../d365/targets/index.js";
import type { JournalState } from "../outbox/states.js";
import type { JournalChanges, StoredJournal } from "../outbox/store.js";
import type { Leased } from "./lease-keeper.js";

export interface Work extends Leased {
  readonly claim: StoredJournal;
  readonly journal: Journal;
  readonly compiled: CompiledJournal;
  /** The state last recorded for it (the claim's, then each step's). */
  state: JournalState;
  batchNumber: string | null;
  linesDone: boolean;
}

/** One journal's record of a step's outcome. */
export interface Settlement {
  readonly item: Work;
  readonly changes: JournalChanges;
  readonly detail: Record<string, unknown>;
}

export type EngineEvent =
  | {
      readonly type: "settled";
      readonly key: string;
      readonly state: JournalState;
      readonly lines: number;
      /** Whether the journal is to be posted (lines_created is then not its last state). */
      readonly post: boolean;
      /** When the journal entered the outbox and when this step was recorded (ms): delivery latency. */
      readonly createdAt: number;
      readonly at: number;
    }
  | { readonly type: "reconciled"; readonly key: string; readonly found: string };

/** Named points of the protocol where crash tests kill the process. */
export type Failpoint =
  | "after-claim"
  | "after-header-sent"
  | "after-header-recorded"
  | "after-lines-sent"
  | "after-lines-recorded"
  | "after-post-sent"
  | "after-execution-recorded"
  | "after-package-uploaded"
  | "after-import-sent"
  | "after-import-recorded";
