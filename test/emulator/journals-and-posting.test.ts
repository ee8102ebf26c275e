import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { call, useEmulator } from "../helpers/emulator.js";

const env = useEmulator({ resetEachTest: true });

const post = (path: string, body: string) => call(env.emulator, "POST", path, { token: env.token, body });
const header = async (description = "test", journalName = "GenJrn") => {
  const answer = await post(
    "/data/LedgerJournalHeaders",
    JSON.stringify({ JournalName: journalName, Description: description }),
  );
  assert.equal(answer.status, 201, answer.body);
  return answer.json().JournalBatchNumber as string;
};
/** A line as raw JSON, so amounts go on the wire with exactly the digits given. */
const line = (
  batch: string,
  voucher: string,
  account: string,
  side: "DebitAmount" | "CreditAmount",
  amount: string,
  date = "2026-11-30",
  currency = "USD",
) =>
  `{"JournalBatchNumber":"${batch}","Voucher":"${voucher}","TransDate":"${date}T00:00:00Z","AccountType":"Ledger","AccountDisplayValue":"${account}","${side}":${amount},"CurrencyCode":"${currency}"}`;
const postJournal = (batch: string, company = "usmf") =>
  post(
    "/api/services/LedgerBridgeServices/JournalPostingService/post",
    JSON.stringify({ dataAreaId: company, journalBatchNumber: batch }),
  );

