/**
 * `reconcile`: compares the outbox with F&O journal by journal — the journal found by its marker, the
 * JournalBatchNumber, the lines and their amounts, the posting and its vouchers — and lists every
 * journal that carries a ledger-bridge marker in F&O but is unknown to the store. Read in bulk (see
 * reconcileStore), so a store of 50,000 journals takes some hundred requests, not 100,000.
 */
import Big from "big.js";
import { isBridgeError } from "../core/errors/bridge-error.js";
import type { Journal } from "../core/journal.js";
import type { D365Client } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import type { PostedVoucher } from "../d365/posting.js";
import type { JournalTarget } from "../d365/targets/index.js";
import { onlyOne } from "../d365/targets/shared.js";
import type { LinesInFno, MarkedJournal } from "../d365/targets/target.js";
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

/**
 * A stored journal F&O holds, whose lines (and vouchers) are compared once they are read in bulk:
 * what the comparison needs of it, without its payload (a million of these stay small).
 */
interface Pending {
  readonly key: string;
  readonly batchNumber: string;
  readonly post: boolean;
  readonly lines: number;
  readonly debit: Big.Big;
  readonly credit: Big.Big;
  readonly vouchers: readonly string[];
}

async function pendingOf(stored: StoredJournal, batchNumber: string): Promise<Pending> {
  const journal = await fromPayload(stored.payload);
  return {
    key: stored.key,
    batchNumber,
    post: stored.post,
    lines: journal.lines.length,
    ...totals(journal),
    vouchers: (stored.vouchers ?? []).map((voucher) => voucher.postedVoucher),
  };
}

/**
 * What is wrong with a stored journal given the F&O journals carrying its marker, or undefined when
 * nothing is; the F&O journal's number when its lines (and vouchers) must decide.
 */
function byMarker(
  stored: StoredJournal,
  found: readonly MarkedJournal[],
): string | undefined | { batchNumber: string } {
  const delivered = isDelivered(stored.state, stored.post);
  let one: { batchNumber: string } | undefined;
  try {
    one = onlyOne(
      found.filter((journal) => journal.company.toLowerCase() === stored.company.toLowerCase()),
      stored.key,
    );
  } catch (error) {
    if (isBridgeError(error) && error.code === "DELIVERY_MARKER_AMBIGUOUS") return error.message;
    throw error;
  }
  if (one === undefined)
    return delivered || stored.journalBatchNumber !== null
      ? `the store says ${stored.state} (${stored.journalBatchNumber ?? "no number"}), F&O has no such journal`
      : undefined;
  if (!delivered) return `F&O has journal ${one.batchNumber} for it, the store says ${stored.state}`;
  if (one.batchNumber !== stored.journalBatchNumber)
    return `the store records ${stored.journalBatchNumber}, F&O has ${one.batchNumber}`;
  return { batchNumber: one.batchNumber };
}

/** What is wrong with a delivered journal's lines and vouchers, or undefined when they agree. */
function byContent(
  pending: Pending,
  lines: LinesInFno | undefined,
  posted: PostedVoucher[] | undefined,
): string | undefined {
  const count = lines?.count ?? 0;
  if (count !== pending.lines) return `${count} lines in F&O, ${pending.lines} in the source`;
  if (lines !== undefined && (!lines.debit.eq(pending.debit) || !lines.credit.eq(pending.credit)))
    return `amounts differ: F&O debit ${lines.debit.toFixed()} credit ${lines.credit.toFixed()}, source debit ${pending.debit.toFixed()} credit ${pending.credit.toFixed()}`;
  if (!pending.post) return undefined;
  if (posted === undefined) return "the store says posted, F&O says not posted";
  const inLedger = new Set(posted.map((voucher) => voucher.postedVoucher));
  const recorded = new Set(pending.vouchers);
  if (inLedger.size !== recorded.size || [...recorded].some((voucher) => !inLedger.has(voucher)))
    return `vouchers differ: store ${[...recorded].join(" ")}, ledger ${[...inLedger].join(" ")}`;
  return undefined;
}

/** Journals read per page of the store, and compared per range of batch numbers. */
const PAGE = 1000;

/**
 * Compares in bulk: F&O's marked journals read once (paged) and the store a page of 1,000 at a time;
 * then, per company, the journals F&O holds in runs of 1,000 consecutive batch numbers, each run
 * with one range query for the lines and two for the vouchers — not one or two requests per journal.
 * (Runs by batch number, not by store page: a page's keys are scattered over all the numbers, and a
 * range over them would read every line.)
 */
export async function reconcileStore(
  store: OutboxStore,
  client: D365Client,
  target: JournalTarget,
): Promise<ReconcileReport> {
  await target.prepare(client);
  const entities = new Entities(client);
  const inFno = new Map<string, MarkedJournal[]>();
  for await (const marked of target.marked(entities)) {
    const list = inFno.get(marked.marker);
    if (list === undefined) inFno.set(marked.marker, [marked]);
    else list.push(marked);
  }
  const mismatches: Mismatch[] = [];
  let checked = 0;
  let matched = 0;
  const known = new Set<string>();
  let after: string | undefined;
  const pending = new Map<string, Pending[]>();
  for (;;) {
    const page: StoredJournal[] = await store.list({
      limit: PAGE,
      ...(after === undefined ? {} : { after }),
    });
    if (page.length === 0) break;
    after = page.at(-1)?.key;
    for (const stored of page) {
      known.add(stored.marker);
      checked++;
      const verdict = byMarker(stored, inFno.get(stored.marker) ?? []);
      if (verdict === undefined) matched++;
      else if (typeof verdict === "string") mismatches.push({ key: stored.key, problem: verdict });
      else {
        const list = pending.get(stored.company) ?? [];
        list.push(await pendingOf(stored, verdict.batchNumber));
        pending.set(stored.company, list);
      }
    }
  }
  for (const [company, journals] of pending) {
    journals.sort((a, b) => (a.batchNumber < b.batchNumber ? -1 : a.batchNumber > b.batchNumber ? 1 : 0));
    for (let from = 0; from < journals.length; from += PAGE) {
      const run = journals.slice(from, from + PAGE);
      const lines = await target.linesOfMany(
        entities,
        company,
        run.map((journal) => journal.batchNumber),
      );
      const vouchers = await target.postedVouchersOfMany(
        entities,
        company,
        run.filter((journal) => journal.post).map((journal) => journal.batchNumber),
      );
      for (const journal of run) {
        const problem = byContent(journal, lines.get(journal.batchNumber), vouchers.get(journal.batchNumber));
        if (problem === undefined) matched++;
        else mismatches.push({ key: journal.key, problem });
      }
    }
  }
  for (const [marker, journals] of inFno) {
    if (known.has(marker)) continue;
    for (const marked of journals)
      mismatches.push({
        key: marked.marker,
        problem: `F&O journal ${marked.batchNumber} (${marked.company}) carries a marker the store does not know`,
      });
  }
  return { checked, matched, mismatches };
}
