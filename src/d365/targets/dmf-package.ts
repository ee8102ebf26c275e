/**
 * The bulk path: journals go into F&O's General journal entity in a data package through the Data
 * Management package API (src/d365/dmf/), which Microsoft sizes at hundreds of thousands of records
 * an hour against OData's thousands. What F&O ends up holding is the same as the ledger-journal
 * target's — LedgerJournalHeaders whose Description carries the marker, and their lines — so finding,
 * reading back and reconciling are that target's.
 *
 * `dmf-package` sends every group of journals as a package; `auto` sends a group by package when it
 * holds at least `threshold` journals, smaller ones over OData: a backlog goes the bulk way, a trickle
 * does not wait for a package's import.
 */
import { ACCOUNT_TYPES, type Journal } from "../../core/journal.js";
import type { PackagedJournal } from "../dmf/package.js";
import type { Entities } from "../entities.js";
import { LedgerJournalTarget } from "./ledger-journal.js";
import { accountTypeProblems } from "./shared.js";
import type { Compiled, FoundJournal, TargetProblem } from "./target.js";

export interface DmfPackageSettings {
  readonly kind: "dmf-package" | "auto";
  /** The data project (definition group) the imports run in; ImportFromPackage creates it. */
  readonly definitionGroup: string;
  readonly dimensionFormat?: readonly string[];
  /** Groups of at least this many journals go by package (dmf-package: 1). */
  readonly threshold: number;
  /** Waits between status polls, the last one repeated (ms). */
  readonly pollDelaysMs: readonly number[];
  /** How long one attempt waits for an import to finish before leaving it in doubt (ms). */
  readonly maxWaitMs: number;
  /** F&O's "Enhanced parallel package import" is on: imports of the data project may overlap. */
  readonly parallelImports: boolean;
  /** Lines a package holds at most (its journals whole). */
  readonly packageLines: number;
}

export const DEFAULT_DEFINITION_GROUP = "ledger-bridge-general-journal";
/** As Microsoft's samples poll (5-15 s), starting sooner for small packages. */
export const DEFAULT_POLL_DELAYS_MS: readonly number[] = [1_000, 2_000, 5_000, 10_000, 15_000];
export const DEFAULT_MAX_WAIT_MS = 30 * 60_000;
/** Lines of a package by default: imports go one at a time, so a package is worth filling. */
export const DEFAULT_PACKAGE_LINES = 10_000;
/**
 * Where `auto` switches to packages: bench:bulk's crossover (docs/benchmarks.md#bulk-odata-against-data-packages--npm-run-benchbulk)
 * with OData at 100 ms a request + 20 ms an operation and imports that start after 5 s and run
 * 5,000 rows/s: 636 journals of 4 lines. (With OData at 2 ms an operation — the emulator's default
 * model, far faster than Microsoft's guidance for OData — the crossover is 11,271 journals, more
 * than one package holds: packages never pay.)
 */
export const DEFAULT_AUTO_THRESHOLD = 640;

/** What the protocol needs to send a group of journals as a package. */
export interface PackagePath {
  readonly definitionGroup: string;
  readonly threshold: number;
  readonly pollDelaysMs: readonly number[];
  readonly maxWaitMs: number;
  readonly parallelImports: boolean;
  readonly maxLines: number;
  /** The journal with what the data file needs beyond it (its dimension display values). */
  packaged(journal: Journal, marker: string, placeholder: string): PackagedJournal;
  /** The journals of one company carrying these markers (those numbered after `after` read first). */
  findMany(
    entities: Entities,
    company: string,
    markers: readonly string[],
    after?: string,
  ): Promise<Map<string, FoundJournal[]>>;
  /** The company's highest journal batch number now (undefined: none). */
  lastBatchNumber(entities: Entities, company: string): Promise<string | undefined>;
}

export class DmfPackageTarget extends LedgerJournalTarget {
  override readonly kind: string;
  readonly packages: PackagePath;

  constructor(settings: DmfPackageSettings) {
    super(settings);
    this.kind = settings.kind;
    this.packages = {
      definitionGroup: settings.definitionGroup,
      threshold: settings.threshold,
      pollDelaysMs: settings.pollDelaysMs,
      maxWaitMs: settings.maxWaitMs,
      parallelImports: settings.parallelImports,
      maxLines: settings.packageLines,
      packaged: (journal, marker, placeholder) => ({
        journal,
        marker,
        placeholder,
        dimensions: this.dimensionsOf(journal, []),
      }),
      findMany: (entities, company, markers, after) => this.findMany(entities, company, markers, after),
      lastBatchNumber: (entities, company) => this.lastBatchNumber(entities, company),
    };
  }

  override compile(journal: Journal, marker: string): Compiled {
    const problems: TargetProblem[] = accountTypeProblems(
      journal,
      ACCOUNT_TYPES,
      "The General journal entity",
    );
    if (journal.journalBatchNumber !== undefined)
      problems.push({
        code: "TARGET_BATCH_NUMBER_UNSUPPORTED",
        detail: `The journal names batch number ${journal.journalBatchNumber}; a package import adds lines to an existing unposted journal of that number instead of creating one.`,
        field: "journalBatchNumber",
      });
    this.dimensionsOf(journal, problems);
    if (problems.length > 0) return { ok: false, problems };
    // The OData form too: `auto` sends small groups that way, and reconciliation reads either alike.
    return super.compile(journal, marker);
  }
}
