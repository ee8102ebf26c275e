/**
 * General journal business rules, as F&O's LedgerJournalHeader and LedgerJournalLine entities apply
 * them on create, update and delete: header numbers from a number sequence per company; lines need an
 * existing, unposted header; line numbers assigned when absent; journal name, currency and accounts
 * must exist and accounts must allow manual entry. Creation accepts unbalanced vouchers: posting
 * refuses them (posting.ts).
 */
import Big from "big.js";
import type { EmulatorContext } from "../context.js";
import type { EmuResponse } from "../http.js";
import type { Row } from "../state/model.js";
import { isDecimal, type Transaction } from "../state/store.js";
import { findAccount } from "./accounts.js";
import { dimensionProblems } from "./dimensions.js";
import { FnoErrors, type InfologLine } from "./errors.js";
import { canUseJournalName, type Principal } from "./security.js";

export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly response: EmuResponse };

const error = (text: string): InfologLine => ({ level: "Error", text });

const HEADER = "LedgerJournalHeaderEntity";
const LINE = "LedgerJournalLineEntity";

export function lower(value: Row[string] | undefined): string {
  return typeof value === "string" ? value.toLowerCase() : "";
}

export class Journals {
  constructor(private readonly context: EmulatorContext) {}

  private get state() {
    return this.context.state;
  }

  /** F&O answers a business-rule refusal with 500, or 400 (both are seen): the setting chooses. */
  private failureStatus(): 400 | 500 {
    return this.context.state.config.writeFailureStatus ?? 500;
  }

  private fail(entity: string, ...lines: InfologLine[]): Outcome<never> {
    return { ok: false, response: FnoErrors.writeFailed(entity, this.failureStatus(), lines) };
  }

  company(principal: Principal, row: Row): string {
    return lower(row.dataAreaId) || principal.user.defaultCompany;
  }

  header(company: string, journalBatchNumber: string): Row | undefined {
    return this.state
      .table("LedgerJournalHeaders")
      .get({ dataAreaId: company, JournalBatchNumber: journalBatchNumber });
  }

  linesOf(company: string, journalBatchNumber: string): Row[] {
    return this.state
      .table("LedgerJournalLines")
      .group({ dataAreaId: company, JournalBatchNumber: journalBatchNumber });
  }

  /** Header fields F&O computes: the journal totals. */
  withTotals(header: Row): Row {
    let debit = new Big(0);
    let credit = new Big(0);
    for (const line of this.linesOf(lower(header.dataAreaId), String(header.JournalBatchNumber))) {
      if (isDecimal(line.DebitAmount)) debit = debit.plus(line.DebitAmount);
      if (isDecimal(line.CreditAmount)) credit = credit.plus(line.CreditAmount);
    }
    return { ...header, JournalTotalDebit: debit, JournalTotalCredit: credit };
  }

  createHeader(principal: Principal, input: Row, tx: Transaction): Outcome<Row> {
    const company = this.company(principal, input);
    if (this.state.table("LegalEntities").get({ LegalEntityId: company }) === undefined) {
      return this.fail(HEADER, error(`Company ${company} does not exist.`));
    }
    const name = typeof input.JournalName === "string" ? input.JournalName : "";
    if (name === "") return this.fail(HEADER, error("Field 'Name' must be filled in."));
    const journalName = this.state.table("JournalNames").get({ dataAreaId: company, Name: name });
    if (journalName === undefined) {
      return this.fail(
        HEADER,
        error(`The value '${name}' in field 'Name' is not found in the relating table 'Journal names'.`),
      );
    }
    if (!canUseJournalName(principal, name)) {
      return this.fail(HEADER, error(`You are not authorized to use journal name '${name}'.`));
    }
    const sequence = this.state.data.journalNumbers[company];
    if (sequence === undefined)
      return this.fail(
        HEADER,
        error(`No number sequence is set up for journal batch numbers in ${company}.`),
      );
    let number: string;
    if (typeof input.JournalBatchNumber === "string" && input.JournalBatchNumber !== "") {
      if (!sequence.allowManual) {
        return this.fail(
          HEADER,
          error(
            "The number sequence for journal batch numbers does not allow manual numbers; leave JournalBatchNumber empty.",
          ),
        );
      }
      number = input.JournalBatchNumber;
      if (this.header(company, number) !== undefined) {
        return this.fail(
          HEADER,
          error(
            `Cannot create a record in Journal (LedgerJournalTable). Journal batch number: ${number}. The record already exists.`,
          ),
        );
      }
    } else {
      number = this.state.draw(sequence, tx);
    }
    const row: Row = {
      dataAreaId: company,
      JournalBatchNumber: number,
      JournalName: journalName.Name ?? name,
      Description:
        typeof input.Description === "string" && input.Description !== ""
          ? input.Description
          : (journalName.Description ?? ""),
      PostingLayer: "Current",
      IsPosted: "No",
      $recId: this.state.nextRecId(tx),
      $version: 1,
    };
    this.state.table("LedgerJournalHeaders").insert(row, tx);
    return { ok: true, value: row };
  }

