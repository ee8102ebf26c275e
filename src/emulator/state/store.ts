/**
 * The emulator's live state: its data plus indexed entity tables. Writes go through a Transaction
 * that records how to undo them, which is how a `$batch` changeset rolls back as a whole.
 */
import Big from "big.js";
import type { EntitySetDef } from "../fno/entities.js";
import type { EmulatorData, NumberSequence, Row } from "./model.js";

export function isDecimal(value: unknown): value is Big.Big {
  return value instanceof Big;
}

/** Key values compare case-insensitively, as F&O's database collation does. */
function keyPart(value: Row[string] | undefined): string {
  if (value === undefined || value === null) return "";
  if (isDecimal(value)) return value.toFixed();
  return String(value).toLowerCase();
}

export class Transaction {
  private readonly undo: Array<() => void> = [];

  record(step: () => void): void {
    this.undo.push(step);
  }

  rollback(): void {
    for (const step of this.undo.reverse()) step();
    this.undo.length = 0;
  }
}

export class Table {
  readonly rows = new Map<string, Row>();
  /** Rows by all key fields but the last (a journal's lines by company and batch number). */
  private readonly groups = new Map<string, Set<string>>();

  constructor(readonly def: EntitySetDef) {}

  keyOf(values: Row): string {
    return this.def.keys.map((key) => keyPart(values[key])).join("|");
  }

  private groupOf(values: Row): string {
    return this.def.keys
      .slice(0, -1)
      .map((key) => keyPart(values[key]))
      .join("|");
  }

  get(values: Row): Row | undefined {
    return this.rows.get(this.keyOf(values));
  }

  /** The rows whose key starts with these values (all key fields but the last). */
  group(values: Row): Row[] {
    const keys = this.groups.get(this.groupOf(values));
    return keys === undefined ? [] : [...keys].map((key) => this.rows.get(key) as Row);
  }

  /** Puts a row in (also when loading state), keeping the group index. */
  put(row: Row): string {
    const key = this.keyOf(row);
    this.rows.set(key, row);
    const group = this.groupOf(row);
    let members = this.groups.get(group);
    if (members === undefined) {
      members = new Set();
      this.groups.set(group, members);
    }
    members.add(key);
    return key;
  }

  private remove(key: string, row: Row): void {
    this.rows.delete(key);
    this.groups.get(this.groupOf(row))?.delete(key);
  }

  insert(row: Row, tx: Transaction): void {
    const key = this.put(row);
    tx.record(() => this.remove(key, row));
  }

  update(row: Row, changes: Row, tx: Transaction): void {
    const before = { ...row };
    Object.assign(row, changes);
    tx.record(() => {
      for (const name of Object.keys(row)) delete row[name];
      Object.assign(row, before);
    });
  }

  delete(row: Row, tx: Transaction): void {
    const key = this.keyOf(row);
    this.remove(key, row);
    tx.record(() => this.put(row));
  }
}

export class EmulatorState {
  readonly tables = new Map<string, Table>();

  constructor(
    readonly data: EmulatorData,
    defs: readonly EntitySetDef[],
  ) {
    for (const def of defs) {
      const table = new Table(def);
      for (const row of data.tables[def.name] ?? []) table.put(row);
      this.tables.set(def.name, table);
    }
  }

  get config() {
    return this.data.config;
  }

  table(name: string): Table {
    const table = this.tables.get(name);
    if (table === undefined) throw new Error(`no table ${name}`);
    return table;
  }

  /** Draws the next number of a sequence; the draw is undone with the transaction. */
  draw(sequence: NumberSequence, tx: Transaction): string {
    const number = sequence.next++;
    tx.record(() => {
      sequence.next = number;
    });
    return `${sequence.prefix}${String(number).padStart(sequence.width, "0")}`;
  }

  nextRecId(tx: Transaction): number {
    const id = this.data.nextRecId++;
    tx.record(() => {
      this.data.nextRecId = id;
    });
    return id;
  }

  /** The data with current table contents, for saving. */
  snapshot(): EmulatorData {
    const tables: Record<string, Row[]> = {};
    for (const [name, table] of this.tables)
      if (name in this.data.tables) tables[name] = [...table.rows.values()];
    return { ...this.data, tables };
  }
}
