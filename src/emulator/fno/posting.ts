/**
 * The journal posting service: `POST /api/services/LedgerBridgeServices/JournalPostingService/post`
 * with `{ "dataAreaId", "journalBatchNumber" }`. It stands in for the custom X++ service a customer
 * builds around the standard posting class (contract: docs/posting-service.md): it checks every
 * voucher's balance and date, the fiscal period and blocked accounts, writes the posted ledger with
 * final voucher numbers and marks the journal posted — all or nothing.
 */
import Big from "big.js";
import { groupBy } from "../../common/collections.js";
import type { EmulatorContext } from "../context.js";
import type { Row } from "../state/model.js";
import { isDecimal, type Transaction } from "../state/store.js";
import { findAccount, postingAccount, postingTypeOf } from "./accounts.js";
import type { InfologLine } from "./errors.js";
import type { Journals } from "./journals.js";
import { type LedgerEntry, type PostedVoucherEntry, writePostedLedger } from "./ledger.js";

export const POSTING_SERVICE_PATH = "/api/services/LedgerBridgeServices/JournalPostingService/post";
export const POSTING_SERVICE = "JournalPostingService";

export interface PostedVoucher {
  readonly Voucher: string;
  readonly PostedVoucher: string;
  readonly TransDate: string;
}

export type PostingOutcome =
  | { readonly ok: true; readonly vouchers: PostedVoucher[] }
  | { readonly ok: false; readonly infolog: InfologLine[]; readonly notFound?: boolean };

const ZERO = new Big(0);
const HUNDRED = new Big(100);

/** A line's account and, when it has one, its offset account: [type, display value]. */
function sidesOf(line: Row): Array<[string, string]> {
  const sides: Array<[string, string]> = [
    [String(line.AccountType ?? "Ledger"), String(line.AccountDisplayValue ?? "")],
  ];
  if (line.OffsetAccountDisplayValue)
    sides.push([String(line.OffsetAccountType ?? "Ledger"), String(line.OffsetAccountDisplayValue)]);
  return sides;
}
const amount = (value: Row[string] | undefined) => (isDecimal(value) ? value : ZERO);
const dateOf = (value: Row[string] | undefined) => String(value ?? "").slice(0, 10);

export class PostingService {
  constructor(
    private readonly context: EmulatorContext,
    private readonly journals: Journals,
  ) {}

