/**
 * A general journal as integrators send them: a vendor payment from the bank, a customer receipt into
 * it, a bank fee, a customer charge against revenue — Ledger, Cust, Vend and Bank lines and offsets —
 * delivered and posted through the real client into the emulator, and its effect on the posted ledger
 * checked account by account (customers and vendors post to their posting profile's summary account,
 * the bank to its main account). Accounts F&O would refuse (on hold, inactive, unknown, a type not
 * modelled) are refused as business rules, never as a 501 to retry.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Big from "big.js";
import type { Journal } from "../../src/core/journal.js";
import { createTarget } from "../../src/d365/targets/index.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { readJournalText } from "../../src/ingest/source.js";
import { openStore } from "../../src/outbox/open.js";
import { clientFor } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";

const HEADER =
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountType,AccountDisplayValue,OffsetAccountType,OffsetAccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode,Text";

async function journals(text: string): Promise<Journal[]> {
  const out: Journal[] = [];
  for await (const event of readJournalText("mixed.csv", `${HEADER}\n${text}\n`)) {
    assert.equal(event.kind === "journal" ? event.read.issues.length : 0, 0, JSON.stringify(event));
    if (event.kind === "journal" && event.read.journal) out.push(event.read.journal);
  }
  return out;
}

describe("journals beyond Ledger accounts: Cust, Vend and Bank lines and offsets", () => {
  let emulator: RunningEmulator;
  before(async () => {
    emulator = await startTestEmulator();
  });
  after(() => emulator.close());

  const deliver = async (batch: Journal[]) => {
    const store = await openStore(join(mkdtempSync(join(tmpdir(), "lb-types-")), "outbox.db"));
    const { client } = clientFor(emulator);
    try {
      await enqueueJournals(store, batch, { source: "mixed", post: true });
      await new DeliveryEngine({
        store,
        client,
        target: createTarget({ kind: "ledger-journal" }),
      }).runUntilIdle();
      return await Promise.all(batch.map(async (journal) => (await store.get(journal.key)) ?? null));
    } finally {
      client.close();
      await store.close();
    }
  };

  it("delivers and posts a mixed journal; the ledger moves the summary, bank and main accounts", async () => {
    const batch = await journals(
      [
        "mixed-1,usmf,GenJrn,V1,2026-11-30,Vend,US-101,Bank,USMF OPER,500.00,,USD,Vendor payment",
        "mixed-1,usmf,GenJrn,V2,2026-11-30,Bank,USMF OPER,Cust,US-001,300.00,,USD,Customer receipt",
        "mixed-1,usmf,GenJrn,V3,2026-11-30,Ledger,601100,Bank,USMF OPER,12.50,,USD,Bank fee",
        "mixed-1,usmf,GenJrn,V4,2026-11-30,Cust,US-002,,,100.00,,USD,Charge",
        "mixed-1,usmf,GenJrn,V4,2026-11-30,Ledger,401100,,,,100.00,USD,Charge",
      ].join("\n"),
    );
    const [stored] = await deliver(batch);
    assert.equal(stored?.state, "posted", `${stored?.lastErrorCode} ${stored?.lastError}`);
    const entries = (await emulator.admin.ledger()).filter(
      (entry) => entry.JournalNumber === stored?.journalBatchNumber,
    );
    const net = new Map<string, Big>();
    for (const entry of entries) {
      const account = String(entry.LedgerAccount);
      net.set(account, (net.get(account) ?? new Big(0)).plus(String(entry.TransactionCurrencyAmount)));
    }
    assert.deepEqual(Object.fromEntries([...net].map(([account, value]) => [account, value.toFixed(2)])), {
      "200110": "500.00", // the vendors' summary account: the payment debits payables
      "110110": "-212.50", // the bank: -500 + 300 - 12.50
      "130100": "-200.00", // the customers' summary account: -300 receipt + 100 charge
      "601100": "12.50",
      "401100": "-100.00",
    });
  });

  it("refuses, as F&O does, a customer on hold, an inactive bank account, an unknown vendor and a project line", async () => {
    const batch = await journals(
      [
        "hold-1,usmf,GenJrn,V1,2026-11-30,Cust,US-009,Ledger,401100,10.00,,USD,On hold",
        "inactive-1,usmf,GenJrn,V1,2026-11-30,Bank,USMF OLD,Ledger,601100,10.00,,USD,Inactive",
        "unknown-1,usmf,GenJrn,V1,2026-11-30,Vend,US-999,Ledger,601100,10.00,,USD,Unknown",
      ].join("\n"),
    );
    const stored = await deliver(batch);
    const infolog = stored.map((journal) => [journal?.state, journal?.lastErrorCode, journal?.lastError]);
    assert.deepEqual(
      infolog.map(([state, code]) => [state, code]),
      [
        ["dead", "D365_BUSINESS_RULE"],
        ["dead", "D365_BUSINESS_RULE"],
        ["dead", "D365_BUSINESS_RULE"],
      ],
    );
    assert.match(String(infolog[0]?.[2]), /Customer US-009 is on hold for all transactions/);
    assert.match(String(infolog[1]?.[2]), /Bank account USMF OLD is inactive/);
    assert.match(
      String(infolog[2]?.[2]),
      /'US-999' in field 'AccountDisplayValue' is not found in the relating table 'Vendors'/,
    );

    // A type ledger-bridge does not deliver, sent raw: refused as a business rule, not 501.
    const { client } = clientFor(emulator);
    try {
      const header = await client.request({
        method: "POST",
        path: "/data/LedgerJournalHeaders",
        body: { dataAreaId: "usmf", JournalName: "GenJrn", Description: "raw project line" },
      });
      const batchNumber = JSON.parse(header.body.toString("utf8")).JournalBatchNumber;
      await assert.rejects(
        client.request({
          method: "POST",
          path: "/data/LedgerJournalLines",
          body: {
            dataAreaId: "usmf",
            JournalBatchNumber: batchNumber,
            Voucher: "V1",
            TransDate: "2026-11-30T12:00:00Z",
            AccountType: "Project",
            AccountDisplayValue: "PRJ-001",
            DebitAmount: 1,
            CurrencyCode: "USD",
          },
        }),
        (error: { code?: string; message?: string }) =>
          error.code === "D365_BUSINESS_RULE" && /relating table 'Projects'/.test(String(error.message)),
      );
    } finally {
      client.close();
    }
  });
});
