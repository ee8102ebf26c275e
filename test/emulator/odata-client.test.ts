/**
 * A third-party OData client, unchanged, against the emulator: @odata/client builds the URLs, the
 * filters, the composite keys and the multipart $batch, and parses the answers. Only its transport
 * is given the emulator's CA (its fetchProxy hook), as a user would for a private CA.
 */
import assert from "node:assert/strict";
import { Agent } from "node:https";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import { OData } from "@odata/client";
import type { RunningEmulator } from "../../src/emulator/index.js";
import { appToken, startTestEmulator } from "../helpers/emulator.js";

const require = createRequire(import.meta.url);
const fetch = require("node-fetch") as (url: string, init: Record<string, unknown>) => Promise<any>;

let emulator: RunningEmulator;
let client: ReturnType<typeof OData.New4>;

before(async () => {
  emulator = await startTestEmulator();
  const token = await appToken(emulator);
  const agent = new Agent({ ca: emulator.caCertPem });
  client = OData.New4({
    serviceEndpoint: `${emulator.d365Url}/data/`,
    commonHeaders: { Authorization: `Bearer ${token}` },
    // The library's own default proxy, with an agent that trusts the emulator's CA.
    fetchProxy: async (url, init) => {
      const response = await fetch(url, { ...init, agent });
      const text = await response.text();
      const content = /^application\/json/.test(response.headers.get("content-type") ?? "")
        ? JSON.parse(text)
        : text;
      return { content, response };
    },
  });
});
after(() => emulator.close());

describe("@odata/client against the emulator", () => {
  it("creates a journal, reads it back by its composite key, and queries with $filter, $top and $count", async () => {
    const headers = client.getEntitySet<any>("LedgerJournalHeaders");
    const created = await headers.create({ JournalName: "GenJrn", Description: "odata-client journal" });
    assert.match(created.JournalBatchNumber, /^\S+$/);
    const read = await headers.retrieve({
      dataAreaId: "usmf",
      JournalBatchNumber: created.JournalBatchNumber,
    });
    assert.equal(read.Description, "odata-client journal");
    assert.equal(read.PostingLayer, "Current");
    const filtered = await headers.query(
      client.newParam().filter(client.newFilter().property("Description").eq("odata-client journal")).top(5),
    );
    assert.deepEqual(
      filtered.map((row) => row.JournalBatchNumber),
      [created.JournalBatchNumber],
    );
    assert.ok((await headers.count()) >= 1);
  });

  it("sends a multipart $batch and reads each part's own status", async () => {
    const headers = client.getEntitySet<any>("LedgerJournalHeaders");
    const { JournalBatchNumber: batch } = await headers.create({
      JournalName: "GenJrn",
      Description: "batched",
    });
    const line = (account: string, side: "DebitAmount" | "CreditAmount") => ({
      JournalBatchNumber: batch,
      AccountType: "Ledger",
      AccountDisplayValue: account,
      [side]: 42.5,
      CurrencyCode: "USD",
      TransDate: "2026-11-02T12:00:00Z",
      Voucher: "V1",
    });
    const answers = await client.execBatchRequests([
      client.newBatchRequest({
        collection: "LedgerJournalLines",
        method: "POST",
        entity: line("601100", "DebitAmount"),
      }),
      client.newBatchRequest({
        collection: "LedgerJournalLines",
        method: "POST",
        entity: line("110110", "CreditAmount"),
      }),
      client.newBatchRequest({
        collection: "LedgerJournalLines",
        method: "POST",
        entity: line("999999", "DebitAmount"),
      }),
      client.newBatchRequest({ collection: "MainAccounts", params: client.newParam().top(1) }),
    ]);
    assert.equal(answers.length, 4);
    const statuses = answers.map((answer: any) => answer.status);
    assert.deepEqual(statuses, [201, 201, statuses[2], 200]);
    assert.ok(statuses[2] === 400 || statuses[2] === 500, `a refused line is 400 or 500, got ${statuses[2]}`);
    const refused = await answers[2]?.json();
    assert.match(JSON.stringify(refused), /999999/);
    const accounts = await answers[3]?.json();
    assert.equal(accounts?.value?.length, 1);
    const journal = (await emulator.admin.journals()).find((each) => each.JournalBatchNumber === batch);
    assert.equal(journal?.lines.length, 2, "the two good lines were written; the refused one was not");
  });
});
