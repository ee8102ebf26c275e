import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createTarget } from "../../src/d365/targets/index.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { openStore } from "../../src/outbox/open.js";
import type { SqlOutboxStore } from "../../src/outbox/sql.js";
import { ApiStore } from "../../src/server/api-store.js";
import { buildApp } from "../../src/server/app.js";
import { clientFor } from "../helpers/client.js";
import { useEmulator } from "../helpers/emulator.js";

const journal = (key: string) => ({
  key,
  company: "usmf",
  journalName: "GenJrn",
  description: "x".repeat(60),
  lines: Array.from({ length: 20 }, (_, i) => ({
    voucher: `V${Math.floor(i / 2)}`,
    transDate: "2026-11-30",
    account: i % 2 === 0 ? "601100" : "110110",
    ...(i % 2 === 0 ? { debit: "10.00" } : { credit: "10.00" }),
    currency: "USD",
    text: "t".repeat(60),
  })),
});

describe("a full store (SQLite, PRAGMA max_page_count)", () => {
  const handle = useEmulator();

  it("answers 503 STORE_FULL with Retry-After, loses nothing acknowledged, and delivers all of it afterwards", async () => {
    const store = (await openStore(
      join(mkdtempSync(join(tmpdir(), "lb-full-")), "outbox.db"),
    )) as SqlOutboxStore;
    const apiStore = new ApiStore(store.database);
    const key = (await apiStore.createKey("submit", null, "submitter", Date.now())).key;
    const app = await buildApp({ store, apiStore, rateLimit: 10_000 });
    try {
      const [{ page_count: pages }] = (await store.database.query("PRAGMA page_count")) as [
        { page_count: number },
      ];
      await store.database.query(`PRAGMA max_page_count = ${Number(pages) + 60}`);
      const acknowledged: string[] = [];
      let full: { statusCode: number; headers: Record<string, unknown>; json(): any } | undefined;
      for (let i = 0; i < 500 && full === undefined; i++) {
        const answer = await app.inject({
          method: "POST",
          url: "/v1/journals",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          payload: JSON.stringify(journal(`full-${i}`)),
        });
        if (answer.statusCode === 202) acknowledged.push(`full-${i}`);
        else full = answer;
      }
      assert.ok(acknowledged.length > 0, "some journals fitted before the store was full");
      assert.equal(full?.statusCode, 503);
      assert.equal(full?.headers["retry-after"], "60");
      assert.equal(full?.json().error.code, "STORE_FULL");
      assert.match(full?.json().error.fix, /nothing of it was stored/);
      // Room again: every journal acknowledged before is there and is delivered.
      await store.database.query("PRAGMA max_page_count = 1073741823");
      const { client } = clientFor(handle.emulator);
      await new DeliveryEngine({
        store,
        client,
        target: createTarget({ kind: "ledger-journal" }),
      }).runUntilIdle();
      client.close();
      for (const each of acknowledged) assert.equal((await store.get(each))?.state, "lines_created", each);
      assert.equal(
        (await store.get(`full-${acknowledged.length}`)) === undefined,
        true,
        "the refused one was not stored",
      );
    } finally {
      await app.close();
      await store.close();
    }
  });
});
