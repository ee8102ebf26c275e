/**
 * The package path of the protocol (target dmf-package, or auto for a large group): a group of
 * journals of one company goes into F&O as one data package.
 *
 * 1. record — a fresh execution id on every journal of the package, before anything is sent;
 * 2. send — a write URL from F&O, the package uploaded to it, ImportFromPackage under our id;
 * 3. wait — the execution's status polled with growing waits until F&O is done with it;
 * 4. settle — each journal found by its marker is adopted with its lines (and posted next, when
 *    asked); one not found was refused by F&O and is dead with F&O's messages for it. The journals of
 *    a package settle together, each with its own outcome.
 *
 * A worker that finds a journal with an execution id (a crash, a lost answer, a wait that ran out)
 * asks F&O for that execution first: not known to F&O → the import never started and the journal is
 * sent again; still running → it waits; done → step 4. Nothing is sent for a journal while an import
 * that may hold it is running (DESIGN.md §6, docs/package-path.md).
 */
import { randomUUID } from "node:crypto";
import { groupBy } from "../common/collections.js";
import type { Clock, Sleep } from "../common/time.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import type { D365Client, WriteOptions } from "../d365/client.js";
import { buildPackage, placeholderFor } from "../d365/dmf/package.js";
import {
  type ExecutionError,
  type ExecutionStatus,
  isFinished,
  PackageApi,
} from "../d365/dmf/package-api.js";
import { Entities } from "../d365/entities.js";
import {
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_POLL_DELAYS_MS,
  type FoundJournal,
  type JournalTarget,
  type PackagePath,
} from "../d365/targets/index.js";
import type { Settlements } from "./settlement.js";
import type { Failpoint, Settlement, Work } from "./work.js";

export interface PackageDeliveryOptions {
  readonly client: D365Client;
  readonly target: JournalTarget;
  readonly settlements: Settlements;
  readonly clock: Clock;
  readonly sleep: Sleep;
  /** Aborted when the engine stops: a wait for an import ends and leaves the journals in doubt. */
  readonly signal?: AbortSignal;
  readonly failpoint?: (name: Failpoint, key: string) => void | Promise<void>;
}

/** F&O's messages for one journal: those naming its placeholder, else every message of the execution. */
function messagesFor(errors: readonly ExecutionError[], placeholder: string): string {
  const own = errors.filter((error) => error.recordId === placeholder || error.message.includes(placeholder));
  const shown = (own.length > 0 ? own : errors).slice(0, 5);
  const more = (own.length > 0 ? own : errors).length - shown.length;
  return (
    shown.map((error) => `${error.field === "" ? "" : `${error.field}: `}${error.message}`).join(" | ") +
    (more > 0 ? ` (and ${more} more)` : "")
  );
}

