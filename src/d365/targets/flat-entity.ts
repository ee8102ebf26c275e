/**
 * A flat entity: one custom entity that takes header and line fields on every row, such as the
 * original report's `GeneralJournalAccountEntry` behind its gateway. A row without a batch number
 * starts a new journal (the first line); the other lines follow in one changeset with the number.
 *
 * Exactly once needs the marker in a field of the entity: every row carries it, and a journal is
 * found again by it. An entity without a field that can hold it is refused before delivery starts —
 * never a silent at-least-once.
 */
import { BridgeError } from "../../core/errors/bridge-error.js";
import type { AccountType, Journal, JournalLine } from "../../core/journal.js";
import type { BatchOperation } from "../batch.js";
import type { D365Client } from "../client.js";
import type { Entities } from "../entities.js";
import { entityInfo, type PropertyInfo } from "../metadata.js";
import { and, eq, startsWith } from "../query.js";
import { carriesMarker, MARKER_LENGTH, MARKER_PREFIX, markedText, markerFor, markerIn } from "./marker.js";
import {
  accountTypeProblems,
  batchNumberIn,
  dimensionDisplayValue,
  dimensionField,
  linesInRange,
  onlyOne,
  postedVouchers,
  postedVouchersInRange,
  summed,
  transDateTime,
  voucherOf,
} from "./shared.js";
import type {
  Compiled,
  FoundJournal,
  JournalTarget,
  LinesInFno,
  MarkedJournal,
  TargetProblem,
} from "./target.js";

export interface FlatEntityFieldMap {
  readonly company: string;
  readonly journalBatchNumber: string;
  readonly journalName: string;
  readonly accountType: string;
  readonly account: string;
  readonly currency: string;
  readonly debit: string;
  readonly credit: string;
  readonly transDate: string;
  readonly voucher?: string;
  readonly text?: string;
  /** The text field that carries the marker (default: the first of MARKER_CANDIDATES the entity has). */
  readonly marker?: string;
  readonly offsetAccountType?: string;
  readonly offsetAccount?: string;
  readonly exchangeRate?: string;
  /** A field for the default dimension display value. */
  readonly dimensions?: string;
}

/** The map's field names, for the config file's schema (the compiler holds them to the interface). */
export const FLAT_FIELD_NAMES = [
  "company",
  "journalBatchNumber",
  "journalName",
  "accountType",
  "account",
  "currency",
  "debit",
  "credit",
  "transDate",
  "voucher",
  "text",
  "marker",
  "offsetAccountType",
  "offsetAccount",
  "exchangeRate",
  "dimensions",
] as const satisfies readonly (keyof FlatEntityFieldMap)[];
/** True only while every field of the map is named above: a field added to the interface alone fails to compile. */
export const EVERY_FLAT_FIELD_NAMED: Exclude<
  keyof FlatEntityFieldMap,
  (typeof FLAT_FIELD_NAMES)[number]
> extends never
  ? true
  : never = true;

export interface FlatEntitySettings {
  readonly kind: "flat-entity";
  readonly entitySet: string;
  readonly fields: FlatEntityFieldMap;
  readonly dimensionFormat?: readonly string[];
  /** Account types the entity takes (default: Ledger, as the report's LedgerAccount field). */
  readonly accountTypes?: readonly AccountType[];
}

/** The original report's entity and field names. */
export const REPORT_FLAT_ENTITY: FlatEntitySettings = {
  kind: "flat-entity",
  entitySet: "GeneralJournalAccountEntry",
  fields: {
    company: "dataAreaId",
    journalBatchNumber: "JournalBatchNumber",
    journalName: "JournalName",
    accountType: "AccountType",
    account: "LedgerAccount",
    currency: "TransactionCurrencyCode",
    debit: "DebitAmount",
    credit: "CreditAmount",
    transDate: "TransDate",
    voucher: "Voucher",
  },
};

/** Text fields a custom journal entity usually has, in the order they are tried for the marker. */
export const MARKER_CANDIDATES = ["Description", "JournalDescription", "Text"] as const;
/** The hashed form of a long key's marker: a field shorter than this cannot take every key. */
const SHORTEST_MARKER = markerFor("x".repeat(MARKER_LENGTH)).length;

interface MarkerField {
  readonly name: string;
  /** Undefined: unbounded (or not yet read from $metadata). */
  readonly maxLength?: number;
}

export class FlatEntityTarget implements JournalTarget {
  readonly kind = "flat-entity";
  readonly entitySets: readonly string[];
  private markerField: MarkerField | undefined;

  constructor(private readonly settings: FlatEntitySettings) {
    this.entitySets = [settings.entitySet];
    const configured = settings.fields.marker;
    // Until $metadata is read, a configured marker field is taken at its word (length unknown).
    if (configured !== undefined) this.markerField = { name: configured };
  }

  private get fields(): FlatEntityFieldMap {
    return this.settings.fields;
  }