  /** Header changes F&O allows on an unposted journal: the description. */
  updateHeader(header: Row, input: Row, tx: Transaction): Outcome<Row> {
    if (header.IsPosted === "Yes")
      return this.fail(
        HEADER,
        error(`Journal ${header.JournalBatchNumber} is posted and cannot be changed.`),
      );
    for (const name of Object.keys(input)) {
      if (
        name !== "Description" &&
        input[name] !== header[name] &&
        !(name === "dataAreaId" && lower(input[name]) === lower(header[name]))
      ) {
        return this.fail(HEADER, error(`Field '${name}' cannot be changed on an existing journal.`));
      }
    }
    this.state
      .table("LedgerJournalHeaders")
      .update(header, { ...input, $version: Number(header.$version ?? 1) + 1 }, tx);
    return { ok: true, value: header };
  }

  deleteHeader(header: Row, tx: Transaction): Outcome<null> {
    if (header.IsPosted === "Yes") {
      return {
        ok: false,
        response: FnoErrors.deleteFailed(HEADER, this.failureStatus(), [
          error(`Journal ${header.JournalBatchNumber} is posted and cannot be deleted.`),
        ]),
      };
    }
    const lines = this.state.table("LedgerJournalLines");
    for (const line of this.linesOf(lower(header.dataAreaId), String(header.JournalBatchNumber)))
      lines.delete(line, tx);
    this.state.table("LedgerJournalHeaders").delete(header, tx);
    return { ok: true, value: null };
  }

  /** Checks a line's account as its type says (accounts.ts); returns the Infolog lines of what is wrong. */
  private checkAccount(
    company: string,
    field: string,
    type: Row[string] | undefined,
    account: Row[string] | undefined,
  ): InfologLine[] {
    if (typeof account !== "string" || account === "") return [error(`Field '${field}' must be filled in.`)];
    const kind = String(type ?? "Ledger");
    const found = findAccount(this.state, company, field, kind, account);
    if (!found.ok) return [error(found.problem)];
    if (kind !== "Ledger") return [];
    const [mainAccount, ...segments] = account.split("-");
    return dimensionProblems(this.state, mainAccount, segments, field).map((problem) => error(problem));
  }

