/**
 * The default target: a `LedgerJournalHeaders` row (its Description carries the marker), then the
 * journal's `LedgerJournalLines` in one changeset — the entities Microsoft documents for synchronous
 * OData integration of general journals.
 */
import { ACCOUNT_TYPES, type Journal, type JournalLine } from "../../core/journal.js";
import type { BatchOperation } from "../batch.js";
import type { Entities } from "../entities.js";
import { and, compare, eq, or, startsWith } from "../query.js";
import { carriesMarker, MARKER_PREFIX, markedText, markerIn } from "./marker.js";
import {
  accountTypeProblems,
  batchNumberIn,
  dimensionDisplayValue,
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

export interface LedgerJournalSettings {
  readonly kind: "ledger-journal";
  /**
   * Names of the financial dimensions in the order of F&O's "Financial dimension configuration for
   * integrating applications" (default dimension format); needed only when lines carry dimensions.
   */
  readonly dimensionFormat?: readonly string[];
}

const HEADERS = "LedgerJournalHeaders";
const LINES = "LedgerJournalLines";
/** LedgerJournalHeader.Description holds 60 characters; a marker is at most 40. */
const DESCRIPTION_LENGTH = 60;
/** Markers in one `$filter` (each a startswith of up to 40 characters: the URL stays short). */
const MARKERS_A_QUERY = 25;
/** Marker queries in flight at once (of the client's connections). */
const QUERIES_AT_ONCE = 4;

export function headerPayload(journal: Journal, marker: string): Record<string, unknown> {
  return {
    dataAreaId: journal.company,
    JournalName: journal.journalName,
    Description: markedText(marker, journal.description, DESCRIPTION_LENGTH),
    ...(journal.journalBatchNumber === undefined ? {} : { JournalBatchNumber: journal.journalBatchNumber }),
  };
}

function linePayload(
  journal: Journal,
  line: JournalLine,
  batchNumber: string,
  dimensions: string | undefined,
): Record<string, unknown> {
  return {
    dataAreaId: journal.company,
    JournalBatchNumber: batchNumber,
    ...(line.lineNumber === undefined ? {} : { LineNumber: line.lineNumber }),
    Voucher: voucherOf(line),
    TransDate: transDateTime(line.transDate),
    AccountType: line.accountType,
    AccountDisplayValue: line.account,
    ...(line.offsetAccount === undefined
      ? {}
      : { OffsetAccountType: line.offsetAccountType, OffsetAccountDisplayValue: line.offsetAccount }),
    ...(line.debit === undefined ? {} : { DebitAmount: line.debit }),
    ...(line.credit === undefined ? {} : { CreditAmount: line.credit }),
    CurrencyCode: line.currency,
    ...(line.exchangeRate === undefined ? {} : { ExchRate: line.exchangeRate }),
    ...(line.text === undefined ? {} : { Text: line.text }),
    ...(dimensions === undefined ? {} : { DefaultDimensionDisplayValue: dimensions }),
  };
}

export class LedgerJournalTarget implements JournalTarget {
  readonly kind: string = "ledger-journal";
  readonly entitySets: readonly string[] = [HEADERS, LINES];

  constructor(private readonly settings: Pick<LedgerJournalSettings, "dimensionFormat">) {}

  /** The standard entities need no look at $metadata: their fields are F&O's own. */
  async prepare(): Promise<void> {}

  /** Each line's default dimension display value, problems pushed for those that cannot be built. */
  protected dimensionsOf(journal: Journal, problems: TargetProblem[]): (string | undefined)[] {
    return journal.lines.map((line, index) =>
      dimensionDisplayValue(line, index, this.settings.dimensionFormat, problems),
    );
  }

  compile(journal: Journal, marker: string): Compiled {
    const problems: TargetProblem[] = accountTypeProblems(journal, ACCOUNT_TYPES, "LedgerJournalLines");
    const dimensions = this.dimensionsOf(journal, problems);
    if (problems.length > 0) return { ok: false, problems };
    return {
      ok: true,
      compiled: {
        opening: { method: "POST", path: `/data/${HEADERS}`, body: headerPayload(journal, marker) },
        openingLines: 0,
        lineCount: journal.lines.length,
        batchNumberOf: (created) => batchNumberIn(created, "JournalBatchNumber", `POST ${HEADERS}`),
        rest: (batchNumber): BatchOperation[] =>
          journal.lines.map((line, index) => ({
            method: "POST",
            path: `/data/${LINES}`,
            body: linePayload(journal, line, batchNumber, dimensions[index]),
          })),
      },
    };
  }

  async find(
    entities: Entities,
    company: string,
    marker: string,
    key: string,
  ): Promise<FoundJournal | undefined> {
    const candidates = await entities.queryAll(HEADERS, {
      // The marker with or without the journal's description after it; checked exactly below.
      filter: and(eq("dataAreaId", company), startsWith("Description", marker)),
      select: ["JournalBatchNumber", "Description"],
      crossCompany: true,
    });
    return onlyOne(
      candidates
        .filter((header) => carriesMarker(header.Description, marker))
        .map((header) => ({ batchNumber: String(header.JournalBatchNumber), company })),
      key,
    );
  }

  /** The company's highest journal batch number (where the journals of an import will follow). */
  async lastBatchNumber(entities: Entities, company: string): Promise<string | undefined> {
    const [last] = await entities.queryAll(HEADERS, {
      filter: eq("dataAreaId", company),
      select: ["JournalBatchNumber"],
      orderBy: ["JournalBatchNumber desc"],
      top: 1,
      crossCompany: true,
    });
    return last === undefined ? undefined : String(last.JournalBatchNumber);
  }

  /**
   * The journals carrying these markers in one company (every one found, by batch number). With
   * `after`, the journals numbered after it are read first — one range query (and its pages) for a
   * whole package, whose journals F&O numbered from its sequence — and only markers not found there
   * are looked for by marker, 25 a query.
   */
  async findMany(
    entities: Entities,
    company: string,
    markers: readonly string[],
    after?: string,
  ): Promise<Map<string, FoundJournal[]>> {
    const found = new Map<string, FoundJournal[]>(markers.map((marker) => [marker, []]));
    const take = (header: Record<string, unknown>) => {
      const marker = markerIn(header.Description);
      const list = marker === undefined ? undefined : found.get(marker);
      const batchNumber = String(header.JournalBatchNumber);
      // One marker can be the start of another's (lb:k-8, lb:k-87): a header comes back from every
      // query whose markers it starts with, and counts once.
      if (
        list !== undefined &&
        carriesMarker(header.Description, marker as string) &&
        !list.some((each) => each.batchNumber === batchNumber)
      )
        list.push({ batchNumber, company });
    };
    if (after !== undefined) {
      for await (const header of entities.query(HEADERS, {
        filter: and(eq("dataAreaId", company), compare("JournalBatchNumber", "gt", after)),
        select: ["JournalBatchNumber", "Description"],
        crossCompany: true,
      }))
        take(header);
      markers = markers.filter((marker) => found.get(marker)?.length === 0);
    }
    const chunks: string[][] = [];
    for (let start = 0; start < markers.length; start += MARKERS_A_QUERY)
      chunks.push(markers.slice(start, start + MARKERS_A_QUERY));
    const query = (chunk: readonly string[]) =>
      entities.queryAll(HEADERS, {
        filter: and(
          eq("dataAreaId", company),
          or(...chunk.map((marker) => startsWith("Description", marker))),
        ),
        select: ["JournalBatchNumber", "Description"],
        crossCompany: true,
      });
    // A few queries at a time: a package of 500 journals needs 20 of them.
    for (let start = 0; start < chunks.length; start += QUERIES_AT_ONCE) {
      const answers = await Promise.all(chunks.slice(start, start + QUERIES_AT_ONCE).map(query));
      for (const header of answers.flat()) take(header);
    }
    return found;
  }

  async lines(
    entities: Entities,
    company: string,
    batchNumber: string,
    amounts = false,
  ): Promise<LinesInFno> {
    const rows = await entities.queryAll(LINES, {
      filter: and(eq("dataAreaId", company), eq("JournalBatchNumber", batchNumber)),
      select: amounts ? ["LineNumber", "DebitAmount", "CreditAmount"] : ["LineNumber"],
      crossCompany: true,
    });
    return summed(rows, "DebitAmount", "CreditAmount");
  }

  postedVouchers(entities: Entities, company: string, batchNumber: string) {
    return postedVouchers(entities, company, batchNumber);
  }

  linesOfMany(entities: Entities, company: string, batchNumbers: readonly string[]) {
    const fields = {
      company: "dataAreaId",
      batch: "JournalBatchNumber",
      debit: "DebitAmount",
      credit: "CreditAmount",
    };
    return linesInRange(entities, LINES, fields, company, batchNumbers);
  }

  postedVouchersOfMany(entities: Entities, company: string, batchNumbers: readonly string[]) {
    return postedVouchersInRange(entities, company, batchNumbers);
  }

  async *marked(entities: Entities): AsyncGenerator<MarkedJournal> {
    for await (const header of entities.query(HEADERS, {
      filter: startsWith("Description", MARKER_PREFIX),
      select: ["JournalBatchNumber", "Description", "dataAreaId"],
      crossCompany: true,
    })) {
      const marker = markerIn(header.Description);
      if (marker !== undefined)
        yield { marker, batchNumber: String(header.JournalBatchNumber), company: String(header.dataAreaId) };
    }
  }
}
