/**
 * `reconcile`: compares the outbox with F&O journal by journal — the header found by its marker, the
 * JournalBatchNumber, the lines and their amounts, the posting and its vouchers — and lists every
 * journal that carries a ledger-bridge marker in F&O but is unknown to the store.
 */
import Big from "big.js";
import { JsonNumberText } from "../common/json.js";
import type { Journal } from "../core/journal.js";
import type { D365Client } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import { and, eq, startsWith } from "../d365/query.js";
import { isDelivered } from "../outbox/states.js";
import type { OutboxStore, StoredJournal } from "../outbox/store.js";
import { carriesMarker, fromPayload } from "./journal-record.js";

export interface Mismatch {
  readonly key: string;
  readonly problem: string;
}

export interface ReconcileReport {
  readonly checked: number;
  readonly matched: number;
  readonly mismatches: Mismatch[];
}

function decimal(value: unknown): Big.Big {
  return new Big(value instanceof JsonNumberText ? value.raw : String(value ?? "0"));
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

export async function reconcileStore(store: OutboxStore, client: D365Client): Promise<ReconcileReport> {
  const entities = new Entities(client);
  const mismatches: Mismatch[] = [];
  let checked = 0;
  const known = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page: StoredJournal[] = await store.list({ limit: 500, ...(after === undefined ? {} : { after }) });
    if (page.length === 0) break;
    after = page.at(-1)?.key;
    for (const stored of page) {
      known.add(stored.marker);
      checked++;
      const journal = await fromPayload(stored.payload);
      const headers = (
        await entities.queryAll("LedgerJournalHeaders", {
          filter: and(eq("dataAreaId", stored.company), startsWith("Description", stored.marker)),
          crossCompany: true,
        })
      ).filter((header) => carriesMarker(header.Description, stored.marker));
      const problem = (text: string) => mismatches.push({ key: stored.key, problem: text });
      const delivered = isDelivered(stored.state, stored.post);
      if (headers.length > 1) {
        problem(
          `${headers.length} headers carry its marker: ${headers.map((header) => String(header.JournalBatchNumber)).join(", ")}`,
        );
        continue;
      }
      const header = headers[0];
      if (header === undefined) {
        if (delivered || stored.journalBatchNumber !== null)
          problem(
            `the store says ${stored.state} (${stored.journalBatchNumber ?? "no number"}), F&O has no such journal`,
          );
        continue;
      }
      if (!delivered) {
        problem(
          `F&O has journal ${String(header.JournalBatchNumber)} for it, the store says ${stored.state}`,
        );
        continue;
      }
      if (String(header.JournalBatchNumber) !== stored.journalBatchNumber) {
        problem(
          `the store records ${stored.journalBatchNumber}, F&O has ${String(header.JournalBatchNumber)}`,
        );
        continue;
      }
      const lines = await entities.queryAll("LedgerJournalLines", {
        filter: and(
          eq("dataAreaId", stored.company),
          eq("JournalBatchNumber", String(header.JournalBatchNumber)),
        ),
        crossCompany: true,
      });
      const want = totals(journal);
      const debit = lines.reduce((sum, line) => sum.plus(decimal(line.DebitAmount)), new Big(0));
      const credit = lines.reduce((sum, line) => sum.plus(decimal(line.CreditAmount)), new Big(0));
      if (lines.length !== journal.lines.length)
        problem(`${lines.length} lines in F&O, ${journal.lines.length} in the source`);
      else if (!debit.eq(want.debit) || !credit.eq(want.credit)) {
        problem(
          `amounts differ: F&O debit ${debit.toFixed()} credit ${credit.toFixed()}, source debit ${want.debit.toFixed()} credit ${want.credit.toFixed()}`,
        );
      } else if (stored.post && header.IsPosted !== "Yes")
        problem("the store says posted, F&O says not posted");
      else if (stored.post) {
        const ledger = await entities.queryAll("GeneralJournalAccountEntries", {
          filter: and(
            eq("dataAreaId", stored.company),
            eq("JournalNumber", String(header.JournalBatchNumber)),
          ),
          select: ["Voucher"],
          crossCompany: true,
        });
        const inLedger = new Set(ledger.map((entry) => String(entry.Voucher)));
        const recorded = new Set((stored.vouchers ?? []).map((voucher) => voucher.postedVoucher));
        if (inLedger.size !== recorded.size || [...recorded].some((voucher) => !inLedger.has(voucher))) {
          problem(`vouchers differ: store ${[...recorded].join(" ")}, ledger ${[...inLedger].join(" ")}`);
        }
      }
    }
  }
  // Journals that carry a marker in F&O but that the store does not know.
  const marked = await entities.queryAll("LedgerJournalHeaders", {
    filter: startsWith("Description", "lb:"),
    select: ["JournalBatchNumber", "Description", "dataAreaId"],
    crossCompany: true,
  });
  for (const header of marked) {
    const marker = String(header.Description).split(" ")[0] ?? "";
    if (!known.has(marker))
      mismatches.push({
        key: marker,
        problem: `F&O journal ${String(header.JournalBatchNumber)} (${String(header.dataAreaId)}) carries a marker the store does not know`,
      });
  }
  const keysWithProblems = new Set(mismatches.map((mismatch) => mismatch.key));
  return {
    checked,
    matched: checked - [...keysWithProblems].filter((key) => !key.startsWith("lb:")).length,
    mismatches,
  };
}
