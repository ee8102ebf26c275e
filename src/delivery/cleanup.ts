/**
 * `cleanup`: what dead and cancelled journals left in F&O. A journal can die after its opening write
 * (a header, a flat first line) or its lines were created — F&O refused the rest, or a person
 * cancelled it — and that unposted journal stays in F&O's journal list, where someone may post it by
 * hand. Cleanup finds every journal in F&O that carries a ledger-bridge marker (through the target,
 * one paged query), keeps those whose stored journal is dead or cancelled, and deletes the unposted
 * ones when asked. Posted ones are listed, never touched: a posted journal is reversed in F&O.
 *
 * Every target files into F&O's journal tables, so a journal is deleted through LedgerJournalHeaders
 * (F&O deletes its lines with it) and its posted flag read there.
 */
import type { D365Client } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import type { JournalTarget } from "../d365/targets/index.js";
import type { JournalState } from "../outbox/states.js";
import type { OutboxStore, StoredJournal } from "../outbox/store.js";

/** States whose journals should have nothing in F&O. */
const LEFT_BEHIND: readonly JournalState[] = ["dead", "cancelled"];

export interface Leftover {
  readonly key: string;
  readonly state: JournalState;
  readonly company: string;
  readonly batchNumber: string;
  readonly lines: number;
  readonly posted: boolean;
}

export interface CleanupReport {
  /** What dead and cancelled journals left, unposted ones and posted ones. */
  readonly leftovers: readonly Leftover[];
  /** Deleted (with --yes), by F&O journal number. */
  readonly deleted: readonly string[];
  /** Deletions F&O refused, with its message. */
  readonly failed: readonly { readonly batchNumber: string; readonly error: string }[];
}

/** The store's dead and cancelled journals, by marker. */
async function leftBehind(store: OutboxStore): Promise<Map<string, StoredJournal>> {
  const byMarker = new Map<string, StoredJournal>();
  for (const state of LEFT_BEHIND) {
    let after: string | undefined;
    for (;;) {
      const page = await store.list({ state, limit: 1000, ...(after === undefined ? {} : { after }) });
      for (const journal of page) byMarker.set(journal.marker, journal);
      if (page.length < 1000) break;
      after = page.at(-1)?.key;
    }
  }
  return byMarker;
}

export async function cleanup(
  store: OutboxStore,
  client: D365Client,
  target: JournalTarget,
  options: { readonly delete: boolean; readonly actor: string; readonly now: () => number },
): Promise<CleanupReport> {
  await target.prepare(client);
  const entities = new Entities(client);
  const journals = await leftBehind(store);
  const leftovers: Leftover[] = [];
  if (journals.size > 0)
    for await (const marked of target.marked(entities)) {
      const journal = journals.get(marked.marker);
      if (journal === undefined) continue;
      const header = await entities.get("LedgerJournalHeaders", {
        dataAreaId: marked.company,
        JournalBatchNumber: marked.batchNumber,
      });
      const lines = await target.lines(entities, marked.company, marked.batchNumber);
      leftovers.push({
        key: journal.key,
        state: journal.state,
        company: marked.company,
        batchNumber: marked.batchNumber,
        lines: lines.count,
        posted: header?.IsPosted === "Yes",
      });
    }
  const deleted: string[] = [];
  const failed: { batchNumber: string; error: string }[] = [];
  if (options.delete)
    for (const leftover of leftovers.filter((each) => !each.posted)) {
      try {
        await entities.delete("LedgerJournalHeaders", {
          dataAreaId: leftover.company,
          JournalBatchNumber: leftover.batchNumber,
        });
        deleted.push(leftover.batchNumber);
        await store.note(
          leftover.key,
          options.actor,
          { cleanup: true, deleted: leftover.batchNumber, lines: leftover.lines, by: options.actor },
          options.now(),
        );
      } catch (error) {
        failed.push({
          batchNumber: leftover.batchNumber,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  return { leftovers, deleted, failed };
}
