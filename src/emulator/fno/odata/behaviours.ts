/**
 * What each entity set does beyond the generic OData service, one object per set: where its rows
 * come from when they are a view (the Entra applications list, fiscal periods, the flat entity), how
 * a stored row is shown (a header's totals), and which writes it takes and who checks them. A set
 * without an entry is a stored, read-only table; the service itself knows no set by name.
 */
import Big from "big.js";
import type { EmulatorContext } from "../../context.js";
import type { Row } from "../../state/model.js";
import { isDecimal, type Transaction } from "../../state/store.js";
import { type Journals, lower, type Outcome } from "../journals.js";
import { fiscalPeriodRows, ledgerFiscalPeriodRows } from "../ledger.js";
import type { Principal } from "../security.js";

export interface EntityBehaviour {
  /** The set's rows before company filtering and query options; default: its stored table. */
  rows?(): Row[];
  /** One row by key; default: the stored table's, or a scan of rows(). */
  find?(key: Row): Row | undefined;
  /** A row as the wire shows it (fields F&O computes on read). */
  present?(row: Row): Row;
  create?(principal: Principal, input: Row, tx: Transaction): Outcome<Row>;
  update?(row: Row, input: Row, tx: Transaction): Outcome<Row>;
  remove?(row: Row, tx: Transaction): Outcome<null>;
}

export function entityBehaviours(
  context: EmulatorContext,
  journals: Journals,
): Readonly<Record<string, EntityBehaviour>> {
  const data = () => context.state.data;
  const flat = flatEntity(context, journals);
  return {
    LedgerJournalHeaders: {
      present: (row) => journals.withTotals(row),
      create: (principal, input, tx) => journals.createHeader(principal, input, tx),
      update: (row, input, tx) => journals.updateHeader(row, input, tx),
      remove: (row, tx) => journals.deleteHeader(row, tx),
    },
    LedgerJournalLines: {
      create: (principal, input, tx) => journals.createLine(principal, input, tx),
      update: (row, input, tx) => journals.updateLine(row, input, tx),
      remove: (row, tx) => journals.deleteLine(row, tx),
    },
    GeneralJournalAccountEntry: flat,
    SysAADClients: {
      rows: () =>
        Object.values(data().fnoApps).map((app) => ({
          AADClientId: app.clientId,
          Name: app.name,
          UserId: app.userId,
        })),
    },
    FiscalPeriods: { rows: () => fiscalPeriodRows(data()) },
    LedgerFiscalPeriods: { rows: () => ledgerFiscalPeriodRows(data()) },
  };
}

/**
 * The original report's flat entity: each row is a journal line, shown with its header's name and
 * description; a row without a batch number starts a journal.
 */
function flatEntity(context: EmulatorContext, journals: Journals): EntityBehaviour {
  const present = (line: Row): Row => {
    const header = journals.header(lower(line.dataAreaId), String(line.JournalBatchNumber));
    return {
      dataAreaId: line.dataAreaId ?? null,
      JournalBatchNumber: line.JournalBatchNumber ?? null,
      LineNumber: line.LineNumber ?? null,
      JournalName: header?.JournalName ?? null,
      AccountType: line.AccountType ?? null,
      LedgerAccount: line.AccountDisplayValue ?? null,
      TransactionCurrencyCode: line.CurrencyCode ?? null,
      DebitAmount: line.DebitAmount ?? null,
      CreditAmount: line.CreditAmount ?? null,
      TransDate: line.TransDate ?? null,
      Voucher: line.Voucher ?? null,
      Text: line.Text ?? null,
      Description: header?.Description ?? null,
      $recId: line.$recId ?? null,
      $version: line.$version ?? null,
    };
  };
  const lines = () => context.state.table("LedgerJournalLines");
  return {
    rows: () => [...lines().rows.values()].map(present),
    find: (key) => {
      const line = lines().get(key);
      return line === undefined ? undefined : present(line);
    },
    create: (principal, input, tx) => {
      let batch = typeof input.JournalBatchNumber === "string" ? input.JournalBatchNumber : "";
      if (batch === "") {
        const header = journals.createHeader(
          principal,
          {
            dataAreaId: input.dataAreaId ?? null,
            JournalName: input.JournalName ?? null,
            ...(typeof input.Description === "string" ? { Description: input.Description } : {}),
          },
          tx,
        );
        if (!header.ok) return header;
        batch = String(header.value.JournalBatchNumber);
      }
      const line: Row = {
        dataAreaId: input.dataAreaId ?? null,
        JournalBatchNumber: batch,
        AccountType: input.AccountType ?? "Ledger",
        AccountDisplayValue: input.LedgerAccount ?? null,
        CurrencyCode: input.TransactionCurrencyCode ?? null,
        DebitAmount: input.DebitAmount ?? new Big(0),
        CreditAmount: input.CreditAmount ?? new Big(0),
        TransDate: input.TransDate ?? null,
        // The flat entity has no voucher of its own: the journal's lines share one.
        Voucher: typeof input.Voucher === "string" && input.Voucher !== "" ? input.Voucher : batch,
        Text: input.Text ?? "",
      };
      if (isDecimal(input.LineNumber)) line.LineNumber = input.LineNumber;
      const created = journals.createLine(principal, line, tx);
      return created.ok ? { ok: true, value: present(created.value) } : created;
    },
  };
}