export class PackageDelivery {
  private readonly api: PackageApi;
  private readonly entities: Entities;
  /** Per data project, the end of the last import this worker started (imports take turns). */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly options: PackageDeliveryOptions) {
    this.api = new PackageApi(options.client);
    this.entities = new Entities(options.client);
  }

  private get settle(): Settlements {
    return this.options.settlements;
  }

  private get path(): PackagePath | undefined {
    return this.options.target.packages;
  }

  private withinLease(group: readonly Work[]): WriteOptions {
    return { mayStillSend: () => group.every((item) => this.options.clock.now() < item.sendUntil) };
  }

  private async failpoint(name: Failpoint, group: readonly Work[]): Promise<void> {
    for (const item of group) await this.options.failpoint?.(name, item.key);
  }

  /** Sends the group as packages, one per company; each package's failure settles its journals only. */
  async open(
    items: readonly Work[],
    guard: (group: readonly Work[], step: () => Promise<void>) => Promise<void>,
  ) {
    const companies = groupBy(items, (item) => item.journal.company);
    for (const [company, group] of companies) await guard(group, () => this.importGroup(company, group));
  }

  private async importGroup(company: string, group: readonly Work[]): Promise<void> {
    const path = this.path as PackagePath;
    const stamp = new Date(this.options.clock.now()).toISOString().slice(0, 19).replace(/[-:T]/g, "");
    const executionId = `ledger-bridge-${stamp}-${randomUUID()}`;
    // Recorded before anything leaves: whoever finds these journals next asks about this execution.
    await this.settle.many(
      group.map((item) => ({
        item,
        changes: { state: item.state, executionId, keepLease: true },
        detail: { executionId },
      })),
    );
    const live = group.filter((item) => !item.done);
    if (live.length === 0) return;
    await this.failpoint("after-execution-recorded", live);
    const built = buildPackage(
      path.definitionGroup,
      live.map((item) =>
        path.packaged(item.journal, item.claim.marker, placeholderFor(executionId, item.key)),
      ),
    );
    const lease = this.withinLease(live);
    const url = await this.api.writeUrl(`${executionId}.zip`, lease);
    await this.api.upload(url, built.zip, lease);
    await this.failpoint("after-package-uploaded", live);
    // F&O numbers the package's journals from its sequence: after the highest number it holds now
    // (none yet: every journal of the company is the package's).
    let after = "";
    const status = await this.exclusive(path, async () => {
      after = (await path.lastBatchNumber(this.entities, company)) ?? "";
      await this.api.importFromPackage(
        { packageUrl: url, definitionGroupId: path.definitionGroup, executionId, legalEntityId: company },
        lease,
      );
      await this.failpoint("after-import-sent", live);
      return this.waitFor(executionId);
    });
    if (status === "not-found")
      throw new BridgeError(
        "D365_INVALID_RESPONSE",
        `F&O accepted import ${executionId} but knows no execution of that id.`,
      );
    await this.settleImport(executionId, status, company, live, after);
  }

  /**
   * Journals whose last attempt went into an import (their execution id is recorded): one status
   * question per execution. Returns the journals it settled or advanced; the others (an import that
   * never started) go on as any journal does.
   */
  async reconcile(
    items: readonly Work[],
    guard: (group: readonly Work[], step: () => Promise<void>) => Promise<void>,
  ): Promise<Set<Work>> {
    const handled = new Set<Work>();
    const executions = groupBy(items, (item) => item.claim.executionId as string);
    for (const [executionId, group] of executions) {
      await guard(group, async () => {
        const status = await this.waitFor(executionId);
        if (status === "not-found") return;
        for (const [company, journals] of groupBy(group, (item) => item.journal.company)) {
          for (const item of journals) handled.add(item);
          await this.settleImport(executionId, status, company, journals);
        }
      });
      // A failure settled the group (in doubt, or waiting): it is done for this attempt.
      for (const item of group) if (item.done) handled.add(item);
    }
    return handled;
  }

  /**
   * F&O runs one import of a data project at a time unless "Enhanced parallel package import" is on
   * (DMF2025; parallel calls "will fail"): this worker's imports of one project take turns.
   */
  private async exclusive<T>(path: PackagePath, work: () => Promise<T>): Promise<T> {
    if (path.parallelImports) return work();
    const project = path.definitionGroup;
    const before = this.running.get(project) ?? Promise.resolve();
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const turn = before.then(() => mine);
    this.running.set(project, turn);
    await before;
    try {
      return await work();
    } finally {
      release();
      if (this.running.get(project) === turn) this.running.delete(project);
    }
  }

  /** Polls the execution until F&O is done with it (or knows nothing of it). */
  private async waitFor(executionId: string): Promise<ExecutionStatus | "not-found"> {
    const delays = this.path?.pollDelaysMs ?? DEFAULT_POLL_DELAYS_MS;
    const maxWaitMs = this.path?.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
    const { clock, sleep, signal } = this.options;
    const started = clock.now();
    for (let poll = 0; ; poll++) {
      const status = await this.api.status(executionId, signal);
      if (status === "not-found" || isFinished(status)) return status;
      const waited = clock.now() - started;
      const delay = delays[Math.min(poll, delays.length - 1)] as number;
      if (waited + delay > maxWaitMs || signal?.aborted)
        throw new BridgeError(
          "PACKAGE_EXECUTION_RUNNING",
          `F&O's import ${executionId} is ${status} after ${Math.round(waited / 1000)} s.`,
        );
      try {
        await sleep(delay, signal);
      } catch {
        throw new BridgeError(
          "PACKAGE_EXECUTION_RUNNING",
          `The wait for F&O's import ${executionId} was stopped (${status}).`,
        );
      }
    }
  }

  /** The outcome of a finished execution for its journals of one company: adopted, or dead. */
  private async settleImport(
    executionId: string,
    status: ExecutionStatus,
    company: string,
    items: readonly Work[],
    after?: string,
  ): Promise<void> {
    const target = this.options.target;
    const markers = items.map((item) => item.claim.marker);
    const found =
      this.path !== undefined
        ? await this.path.findMany(this.entities, company, markers, after)
        : await this.findEach(company, items);
    const numbers = [...found.values()].flatMap((list) =>
      list.length === 1 ? [list[0]?.batchNumber as string] : [],
    );
    const lines = await target.linesOfMany(this.entities, company, numbers);
    const errors = status === "Succeeded" ? [] : await this.api.errors(executionId);
    // Which journals F&O names as failed in its error keys file (when it can give it).
    const failed =
      status === "Succeeded"
        ? new Set<string>()
        : await this.api
            .failedBatches(executionId, this.path?.pollDelaysMs ?? DEFAULT_POLL_DELAYS_MS, this.options.sleep)
            .catch(() => undefined);
    const now = this.options.clock.now();
    const records: Settlement[] = [];
    for (const item of items) {
      const mine = found.get(item.claim.marker) ?? [];
      if (mine.length > 1) {
        records.push({
          item,
          ...this.settle.outcome(
            item,
            new BridgeError(
              "DELIVERY_MARKER_AMBIGUOUS",
              `Journal ${item.key} has ${mine.length} journals in F&O: ${mine.map((each) => each.batchNumber).join(", ")}.`,
            ),
          ),
        });
        continue;
      }
      const journal = mine[0];
      if (journal === undefined) {
        const placeholder = placeholderFor(executionId, item.key);
        const listed = failed?.has(placeholder)
          ? ` (F&O's error keys file lists its records, batch ${placeholder})`
          : "";
        const why = messagesFor(errors, placeholder) + listed;
        records.push({
          item,
          changes: {
            state: "dead",
            executionId: null,
            lastErrorCode: "PACKAGE_IMPORT_FAILED",
            lastError: `F&O's import ${executionId} ended ${status} without journal ${item.key}${why === "" ? "." : `: ${why}`}`,
          },
          detail: { executionId, status, errorCode: "PACKAGE_IMPORT_FAILED", errors: errors.length },
        });
        continue;
      }
      item.batchNumber = journal.batchNumber;
      const count = lines.get(journal.batchNumber)?.count ?? 0;
      if (count === item.compiled.lineCount) {
        item.linesDone = true;
        records.push({
          item,
          changes: {
            state: "lines_created",
            journalBatchNumber: journal.batchNumber,
            linesConfirmedAt: now,
            executionId: null,
            keepLease: item.claim.post,
          },
          detail: { executionId, status, journalBatchNumber: journal.batchNumber, lines: count },
        });
      } else if (count === 0) {
        // The header without lines: the lines go next, as the OData target sends them.
        records.push({
          item,
          changes: {
            state: "header_created",
            journalBatchNumber: journal.batchNumber,
            executionId: null,
            keepLease: true,
          },
          detail: { executionId, status, journalBatchNumber: journal.batchNumber, lines: 0 },
        });
      } else {
        records.push({
          item,
          ...this.settle.outcome(
            item,
            new BridgeError(
              "DELIVERY_LINES_MISMATCH",
              `Journal ${item.key} (${journal.batchNumber}) has ${count} lines in F&O after import ${executionId}; the source has ${item.compiled.lineCount}.`,
            ),
          ),
        });
      }
    }
    await this.settle.many(records);
    await this.failpoint("after-import-recorded", items);
  }

  /** Without the package path configured (the target was changed meanwhile): one lookup a journal. */
  private async findEach(company: string, items: readonly Work[]): Promise<Map<string, FoundJournal[]>> {
    const found = new Map<string, FoundJournal[]>();
    for (const item of items) {
      const journal = await this.options.target.find(this.entities, company, item.claim.marker, item.key);
      found.set(item.claim.marker, journal === undefined ? [] : [journal]);
    }
    return found;
  }
}
