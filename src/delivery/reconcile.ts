/**
 * `reconcile`: compares the outbox with F&O journal by journal — the journal found by its marker
 * (the same lookup the engine uses, through the target), the JournalBatchNumber, the lines and their
 * amounts, the posting and its vouchers — and lists every journal that carries a ledger-bridge marker
 * in F&O but is unknown to the store.
 */
import Big from "big.js";
import { isBridgeError } from "../core/errors/bridge-error.js";
import type { Journal } from "../core/journal.js";
import type { D365Client } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import type { JournalTarget } from "../d365/targets/index.js";
import { isDelivered } from "../outbox/states.js";
import type { OutboxStore, StoredJournal } from "../outbox/store.js";
import { fromPayload } from "./journal-record.js";

export interface Mismatch {
  readonly key: string;
  readonly problem: string;
}

export interface ReconcileReport {
  readonly checked: number;
  readonly matched: number;
  readonly mismatches: Mismatch[];
}

function totals(journal: Journal): { debit: Big.Big; credit: Big.Big } {
  let debit = new Big(0);
  let credit = new Big(0);
  for (const line of journal.lines) {
    if (line.debit) debit = debit.plus(line.debit);
    if (line.credit) credit = credit.plus(line.credit);
  }
  return { debit, credit };
}

/** What is wrong with one stored journal compared with F&O, or undefined when the two agree. */
async function compare(
  stored: StoredJournal,
  entities: Entities,
  target: JournalTarget,
): Promise<string | undefined> {
  const journal = await fromPayload(stored.payload);
  const delivered = isDelivered(stored.state, stored.post);
  let found: Awaited<ReturnType<JournalTarget["find"]>>;
  try {
    found = await target.find(entities, stored.company, stored.marker, stored.key);
  } catch (error) {
    if (isBridgeError(error) && error.code === "DELIVERY_MARKER_AMBIGUOUS") return error.message;
    throw error;
  }
  if (found === undefined)
    return delivered || stored.journalBatchNumber !== null
      ? `the store says ${stored.state} (${stored.journalBatchNumber ?? "no number"}), F&O has no such journal`
      : undefined;
  if (!delivered) return `F&O has journal ${found.batchNumber} for it, the store says ${stored.state}`;
  if (found.batchNumber !== stored.journalBatchNumber)
    return `the store records ${stored.journalBatchNumber}, F&O has ${found.batchNumber}`;
  const lines = await target.lines(entities, stored.company, found.batchNumber, true);
  const want = totals(journal);
  if (lines.count !== journal.lines.length)
    return `${lines.count} lines in F&O, ${journal.lines.length} in the source`;
  if (!lines.debit.eq(want.debit) || !lines.credit.eq(want.credit))
    return `amounts differ: F&O debit ${lines.debit.toFixed()} credit ${lines.credit.toFixed()}, source debit ${want.debit.toFixed()} credit ${want.credit.toFixed()}`;
  if (!stored.post) return undefined;
  const posted = await target.postedVouchers(entities, stored.company, found.batchNumber);
  if (posted === undefined) return "the store says posted, F&O says not posted";
  const inLedger = new Set(posted.map((voucher) => voucher.postedVoucher));
  const recorded = new Set((stored.vouchers ?? []).map((voucher) => voucher.postedVoucher));
  if (inLedger.size !== recorded.size || [...recorded].some((voucher) => !inLedger.has(voucher)))
    return `vouchers differ: store ${[...recorded].join(" ")}, ledger ${[...inLedger].join(" ")}`;
  return undefined;
}

export async function reconcileStore(
  store: OutboxStore,
  client: D365Client,
  target: JournalTarget,
): Promise<ReconcileReport> {
  await target.prepare(client);
  const entities = new Entities(client);
  const mismatches: Mismatch[] = [];
  let checked = 0;
  let matched = 0;
  const known = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page: StoredJournal[] = await store.list({ limit: 500, ...(after === undefined ? {} : { after }) });
    if (page.length === 0) break;
    after = page.at(-1)?.key;
    for (const stored of page) {
      known.add(stored.marker);
      checked++;
      const problem = await compare(stored, entities, target);
      if (problem === undefined) matched++;
      else mismatches.push({ key: stored.key, problem });
    }
  }
  for await (const marked of target.marked(entities)) {
    if (!known.has(marked.marker))
      mismatches.push({
        key: marked.marker,
        problem: `F&O journal ${marked.batchNumber} (${marked.company}) carries a marker the store does not know`,
      });
  }
  return { checked, matched, mismatches };
}
