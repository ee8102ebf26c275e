/** How a table file (CSV or Excel) is read: the settings `input` in the config file, and the command's flags. */
import type { AccountType } from "../../core/journal.js";
import type { Locale } from "../locale.js";

export interface InputDefaults {
  readonly company?: string;
  readonly journalName?: string;
  readonly accountType?: AccountType;
}

export interface TableOptions {
  /** The input profile's name; none: chosen by the header. */
  readonly profile?: string;
  /** The user's column map: a file column's name → a model column (`AccountDisplayValue`, `Dim.Department` …). */
  readonly columns?: Readonly<Record<string, string>>;
  /** Values for columns a file lacks. */
  readonly defaults?: InputDefaults;
  /** Declared number and date formats (none: the native ones). */
  readonly locale?: Locale;
  /** The dimension names a DefaultDimensionDisplayValue's segments stand for, in order (target.dimensionFormat). */
  readonly dimensionFormat?: readonly string[];
  /** Excel: the sheet to read (default: the first). */
  readonly sheet?: string;
}