  post(company: string, journalBatchNumber: string, tx: Transaction): PostingOutcome {
    const state = this.context.state;
    const header = this.journals.header(company, journalBatchNumber);
    if (header === undefined) {
      return {
        ok: false,
        notFound: true,
        infolog: [
          { level: "Error", text: `Journal ${journalBatchNumber} does not exist in company ${company}.` },
        ],
      };
    }
    if (header.IsPosted === "Yes") {
      return {
        ok: false,
        infolog: [{ level: "Error", text: `Journal ${header.JournalBatchNumber} has already been posted.` }],
      };
    }
    const lines = this.journals.linesOf(company, journalBatchNumber);
    if (lines.length === 0) {
      return {
        ok: false,
        infolog: [{ level: "Error", text: `Journal ${header.JournalBatchNumber} has no lines.` }],
      };
    }
    const problems: InfologLine[] = [];
    const vouchers = groupBy(lines, (line) => String(line.Voucher));
    const periods = state.data.fiscalPeriods[company] ?? [];
    const checkedDates = new Set<string>();
    const checkedAccounts = new Set<string>();
    for (const [voucher, voucherLines] of vouchers) {
      const dates = new Set(voucherLines.map((line) => dateOf(line.TransDate)));
      if (dates.size > 1)
        problems.push({ level: "Error", text: `Voucher ${voucher} has transactions on more than one date.` });
      const date = [...dates][0] ?? "";
      // Lines with an offset account balance themselves; the rest must net to zero.
      const open = voucherLines.filter((line) => !line.OffsetAccountDisplayValue);
      const currencies = new Set(open.map((line) => String(line.CurrencyCode)));
      const net = open.reduce((sum, line) => {
        const value = amount(line.DebitAmount).minus(amount(line.CreditAmount));
        // Several currencies: compare in the accounting currency at each line's rate (per 100 units).
        return sum.plus(currencies.size > 1 ? value.times(amount(line.ExchRate)).div(100).round(2) : value);
      }, ZERO);
      if (!net.eq(ZERO)) {
        problems.push({
          level: "Error",
          text: `The transactions on voucher ${voucher} do not balance as per ${date}. (accounting currency: ${net.toFixed(2)} - reporting currency: ${net.toFixed(2)})`,
        });
      }
      for (const day of dates) {
        if (checkedDates.has(day)) continue;
        checkedDates.add(day);
        const period = periods.find((candidate) => candidate.start <= day && day <= candidate.end);
        if (period === undefined)
          problems.push({ level: "Error", text: `No fiscal period is set up for ${day}.` });
        else if (period.status !== "Open") {
          problems.push({
            level: "Error",
            text: `The period for ${day} is ${period.status === "Closed" ? "closed" : "on hold"}; transactions cannot be posted in it.`,
          });
        }
      }
      for (const line of voucherLines) {
        for (const [type, account] of sidesOf(line)) {
          // Customers and vendors may have gone on hold, a bank account inactive, since the line was made.
          if (type !== "Ledger") {
            const found = findAccount(state, company, "Account", type, account);
            if (!found.ok && !checkedAccounts.has(`${type}:${account}`)) {
              checkedAccounts.add(`${type}:${account}`);
              problems.push({ level: "Error", text: found.problem });
            }
          }
          const mainAccount = postingAccount(state, company, type, account).split("-")[0] ?? "";
          if (mainAccount === "" || checkedAccounts.has(mainAccount)) continue;
          checkedAccounts.add(mainAccount);
          const row = state
            .table("MainAccounts")
            .get({ ChartOfAccounts: "Shared", MainAccountId: mainAccount });
          if (row?.IsSuspended === "Yes")
            problems.push({
              level: "Error",
              text: `Main account ${mainAccount} is suspended (blocked for posting).`,
            });
        }
      }
    }
    if (problems.length > 0) return { ok: false, infolog: problems };

    const sequence = state.data.voucherNumbers[company];
    if (sequence === undefined)
      return { ok: false, infolog: [{ level: "Error", text: `No voucher number sequence in ${company}.` }] };
    const accountingCurrency = String(
      state.table("Ledgers").get({ LegalEntityId: company })?.AccountingCurrency ?? "",
    );
    const posted: PostedVoucher[] = [];
    const ledgerVouchers: PostedVoucherEntry[] = [];
    for (const [voucher, voucherLines] of vouchers) {
      const final = state.draw(sequence, tx);
      const date = dateOf(voucherLines[0]?.TransDate);
      posted.push({ Voucher: voucher, PostedVoucher: final, TransDate: date });
      const entries: LedgerEntry[] = [];
      for (const line of voucherLines) {
        const signed = amount(line.DebitAmount).minus(amount(line.CreditAmount));
        const currency = String(line.CurrencyCode);
        // A line in another currency posts its accounting-currency value at the line's rate (per 100).
        const rate = currency === accountingCurrency || !isDecimal(line.ExchRate) ? HUNDRED : line.ExchRate;
        // Each side posts to its ledger account: a main account as given; a customer's or vendor's
        // summary account (posting profile); a bank account's main account (accounts.ts).
        sidesOf(line).forEach(([type, account], index) => {
          const value = index === 0 ? signed : signed.times(-1);
          entries.push({
            ledgerAccount: postingAccount(state, company, type, account),
            currency,
            amount: value,
            accountingAmount: value.times(rate).div(100).round(2),
            postingType: postingTypeOf(type),
            text: String(line.Text ?? ""),
          });
        });
      }
      ledgerVouchers.push({ voucher: final, date, entries });
    }
    writePostedLedger(state, company, String(header.JournalBatchNumber), ledgerVouchers, tx);
    state
      .table("LedgerJournalHeaders")
      .update(header, { IsPosted: "Yes", $version: Number(header.$version ?? 1) + 1 }, tx);
    return { ok: true, vouchers: posted };
  }
}