describe("journal headers and lines", () => {
  it("numbers headers from the company's number sequence and defaults the description", async () => {
    const first = await header();
    const second = await post("/data/LedgerJournalHeaders", JSON.stringify({ JournalName: "Payroll" }));
    assert.equal(first, "USMF-000001");
    assert.equal(second.json().JournalBatchNumber, "USMF-000002");
    assert.equal(second.json().Description, "Payroll journal");
    assert.equal(second.json().IsPosted, "No");
    assert.match(String(second.headers.location), /\/data\/LedgerJournalHeaders\(/);
  });

  it("refuses a manual batch number when the number sequence does not allow it", async () => {
    const answer = await post(
      "/data/LedgerJournalHeaders",
      JSON.stringify({ JournalName: "GenJrn", JournalBatchNumber: "MINE-1" }),
    );
    assert.equal(answer.status, 500);
    assert.match(answer.json().error.innererror.message, /does not allow manual numbers/);
  });

  it("answers business-rule failures as F&O does: 500, empty code, the Infolog in innererror", async () => {
    const answer = await post("/data/LedgerJournalHeaders", JSON.stringify({ JournalName: "NoSuchName" }));
    assert.equal(answer.status, 500);
    const error = answer.json().error;
    assert.equal(error.code, "");
    assert.equal(error.message, "An error has occurred.");
    assert.equal(
      error.innererror.type,
      "Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataWriteException",
    );
    assert.match(
      error.innererror.message,
      /^Write failed for table row of type 'LedgerJournalHeaderEntity'\. Infolog: Error: The value 'NoSuchName' in field 'Name' is not found/,
    );
  });

  it("needs an existing unposted header for lines, and assigns line numbers", async () => {
    const missing = await post(
      "/data/LedgerJournalLines",
      line("USMF-999999", "V1", "601100", "DebitAmount", "1.00"),
    );
    assert.equal(missing.status, 500);
    assert.match(missing.json().error.innererror.message, /does not exist/);
    const batch = await header();
    const one = await post(
      "/data/LedgerJournalLines",
      line(batch, "V1", "601100-001-022", "DebitAmount", "1.00"),
    );
    const two = await post("/data/LedgerJournalLines", line(batch, "V1", "110110", "CreditAmount", "1.00"));
    assert.equal(one.json().LineNumber, 1);
    assert.equal(two.json().LineNumber, 2);
  });

  it("accepts an unbalanced voucher on creation (posting refuses it)", async () => {
    const batch = await header();
    assert.equal(
      (await post("/data/LedgerJournalLines", line(batch, "V1", "601100", "DebitAmount", "100.00"))).status,
      201,
    );
    const posting = await postJournal(batch);
    assert.equal(posting.status, 500);
    assert.match(posting.json().Message, /The transactions on voucher V1 do not balance as per 2026-11-30/);
  });

  it("refuses unknown accounts, accounts without manual entry, unknown currencies — all in one Infolog", async () => {
    const batch = await header();
    const answer = await post(
      "/data/LedgerJournalLines",
      `{"JournalBatchNumber":"${batch}","Voucher":"V1","TransDate":"2026-11-30T00:00:00Z","AccountDisplayValue":"130700","DebitAmount":1,"CurrencyCode":"XXX"}`,
    );
    const message = answer.json().error.innererror.message;
    assert.match(message, /Main account 130700 does not allow manual entry/);
    assert.match(message, /'XXX' in field 'Currency'/);
    const unknown = await post("/data/LedgerJournalLines", line(batch, "V1", "999000", "DebitAmount", "1"));
    assert.match(
      unknown.json().error.innererror.message,
      /'999000' in field 'AccountDisplayValue' is not found/,
    );
  });

  it("keeps amounts exact: 999999999999999.98 stays a cent below 999999999999999.99", async () => {
    const batch = await header();
    await post("/data/LedgerJournalLines", line(batch, "V1", "601100", "DebitAmount", "999999999999999.98"));
    await post("/data/LedgerJournalLines", line(batch, "V1", "110110", "CreditAmount", "999999999999999.99"));
    const rows = await call(
      env.emulator,
      "GET",
      `/data/LedgerJournalLines?$filter=${encodeURIComponent(`JournalBatchNumber eq '${batch}'`)}`,
      { token: env.token },
    );
    assert.match(rows.body, /"DebitAmount":999999999999999\.98/);
    assert.match(rows.body, /"CreditAmount":999999999999999\.99/);
    const strings = await call(
      env.emulator,
      "GET",
      `/data/LedgerJournalLines?$filter=${encodeURIComponent(`JournalBatchNumber eq '${batch}'`)}`,
      {
        token: env.token,
        headers: { accept: "application/json;IEEE754Compatible=true" },
      },
    );
    assert.equal(strings.json().value[0].DebitAmount, "999999999999999.98");
    const posting = await postJournal(batch);
    assert.match(posting.json().Message, /do not balance/);
  });

  it("updates and deletes unposted journals with 204, and refuses both once posted", async () => {
    const batch = await header("before");
    const key = `/data/LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='${batch}')`;
    assert.equal(
      (
        await call(env.emulator, "PATCH", key, {
          token: env.token,
          body: JSON.stringify({ Description: "after" }),
        })
      ).status,
      204,
    );
    assert.equal((await call(env.emulator, "GET", key, { token: env.token })).json().Description, "after");
    await post("/data/LedgerJournalLines", line(batch, "V1", "601100", "DebitAmount", "5.00"));
    await post("/data/LedgerJournalLines", line(batch, "V1", "110110", "CreditAmount", "5.00"));
    assert.equal((await postJournal(batch)).status, 200);
    assert.equal(
      (
        await call(env.emulator, "PATCH", key, {
          token: env.token,
          body: JSON.stringify({ Description: "late" }),
        })
      ).status,
      500,
    );
    assert.equal((await call(env.emulator, "DELETE", key, { token: env.token })).status, 500);
    const other = await header("to delete");
    const otherKey = `/data/LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='${other}')`;
    assert.equal((await call(env.emulator, "DELETE", otherKey, { token: env.token })).status, 204);
    assert.equal((await call(env.emulator, "GET", otherKey, { token: env.token })).status, 404);
  });

  it("refuses unknown properties (no mass assignment) and writes to read-only sets", async () => {
    const unknown = await post(
      "/data/LedgerJournalHeaders",
      JSON.stringify({ JournalName: "GenJrn", Status: "Posted" }),
    );
    assert.equal(unknown.status, 400);
    assert.match(unknown.json().error.message, /The property 'Status' does not exist/);
    const readOnly = await post("/data/GeneralJournalAccountEntryBiEntities", JSON.stringify({ Text: "X" }));
    assert.equal(readOnly.status, 405);
  });

  it("validates financial dimensions: values exist and are not suspended, and the account structure takes them", async () => {
    const batch = await header();
    const ok = await post(
      "/data/LedgerJournalLines",
      line(batch, "V1", "601100-001-022", "DebitAmount", "1"),
    );
    assert.equal(ok.status, 201, ok.body);
    const cases: Array<[string, RegExp, string?]> = [
      ["601100-001-099", /Value '099' for dimension 'Department' does not exist\./],
      [
        "110110-001-022",
        /Dimension 'Department' is not valid for main account 110110 in account structure 'Balance sheet'\./,
      ],
      ["601100-001-022-007-1", /has 4 dimension segments; the format for integrating applications has 3/],
      ["601100", /Value '024' for dimension 'Department' is suspended\./, "-024-"],
    ];
    for (const [account, message, defaults] of cases) {
      const body = line(batch, "V1", account, "DebitAmount", "1");
      const answer = await post(
        "/data/LedgerJournalLines",
        defaults === undefined ? body : body.replace(/}$/, `,"DefaultDimensionDisplayValue":"${defaults}"}`),
      );
      assert.ok([400, 500].includes(answer.status), `${account}: ${answer.status}`);
      assert.match(answer.body, message, account);
    }
  });

  it("takes a customer line; refuses a project line as F&O refuses an account it cannot find (not 501)", async () => {
    const batch = await header();
    const customer = await post(
      "/data/LedgerJournalLines",
      line(batch, "V1", "US-001", "DebitAmount", "1").replace('"Ledger"', '"Cust"'),
    );
    assert.equal(customer.status, 201, customer.body);
    const project = await post(
      "/data/LedgerJournalLines",
      line(batch, "V1", "PRJ-001", "DebitAmount", "1").replace('"Ledger"', '"Project"'),
    );
    assert.ok([400, 500].includes(project.status), `${project.status} ${project.body}`);
    assert.match(project.body, /not found in the relating table 'Projects'/);
  });
});