  async prepare(client: D365Client): Promise<void> {
    const info = await entityInfo(client, this.settings.entitySet);
    if (info === undefined) {
      throw new BridgeError(
        "CONFIG_INVALID",
        `target.entitySet: the environment's $metadata has no entity set '${this.settings.entitySet}' (names are case-sensitive).`,
      );
    }
    const missing = Object.entries(this.fields)
      .filter(([, name]) => name !== undefined && !info.properties.has(name))
      .map(([setting, name]) => `target.fields.${setting} = '${name}'`);
    if (missing.length > 0) {
      throw new BridgeError(
        "CONFIG_INVALID",
        `${info.entityType} (${this.settings.entitySet}) has no ${missing.length === 1 ? "property" : "properties"} ${missing.join(", ")}.`,
      );
    }
    const chosen: PropertyInfo | undefined =
      this.fields.marker !== undefined
        ? info.properties.get(this.fields.marker)
        : // The first candidate that can hold every marker; else the first String, to name it in the refusal.
          (MARKER_CANDIDATES.map((name) => info.properties.get(name)).find(
            (property) =>
              property?.type === "Edm.String" && (property.maxLength ?? Infinity) >= SHORTEST_MARKER,
          ) ??
          MARKER_CANDIDATES.map((name) => info.properties.get(name)).find(
            (property) => property?.type === "Edm.String",
          ));
    if (
      chosen === undefined ||
      chosen.type !== "Edm.String" ||
      (chosen.maxLength ?? Infinity) < SHORTEST_MARKER
    ) {
      throw new BridgeError(
        "CONFIG_INVALID",
        `${this.settings.entitySet} has no text field that can carry ledger-bridge's marker` +
          (chosen === undefined
            ? ` (looked for ${MARKER_CANDIDATES.join(", ")}; or name one in target.fields.marker)`
            : ` ('${chosen.name}' is ${chosen.type}${chosen.maxLength === undefined ? "" : ` of ${chosen.maxLength} characters`})`) +
          `. Exactly-once delivery needs one: after a lost answer the marker is the only way to tell a journal F&O created from one it never saw. Add a String field of at least ${MARKER_LENGTH} characters to the custom entity (for example Description, mapped to the journal's name LedgerJournalTable.Name) and name it in target.fields.marker.`,
      );
    }
    this.markerField = {
      name: chosen.name,
      ...(chosen.maxLength === undefined ? {} : { maxLength: chosen.maxLength }),
    };
  }

  private marker(): MarkerField {
    if (this.markerField === undefined)
      throw new BridgeError(
        "CONFIG_INVALID",
        `The flat entity ${this.settings.entitySet} has not been checked against $metadata for a marker field.`,
      );
    return this.markerField;
  }

  compile(journal: Journal, marker: string): Compiled {
    const f = this.fields;
    const entity = this.settings.entitySet;
    const problems: TargetProblem[] = accountTypeProblems(
      journal,
      this.settings.accountTypes ?? ["Ledger"],
      entity,
    );
    const unsupported = (index: number, field: string, what: string, setting: string) =>
      problems.push({
        code: "TARGET_FIELD_UNSUPPORTED",
        detail: `The flat entity ${entity} has no ${what} field (target.fields.${setting}); the line's ${what} would be lost.`,
        line: index,
        field,
      });
    const dimensions = journal.lines.map((line, index) => {
      if (
        line.offsetAccount !== undefined &&
        (f.offsetAccount === undefined || f.offsetAccountType === undefined)
      )
        unsupported(index, "offsetAccount", "offset account", "offsetAccount");
      if (line.exchangeRate !== undefined && f.exchangeRate === undefined)
        unsupported(index, "exchangeRate", "exchange rate", "exchangeRate");
      if (line.dimensions !== undefined && f.dimensions === undefined) {
        unsupported(index, dimensionField(line), "financial dimensions", "dimensions");
        return undefined;
      }
      return dimensionDisplayValue(line, index, this.settings.dimensionFormat, problems);
    });
    // Before $metadata is read the field's length is unknown; the claim-time compile checks it.
    // Until $metadata is read (the store-time compile may run first), the row is built with the
    // configured or most likely field; only the problems count then, and the claim-time compile rebuilds it.
    const field = this.markerField ?? { name: this.fields.marker ?? MARKER_CANDIDATES[0] };
    if (field.maxLength !== undefined && marker.length > field.maxLength)
      problems.push({
        code: "TARGET_MARKER_TOO_LONG",
        detail: `The journal's marker '${marker}' has ${marker.length} characters; ${entity}.${field.name} holds ${field.maxLength}.`,
        field: "key",
      });
    if (problems.length > 0) return { ok: false, problems };
    const [first, ...others] = journal.lines;
    if (first === undefined)
      return { ok: false, problems: [{ code: "JOURNAL_NO_LINES", detail: "The journal has no lines." }] };
    const row = (line: JournalLine, index: number, batchNumber: string | undefined): BatchOperation => ({
      method: "POST",
      path: `/data/${entity}`,
      body: this.row(journal, line, marker, field, dimensions[index], batchNumber),
    });
    return {
      ok: true,
      compiled: {
        opening: row(first, 0, undefined),
        openingLines: 1,
        lineCount: journal.lines.length,
        batchNumberOf: (created) => batchNumberIn(created, f.journalBatchNumber, `POST ${entity}`),
        rest: (batchNumber) => others.map((line, index) => row(line, index + 1, batchNumber)),
      },
    };
  }

