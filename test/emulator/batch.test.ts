import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { call, useEmulator } from "../helpers/emulator.js";

const env = useEmulator({ resetEachTest: true });

interface Op {
  method: string;
  url: string;
  body?: string;
  contentId?: string;
}

/** Writes a multipart/mixed $batch body the way F&O clients (and d365fo.integrations) do. */
function batchBody(items: Array<Op | Op[]>): { body: string; contentType: string } {
  const boundary = "batch_test";
  const parts = items.map((item, index) => {
    const operation = (op: Op) =>
      [
        "Content-Type: application/http",
        "Content-Transfer-Encoding: binary",
        ...(op.contentId ? [`Content-ID: ${op.contentId}`] : []),
        "",
        `${op.method} ${op.url} HTTP/1.1`,
        "Content-Type: application/json;odata.metadata=minimal;charset=UTF-8",
        "OData-Version: 4.0",
        "",
        op.body ?? "",
      ].join("\r\n");
    if (!Array.isArray(item)) return operation(item);
    const changeset = `changeset_${index}`;
    return [
      `Content-Type: multipart/mixed; boundary=${changeset}`,
      "",
      ...item.map((op) => `--${changeset}\r\n${operation(op)}`),
      `--${changeset}--`,
    ].join("\r\n");
  });
  return {
    body: `${parts.map((part) => `--${boundary}\r\n${part}`).join("\r\n")}\r\n--${boundary}--\r\n`,
    contentType: `multipart/mixed; boundary=${boundary}`,
  };
}

function sendBatch(items: Array<Op | Op[]>) {
  const { body, contentType } = batchBody(items);
  return call(env.emulator, "POST", "/data/$batch", {
    token: env.token,
    body,
    headers: { "content-type": contentType },
  });
}

/** Status codes per Content-ID from a batch answer, in order. */
function statuses(answer: string): Array<[string | undefined, number]> {
  return [
    ...answer.matchAll(
      /Content-Type: application\/http\r\nContent-Transfer-Encoding: binary\r\n(?:Content-ID: (\S+)\r\n)?\r\nHTTP\/1\.1 (\d{3})/g,
    ),
  ].map((match) => [match[1], Number(match[2])]);
}

const line = (batch: string, account: string, side: string, amount: string) =>
  `{"JournalBatchNumber":"${batch}","Voucher":"V1","TransDate":"2026-11-30T00:00:00Z","AccountDisplayValue":"${account}","${side}":${amount},"CurrencyCode":"USD"}`;

async function headers(count: number): Promise<string[]> {
  const numbers: string[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await call(env.emulator, "POST", "/data/LedgerJournalHeaders", {
      token: env.token,
      body: '{"JournalName":"GenJrn"}',
    });
    numbers.push(answer.json().JournalBatchNumber);
  }
  return numbers;
}

describe("$batch", () => {
  it("commits each changeset atomically: a failing changeset in the middle leaves no trace, the others commit", async () => {
    const [a, b, c] = (await headers(3)) as [string, string, string];
    const answer = await sendBatch([
      [
        {
          method: "POST",
          url: `${env.emulator.d365Url}/data/LedgerJournalLines`,
          body: line(a, "601100", "DebitAmount", "10.00"),
          contentId: "1",
        },
        {
          method: "POST",
          url: `${env.emulator.d365Url}/data/LedgerJournalLines`,
          body: line(a, "110110", "CreditAmount", "10.00"),
          contentId: "2",
        },
      ],
      [
        {
          method: "POST",
          url: "LedgerJournalLines",
          body: line(b, "601100", "DebitAmount", "20.00"),
          contentId: "3",
        },
        {
          method: "POST",
          url: "LedgerJournalLines",
          body: line(b, "999999", "CreditAmount", "20.00"),
          contentId: "4",
        },
      ],
      [
        {
          method: "POST",
          url: "/data/LedgerJournalLines",
          body: line(c, "601100", "DebitAmount", "30.00"),
          contentId: "5",
        },
        {
          method: "POST",
          url: "/data/LedgerJournalLines",
          body: line(c, "110110", "CreditAmount", "30.00"),
          contentId: "6",
        },
      ],
      { method: "GET", url: "LedgerJournalHeaders?$select=JournalBatchNumber" },
    ]);
    assert.equal(answer.status, 200, "the outer answer is 200 whatever happened inside");
    assert.match(String(answer.headers["content-type"]), /^multipart\/mixed; boundary=batchresponse_/);
    assert.deepEqual(statuses(answer.body), [
      ["1", 201],
      ["2", 201],
      ["4", 500],
      ["5", 201],
      ["6", 201],
      [undefined, 200],
    ]);
    assert.match(answer.body, /'999999' in field 'AccountDisplayValue' is not found/);
    const journals = await env.emulator.admin.journals();
    const count = (batch: string) =>
      journals.find((journal) => journal.JournalBatchNumber === batch)?.lines.length;
    assert.deepEqual([count(a), count(b), count(c)], [2, 0, 2]);
  });

  it("lets independent operations fail alone", async () => {
    const [a] = (await headers(1)) as [string];
    const answer = await sendBatch([
      { method: "POST", url: "LedgerJournalLines", body: line(a, "601100", "DebitAmount", "1.00") },
      { method: "POST", url: "LedgerJournalLines", body: line("NOPE", "601100", "DebitAmount", "1.00") },
      { method: "POST", url: "LedgerJournalLines", body: line(a, "110110", "CreditAmount", "1.00") },
    ]);
    assert.deepEqual(
      statuses(answer.body).map(([, status]) => status),
      [201, 500, 201],
    );
    assert.equal((await env.emulator.admin.journals())[0]?.lines.length, 2);
  });

  it("refuses more than 5,000 operations", async () => {
    const ops: Op[] = Array.from({ length: 5001 }, () => ({
      method: "POST",
      url: "LedgerJournalHeaders",
      body: '{"JournalName":"GenJrn"}',
    }));
    const answer = await sendBatch([ops]);
    assert.equal(answer.status, 400);
    assert.match(answer.json().error.message, /5001 operations; at most 5000/);
    assert.equal((await env.emulator.admin.journals()).length, 0);
  });

  it("refuses GET inside a changeset, and Content-ID references as not supported by the emulator", async () => {
    assert.equal((await sendBatch([[{ method: "GET", url: "LedgerJournalHeaders" }]])).status, 400);
    const reference = await sendBatch([[{ method: "POST", url: "$1/Lines", body: "{}" }]]);
    assert.equal(reference.status, 501);
  });

  it("needs multipart/mixed with a boundary", async () => {
    const answer = await call(env.emulator, "POST", "/data/$batch", { token: env.token, body: "{}" });
    assert.equal(answer.status, 400);
  });
});
