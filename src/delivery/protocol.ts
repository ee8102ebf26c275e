/**
 * The delivery protocol's steps for a round of journals (DESIGN.md §6), whatever the target:
 *
 * 1. reconcile — a journal in doubt, or on an attempt after the first that may follow a crash after
 *    something was sent, is looked up by its marker first and what exists is adopted;
 * 2. open — the write that creates each journal (a header, a flat entity's first line), many journals
 *    in one $batch with a changeset each; the journal's number is recorded before anything follows;
 * 3. complete — the rest of each journal's lines in one changeset (all or nothing);
 * 4. post — the posting service, when asked; the vouchers are recorded.
 *
 * Every write may leave only while the journals' leases run; every failure settles exactly the
 * journals it concerns, as failure-policy.ts says.
 */

import { SpanStatusCode } from "@opentelemetry/api";
import { type Clock, realSleepFn, type Sleep } from "../common/time.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import { type BatchOperation, sendBatch } from "../d365/batch.js";
import type { D365Client, WriteOptions } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import { D365Error } from "../d365/errors.js";
import { postJournal } from "../d365/posting.js";
import type { JournalTarget } from "../d365/targets/index.js";
import { endWithError, tracer } from "../telemetry/tracing.js";
import { PackageDelivery } from "./package-delivery.js";
import type { Settlements } from "./settlement.js";
import type { EngineEvent, Failpoint, Settlement, Work } from "./work.js";

export interface ProtocolOptions {
  readonly client: D365Client;
  readonly target: JournalTarget;
  readonly settlements: Settlements;
  readonly clock: Clock;
  readonly maxBatchOperations: number;
  readonly postingPath?: string;
  readonly onEvent?: (event: EngineEvent) => void;
  readonly failpoint?: (name: Failpoint, key: string) => void | Promise<void>;
  /** Waits between a package import's status polls (default: real time). */
  readonly sleep?: Sleep;
  /** Aborted when the engine stops. */
  readonly signal?: AbortSignal;
}

/** The writes of a delivery, in order: the journal opened, completed, posted. */
export type Step = "open" | "complete" | "post";

export class DeliveryProtocol {
  private readonly entities: Entities;

  private readonly packages: PackageDelivery;