  createLine(principal: Principal, input: Row, tx: Transaction): Outcome<Row> {
    const company = this.company(principal, input);
    const batch = typeof input.JournalBatchNumber === "string" ? input.JournalBatchNumber : "";
    const header = this.header(company, batch);
    if (header === undefined) {
      return this.fail(
        LINE,
        error(
          `Journal batch number '${batch}' does not exist in company ${company}; create the journal header first.`,
        ),
      );
    }
    if (header.IsPosted === "Yes")
      return this.fail(LINE, error(`Journal ${header.JournalBatchNumber} is posted; lines cannot be added.`));
    const unmodelled = unmodelledUse(company, input);
    if (unmodelled !== undefined) return { ok: false, response: FnoErrors.notSupported(unmodelled) };
    const problems: InfologLine[] = [];
    problems.push(
      ...this.checkAccount(company, "AccountDisplayValue", input.AccountType, input.AccountDisplayValue),
    );
    if (typeof input.OffsetAccountDisplayValue === "string" && input.OffsetAccountDisplayValue !== "")
      problems.push(
        ...this.checkAccount(
          company,
          "OffsetAccountDisplayValue",
          input.OffsetAccountType,
          input.OffsetAccountDisplayValue,
        ),
      );
    // Each side's default dimensions are checked against its own main account's structure.
    for (const [field, type, account] of [
      ["DefaultDimensionDisplayValue", input.AccountType, input.AccountDisplayValue],
      ["OffsetDefaultDimensionDisplayValue", input.OffsetAccountType, input.OffsetAccountDisplayValue],
    ] as const) {
      const defaults = input[field];
      if (typeof defaults !== "string" || defaults === "") continue;
      const ledger = (type ?? "Ledger") === "Ledger" ? String(account ?? "") : "";
      for (const problem of dimensionProblems(
        this.state,
        ledger === "" ? undefined : ledger.split("-")[0],
        defaults.split("-"),
        field,
      ))
        problems.push(error(problem));
    }
    if (typeof input.TransDate !== "string") problems.push(error("Field 'Date' must be filled in."));
    if (typeof input.Voucher !== "string" || input.Voucher === "")
      problems.push(error("Field 'Voucher' must be filled in."));
    const currency = typeof input.CurrencyCode === "string" ? input.CurrencyCode : "";
    if (this.state.table("Currencies").get({ CurrencyCode: currency }) === undefined) {
      problems.push(
        error(`The value '${currency}' in field 'Currency' is not found in the relating table 'Currencies'.`),
      );
    }
    const lines = this.linesOf(company, batch);
    let lineNumber: Big.Big;
    if (isDecimal(input.LineNumber)) {
      lineNumber = input.LineNumber;
      if (lines.some((line) => isDecimal(line.LineNumber) && line.LineNumber.eq(lineNumber))) {
        problems.push(
          error(
            `Cannot create a record in Journal lines (LedgerJournalTrans). Line number: ${lineNumber.toFixed()}. The record already exists.`,
          ),
        );
      }
    } else {
      lineNumber = lines
        .reduce(
          (max, line) => (isDecimal(line.LineNumber) && line.LineNumber.gt(max) ? line.LineNumber : max),
          new Big(0),
        )
        .plus(1);
    }
    // The account's segments and the default dimensions may name the same wrong value: say it once.
    if (problems.length > 0)
      return this.fail(
        LINE,
        ...problems.filter(
          (problem, index) => problems.findIndex((each) => each.text === problem.text) === index,
        ),
      );
    const row: Row = {
      AccountType: "Ledger",
      OffsetAccountType: "Ledger",
      OffsetAccountDisplayValue: "",
      DebitAmount: new Big(0),
      CreditAmount: new Big(0),
      ExchRate: new Big(100),
      Text: "",
      DefaultDimensionDisplayValue: "",
      ...input,
      dataAreaId: company,
      JournalBatchNumber: header.JournalBatchNumber as string,
      LineNumber: lineNumber,
      CurrencyCode: currency.toUpperCase(),
      $recId: this.state.nextRecId(tx),
      $version: 1,
    };
    this.state.table("LedgerJournalLines").insert(row, tx);
    return { ok: true, value: row };
  }

  updateLine(line: Row, input: Row, tx: Transaction): Outcome<Row> {
    const header = this.header(lower(line.dataAreaId), String(line.JournalBatchNumber));
    if (header?.IsPosted === "Yes")
      return this.fail(LINE, error(`Journal ${line.JournalBatchNumber} is posted and cannot be changed.`));
    for (const key of ["dataAreaId", "JournalBatchNumber", "LineNumber"]) {
      const value = input[key];
      if (
        value !== undefined &&
        String(isDecimal(value) ? value.toFixed() : value).toLowerCase() !==
          String(isDecimal(line[key]) ? (line[key] as Big.Big).toFixed() : line[key]).toLowerCase()
      ) {
        return this.fail(LINE, error(`Field '${key}' cannot be changed on an existing line.`));
      }
    }
    this.state
      .table("LedgerJournalLines")
      .update(line, { ...input, $version: Number(line.$version ?? 1) + 1 }, tx);
    return { ok: true, value: line };
  }

  deleteLine(line: Row, tx: Transaction): Outcome<null> {
    const header = this.header(lower(line.dataAreaId), String(line.JournalBatchNumber));
    if (header?.IsPosted === "Yes") {
      return {
        ok: false,
        response: FnoErrors.deleteFailed(LINE, this.failureStatus(), [
          error(`Journal ${line.JournalBatchNumber} is posted and cannot be changed.`),
        ]),
      };
    }
    this.state.table("LedgerJournalLines").delete(line, tx);
    return { ok: true, value: null };
  }
}

/**
 * What a line may ask of F&O that the emulator does not model: sales tax, reversing entries and
 * intercompany lines. Refused as not supported (501) rather than posted without their effect.
 */
function unmodelledUse(company: string, input: Row): string | undefined {
  for (const field of ["SalesTaxGroup", "ItemSalesTaxGroup"])
    if (typeof input[field] === "string" && input[field] !== "")
      return `Sales tax (${field} on a journal line)`;
  if (input.ReverseEntry === "Yes") return "Reversing entries (ReverseEntry on a journal line)";
  for (const field of ["Company", "OffsetCompany"]) {
    const value = input[field];
    if (typeof value === "string" && value !== "" && lower(value) !== company)
      return `Intercompany journal lines (${field} ${value} in a journal of ${company})`;
  }
  return undefined;
}