  /** A row of the entity; without a batch number it starts a new journal. Every row carries the marker. */
  private row(
    journal: Journal,
    line: JournalLine,
    marker: string,
    markerField: MarkerField,
    dimensions: string | undefined,
    batchNumber: string | undefined,
  ): Record<string, unknown> {
    const f = this.fields;
    const row: Record<string, unknown> = {
      [f.company]: journal.company,
      [f.journalName]: journal.journalName,
      [f.accountType]: line.accountType,
      [f.account]: line.account,
      [f.currency]: line.currency,
      [f.transDate]: transDateTime(line.transDate),
    };
    if (batchNumber !== undefined) row[f.journalBatchNumber] = batchNumber;
    if (line.debit !== undefined) row[f.debit] = line.debit;
    if (line.credit !== undefined) row[f.credit] = line.credit;
    if (f.voucher !== undefined) row[f.voucher] = voucherOf(line);
    if (f.text !== undefined && line.text !== undefined) row[f.text] = line.text;
    if (
      f.offsetAccount !== undefined &&
      f.offsetAccountType !== undefined &&
      line.offsetAccount !== undefined
    ) {
      row[f.offsetAccountType] = line.offsetAccountType;
      row[f.offsetAccount] = line.offsetAccount;
    }
    if (f.exchangeRate !== undefined && line.exchangeRate !== undefined)
      row[f.exchangeRate] = line.exchangeRate;
    if (f.dimensions !== undefined && dimensions !== undefined) row[f.dimensions] = dimensions;
    // A marker field that is also the line's text keeps the text after the marker.
    const after = markerField.name === f.text ? line.text : journal.description;
    row[markerField.name] = markedText(marker, after, markerField.maxLength ?? Number.MAX_SAFE_INTEGER);
    return row;
  }

  async find(
    entities: Entities,
    company: string,
    marker: string,
    key: string,
  ): Promise<FoundJournal | undefined> {
    const f = this.fields;
    const field = this.marker().name;
    const rows = await entities.queryAll(this.settings.entitySet, {
      filter: and(eq(f.company, company), startsWith(field, marker)),
      select: [f.journalBatchNumber, field],
      crossCompany: true,
    });
    const numbers = new Set(
      rows.filter((row) => carriesMarker(row[field], marker)).map((row) => String(row[f.journalBatchNumber])),
    );
    return onlyOne(
      [...numbers].map((batchNumber) => ({ batchNumber, company })),
      key,
    );
  }

  async lines(
    entities: Entities,
    company: string,
    batchNumber: string,
    amounts = false,
  ): Promise<LinesInFno> {
    const f = this.fields;
    const rows = await entities.queryAll(this.settings.entitySet, {
      filter: and(eq(f.company, company), eq(f.journalBatchNumber, batchNumber)),
      select: amounts ? [f.journalBatchNumber, f.debit, f.credit] : [f.journalBatchNumber],
      crossCompany: true,
    });
    return summed(rows, f.debit, f.credit);
  }

  postedVouchers(entities: Entities, company: string, batchNumber: string) {
    return postedVouchers(entities, company, batchNumber);
  }

  linesOfMany(entities: Entities, company: string, batchNumbers: readonly string[]) {
    const f = this.fields;
    const fields = { company: f.company, batch: f.journalBatchNumber, debit: f.debit, credit: f.credit };
    return linesInRange(entities, this.settings.entitySet, fields, company, batchNumbers);
  }

  postedVouchersOfMany(entities: Entities, company: string, batchNumbers: readonly string[]) {
    return postedVouchersInRange(entities, company, batchNumbers);
  }

  async *marked(entities: Entities): AsyncGenerator<MarkedJournal> {
    const f = this.fields;
    const field = this.marker().name;
    const seen = new Set<string>();
    for await (const row of entities.query(this.settings.entitySet, {
      filter: startsWith(field, MARKER_PREFIX),
      select: [f.journalBatchNumber, field, f.company],
      crossCompany: true,
    })) {
      const marker = markerIn(row[field]);
      const journal = `${String(row[f.company])}/${String(row[f.journalBatchNumber])}`;
      if (marker === undefined || seen.has(journal)) continue;
      seen.add(journal);
      yield { marker, batchNumber: String(row[f.journalBatchNumber]), company: String(row[f.company]) };
    }
  }
}