  constructor(private readonly options: ProtocolOptions) {
    this.entities = new Entities(options.client);
    this.packages = new PackageDelivery({
      client: options.client,
      target: options.target,
      settlements: options.settlements,
      clock: options.clock,
      sleep: options.sleep ?? realSleepFn,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.failpoint ? { failpoint: options.failpoint } : {}),
    });
  }

  private get settle(): Settlements {
    return this.options.settlements;
  }

  /**
   * Before any write: each journal that may follow a crash is reconciled (what exists in F&O is
   * adopted), and one whose lines turn out to be there when posting was not asked for is recorded
   * delivered. The dispatcher then takes each journal not done through `next`'s steps.
   */
  async prepare(work: readonly Work[]): Promise<void> {
    // Journals an import may hold: F&O is asked about the execution before anything else.
    const imported = work.filter((item) => item.claim.executionId !== null && item.batchNumber === null);
    const handled =
      imported.length === 0
        ? new Set<Work>()
        : await this.packages.reconcile(imported, (group, step) => this.guard(group, step));
    for (const item of work) {
      if (!handled.has(item) && !item.done && needsReconciliation(item))
        await this.guard([item], () => this.reconcile(item));
    }
    await this.settle.many(
      work
        .filter((item) => !item.done && item.linesDone && !item.claim.post)
        .map((item) => ({ item, changes: { state: "lines_created" as const }, detail: {} })),
    );
  }

  /**
   * With a package path: the lines a package holds at most. Journals then open in groups as large as
   * that (a claim's first few do not go alone), and OData groups under the threshold are split into
   * $batch requests as usual.
   */
  get packageLines(): number | undefined {
    return this.options.target.packages?.maxLines;
  }

  /** The step a journal needs next, or undefined when this attempt is over for it. */
  next(item: Work): Step | undefined {
    if (item.done) return undefined;
    if (item.batchNumber === null) return "open";
    if (!item.linesDone) return "complete";
    return item.claim.post ? "post" : undefined;
  }

  /** What a step for the journal costs in operations (how the dispatcher sizes a request). */
  operations(item: Work, step: Step): number {
    if (step === "complete") return item.compiled.rest(item.batchNumber as string).length;
    return 1;
  }

  /**
   * One step for a group: one F&O request ($batch, or a posting per journal), then its record. Traced
   * as a span for the step (its F&O request a child) and a span per journal, with the journal's key,
   * company and number and the state recorded — never amounts.
   */
  async step(step: Step, group: readonly Work[]): Promise<void> {
    await tracer().startActiveSpan(
      `delivery ${step}`,
      { attributes: { "ledger_bridge.step": step, "ledger_bridge.journals": group.length } },
      async (span) => {
        // Off (the API's no-op span), no per-journal spans: this is the delivery's hot path.
        const journals = (span.isRecording() ? group : []).map((item) =>
          tracer().startSpan(`journal ${step}`, {
            attributes: {
              "ledger_bridge.journal.key": item.key,
              "ledger_bridge.journal.company": item.journal.company,
              "ledger_bridge.journal.attempt": item.attempt,
            },
          }),
        );
        try {
          if (step === "open") await this.open(group);
          else if (step === "complete") await this.complete(group);
          else await this.post(group);
          span.end();
        } catch (error) {
          endWithError(span, error);
          throw error;
        } finally {
          for (const [index, journal] of journals.entries()) {
            const item = group[index] as Work;
            journal.setAttribute("ledger_bridge.journal.state", item.state);
            if (item.batchNumber !== null)
              journal.setAttribute("ledger_bridge.journal.batch_number", item.batchNumber);
            if (["retry_wait", "in_doubt", "dead"].includes(item.state))
              journal.setStatus({ code: SpanStatusCode.ERROR, message: item.state });
            journal.end();
          }
        }
      },
    );
  }

  /** A write for a group of journals may leave only while every one of their leases runs. */
  private withinLease(group: readonly Work[]): WriteOptions {
    return { mayStillSend: () => group.every((item) => this.options.clock.now() < item.sendUntil) };
  }

  private async failpoint(name: Failpoint, group: readonly Work[]): Promise<void> {
    for (const item of group) await this.options.failpoint?.(name, item.key);
  }

  private reconciled(item: Work, found: string): void {
    this.options.onEvent?.({ type: "reconciled", key: item.key, found });
  }

  /** Looks the journal up in F&O (the same lookup `reconcile` uses) and adopts what exists. */
  private async reconcile(item: Work): Promise<void> {
    const { claim, journal, compiled } = item;
    const target = this.options.target;
    if (item.batchNumber === null) {
      const found = await target.find(this.entities, journal.company, claim.marker, claim.key);
      if (found === undefined) return;
      item.batchNumber = found.batchNumber;
      this.reconciled(item, "header");
      const changes = {
        state: "header_created",
        journalBatchNumber: found.batchNumber,
        keepLease: true,
      } as const;
      if (!(await this.settle.one(item, changes, { reconciled: "header" }))) return;
    }
    const batchNumber = item.batchNumber;
    if (!item.linesDone) {
      const { count } = await target.lines(this.entities, journal.company, batchNumber);
      if (count === compiled.openingLines && count !== compiled.lineCount) return;
      if (count !== compiled.lineCount) {
        throw new BridgeError(
          "DELIVERY_LINES_MISMATCH",
          `Journal ${claim.key} (${batchNumber}) has ${count} lines in F&O; the source has ${compiled.lineCount}.`,
        );
      }
      item.linesDone = true;
      this.reconciled(item, "lines");
      const changes = {
        state: "lines_created",
        linesConfirmedAt: this.options.clock.now(),
        keepLease: true,
      } as const;
      if (!(await this.settle.one(item, changes, { reconciled: "lines" }))) return;
    }
    if (claim.post) {
      const vouchers = await target.postedVouchers(this.entities, journal.company, batchNumber);
      if (vouchers === undefined) return;
      this.reconciled(item, "posting");
      await this.settle.one(
        item,
        { state: "posted", postedAt: this.options.clock.now(), vouchers },
        { reconciled: "posting", vouchers },
      );
    }
  }

  private chunks(items: readonly Work[], operations: (item: Work) => number): Work[][] {
    const groups: Work[][] = [];
    let current: Work[] = [];
    let count = 0;
    for (const item of items) {
      const size = operations(item);
      if (current.length > 0 && count + size > this.options.maxBatchOperations) {
        groups.push(current);
        current = [];
        count = 0;
      }
      current.push(item);
      count += size;
    }
    if (current.length > 0) groups.push(current);
    return groups;
  }

  /**
   * The opening writes of many journals in one $batch, a changeset each; numbers recorded together.
   * A target with a package path takes a group of its threshold's size or more as a data package.
   */
  private async open(items: readonly Work[]): Promise<void> {
    const packages = this.options.target.packages;
    if (packages !== undefined && items.length >= packages.threshold)
      return this.packages.open(items, (group, step) => this.guard(group, step));
    for (const group of this.chunks(items, () => 1)) {
      await this.guard(group, async () => {
        const results = await sendBatch(
          this.options.client,
          group.map((item) => ({ operations: [item.compiled.opening] })),
          this.withinLease(group),
        );
        await this.failpoint("after-header-sent", group);
        const records: Settlement[] = [];
        for (const [index, item] of group.entries()) {
          const result = results[index];
          if (result === undefined) continue;
          try {
            if (!result.ok) throw result.error;
            const batchNumber = item.compiled.batchNumberOf(result.results[0]?.body);
            item.batchNumber = batchNumber;
            records.push({
              item,
              changes: { state: "header_created", journalBatchNumber: batchNumber, keepLease: true },
              detail: { journalBatchNumber: batchNumber },
            });
          } catch (error) {
            records.push({ item, ...this.settle.outcome(item, error) });
          }
        }
        await this.settle.many(records);
        await this.failpoint("after-header-recorded", group);
      });
    }
  }

  /** The rest of each journal in one changeset of its own; many journals in one $batch. */
  private async complete(items: readonly Work[]): Promise<void> {
    const rest = new Map<Work, BatchOperation[]>(
      items.map((item) => [item, item.compiled.rest(item.batchNumber as string)]),
    );
    for (const group of this.chunks(items, (item) => rest.get(item)?.length ?? 0)) {
      await this.guard(group, async () => {
        const sending = group.filter((item) => (rest.get(item)?.length ?? 0) > 0);
        const results =
          sending.length === 0
            ? []
            : await sendBatch(
                this.options.client,
                sending.map((item) => ({ operations: rest.get(item) ?? [] })),
                this.withinLease(sending),
              );
        await this.failpoint("after-lines-sent", group);
        const records: Settlement[] = [];
        for (const item of group) {
          const index = sending.indexOf(item);
          const result = index < 0 ? { ok: true as const, results: [] } : results[index];
          if (result === undefined) continue;
          if (!result.ok) {
            records.push({ item, ...this.settle.outcome(item, result.error) });
            continue;
          }
          item.linesDone = true;
          records.push({
            item,
            changes: {
              state: "lines_created",
              linesConfirmedAt: this.options.clock.now(),
              keepLease: item.claim.post,
            },
            detail: { lines: item.compiled.lineCount },
          });
        }
        await this.settle.many(records);
        await this.failpoint("after-lines-recorded", group);
      });
    }
  }

  /**
   * Postings run at once; their results are recorded together (one commit for the round, not one
   * per journal). A crash before that commit leaves them to the next attempt's reconciliation.
   */
  private async post(items: readonly Work[]): Promise<void> {
    const records: Settlement[] = [];
    await Promise.all(
      items.map((item) =>
        this.guard([item], async () => {
          const company = item.journal.company;
          const batchNumber = item.batchNumber as string;
          try {
            const vouchers = await postJournal(this.options.client, company, batchNumber, {
              ...(this.options.postingPath === undefined ? {} : { path: this.options.postingPath }),
              ...this.withinLease([item]),
            });
            await this.options.failpoint?.("after-post-sent", item.key);
            records.push({
              item,
              changes: { state: "posted", postedAt: this.options.clock.now(), vouchers },
              detail: { vouchers },
            });
          } catch (error) {
            // "Already posted" after a lost answer: the ledger has the vouchers.
            if (
              error instanceof D365Error &&
              error.code === "D365_BUSINESS_RULE" &&
              /already been posted/i.test(error.message)
            ) {
              const vouchers = await this.options.target.postedVouchers(this.entities, company, batchNumber);
              if (vouchers !== undefined) {
                records.push({
                  item,
                  changes: { state: "posted", postedAt: this.options.clock.now(), vouchers },
                  detail: { vouchers, reconciled: "posting" },
                });
                return;
              }
            }
            throw error;
          }
        }),
      ),
    );
    await this.guard(
      records.map((record) => record.item),
      () => this.settle.many(records),
    );
  }

  /** Runs one step for a group; any failure settles every journal of the group not yet settled. */
  private async guard(group: readonly Work[], step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      for (const item of group) if (!item.done) await this.settle.fail(item, error);
    }
  }
}

/**
 * An attempt after the first may follow a crash after something was sent; a journal in doubt
 * certainly does. A journal waiting to retry failed before anything reached F&O.
 */
function needsReconciliation(item: Work): boolean {
  return (
    item.claim.state === "in_doubt" ||
    item.claim.executionId !== null ||
    (item.claim.attempt > 1 && item.claim.state !== "retry_wait")
  );
}
