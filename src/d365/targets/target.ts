/**
 * Where a journal goes in F&O, as a strategy: one implementation per kind of target (ledger-journal,
 * flat-entity, and room for the package path). Each one knows how a journal compiles into F&O
 * operations, where its marker goes and how it is looked up, and how a journal is read back for
 * reconciliation. The engine, `reconcile`, the doctor and the configuration talk to this interface only.
 *
 * A journal is compiled whole before anything is sent: a journal the target cannot carry is refused
 * with problems located at its lines and fields, when it is stored and again when it is claimed.
 */
import type Big from "big.js";
import type { PlainJson } from "../../common/json.js";
import type { ErrorCode } from "../../core/errors/codes.js";
import type { Journal } from "../../core/journal.js";
import type { BatchOperation } from "../batch.js";
import type { D365Client } from "../client.js";
import type { Entities } from "../entities.js";
import type { PostedVoucher } from "../posting.js";
import type { PackagePath } from "./dmf-package.js";

/** Why a target cannot carry a journal; `line` is the 0-based index of the line, `field` a model field. */
export interface TargetProblem {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly line?: number;
  readonly field?: string;
}

/** A journal as F&O operations. */
export interface CompiledJournal {
  /** The write that creates the journal (a header; a flat entity's first line); it carries the marker. */
  readonly opening: BatchOperation;
  /** Lines F&O holds once the opening write is done (0 for a header, 1 for a flat first line). */
  readonly openingLines: number;
  /** Lines F&O holds once the journal is complete. */
  readonly lineCount: number;
  /** The journal's number from the opening write's answer; D365_INVALID_RESPONSE when it has none. */
  batchNumberOf(created: PlainJson | undefined): string;
  /** The writes that complete the journal, in one changeset (all or nothing); may be empty. */
  rest(batchNumber: string): BatchOperation[];
}

export type Compiled =
  | { readonly ok: true; readonly compiled: CompiledJournal }
  | { readonly ok: false; readonly problems: readonly TargetProblem[] };

/** A journal found in F&O by its marker. */
export interface FoundJournal {
  readonly batchNumber: string;
  readonly company: string;
}

/** What F&O holds of a journal's lines. */
export interface LinesInFno {
  readonly count: number;
  readonly debit: Big.Big;
  readonly credit: Big.Big;
}

export interface MarkedJournal {
  readonly marker: string;
  readonly batchNumber: string;
  readonly company: string;
}

export interface JournalTarget {
  /** The settings' kind, for evidence and logs (never branched on). */
  readonly kind: string;
  /** The entity sets it writes, which the environment must serve. */
  readonly entitySets: readonly string[];
  /**
   * Checks the target against the environment's `$metadata` once (fields exist, the marker field and
   * its length); CONFIG_INVALID when delivery through it cannot be exactly once. Idempotent.
   */
  prepare(client: D365Client): Promise<void>;
  compile(journal: Journal, marker: string): Compiled;
  /** The journal carrying this marker, undefined when none; DELIVERY_MARKER_AMBIGUOUS when several. */
  find(entities: Entities, company: string, marker: string, key: string): Promise<FoundJournal | undefined>;
  /** The lines F&O holds for a journal number (`amounts`: also their totals). */
  lines(entities: Entities, company: string, batchNumber: string, amounts?: boolean): Promise<LinesInFno>;
  /**
   * The lines of many journals of one company at once (`reconcile`): one query over the range of
   * their batch numbers (and its pages); journals of others in the range are left out.
   */
  linesOfMany(
    entities: Entities,
    company: string,
    batchNumbers: readonly string[],
  ): Promise<Map<string, LinesInFno>>;
  /** The posted vouchers, when F&O says the journal is posted (read back from the ledger). */
  postedVouchers(
    entities: Entities,
    company: string,
    batchNumber: string,
  ): Promise<PostedVoucher[] | undefined>;
  /** The posted vouchers of many journals of one company at once: posted ones only are in the map. */
  postedVouchersOfMany(
    entities: Entities,
    company: string,
    batchNumbers: readonly string[],
  ): Promise<Map<string, PostedVoucher[]>>;
  /** Every journal in F&O carrying a ledger-bridge marker (to list those the outbox does not know). */
  marked(entities: Entities): AsyncGenerator<MarkedJournal>;
  /** Present when groups of journals can go as a data package (dmf-package, auto). */
  readonly packages?: PackagePath;
}