describe("the posting service", () => {
  async function balancedJournal(date = "2026-11-30", debitAccount = "601100-001-022") {
    const batch = await header();
    await post("/data/LedgerJournalLines", line(batch, "PR-1", debitAccount, "DebitAmount", "0.1", date));
    await post("/data/LedgerJournalLines", line(batch, "PR-1", "601200", "DebitAmount", "0.2", date));
    await post("/data/LedgerJournalLines", line(batch, "PR-1", "110110", "CreditAmount", "0.3", date));
    await post(
      "/data/LedgerJournalLines",
      `{"JournalBatchNumber":"${batch}","Voucher":"PR-2","TransDate":"${date}T00:00:00Z","AccountDisplayValue":"618500","OffsetAccountDisplayValue":"110110","DebitAmount":12.40,"CurrencyCode":"USD"}`,
    );
    return batch;
  }

  it("posts a balanced journal: final vouchers, the posted ledger, IsPosted", async () => {
    const batch = await balancedJournal();
    const answer = await postJournal(batch);
    assert.equal(answer.status, 200, answer.body);
    const result = answer.json();
    assert.deepEqual(
      result.Vouchers.map((v: any) => [v.Voucher, v.PostedVoucher, v.TransDate]),
      [
        ["PR-1", "USMF-V00000001", "2026-11-30"],
        ["PR-2", "USMF-V00000002", "2026-11-30"],
      ],
    );
    const ledger = await env.emulator.admin.ledger();
    assert.equal(ledger.length, 5, "three lines plus a line with an offset (two entries)");
    const sum = ledger.reduce(
      (total, entry) => total + Math.round(Number(entry.TransactionCurrencyAmount) * 100),
      0,
    );
    assert.equal(sum, 0);
    assert.deepEqual(
      ledger
        .filter((entry) => entry.Voucher === "USMF-V00000002")
        .map((entry) => [entry.LedgerAccount, entry.TransactionCurrencyAmount]),
      [
        ["618500", "12.4"],
        ["110110", "-12.4"],
      ],
    );
    const read = await call(
      env.emulator,
      "GET",
      `/data/LedgerJournalHeaders(dataAreaId='usmf',JournalBatchNumber='${batch}')`,
      { token: env.token },
    );
    assert.equal(read.json().IsPosted, "Yes");
    assert.equal(read.json().JournalTotalDebit, 12.7);
  });

  it("refuses to post a journal twice", async () => {
    const batch = await balancedJournal();
    assert.equal((await postJournal(batch)).status, 200);
    const again = await postJournal(batch);
    assert.equal(again.status, 500);
    assert.match(again.json().Message, /has already been posted/);
    assert.equal((await env.emulator.admin.ledger()).length, 5, "nothing posted twice");
  });

  it("refuses dates in a closed period and blocked accounts, naming each", async () => {
    const closed = await balancedJournal("2025-12-15");
    const answer = await postJournal(closed);
    assert.match(answer.json().Message, /The period for 2025-12-15 is closed/);
    const blocked = await balancedJournal("2026-11-30", "199999");
    assert.match((await postJournal(blocked)).json().Message, /Main account 199999 is suspended/);
    assert.equal((await env.emulator.admin.ledger()).length, 0);
  });

  it("needs the service privilege", async () => {
    await env.emulator.admin.call("PUT", "fno/roles/Accountant", {
      entities: { LedgerJournalHeaders: "write", LedgerJournalLines: "write" },
      journalNames: ["*"],
      services: [],
    });
    const batch = await balancedJournal();
    const answer = await postJournal(batch);
    assert.equal(answer.status, 403);
  });
});
