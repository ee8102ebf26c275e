/**
 * The config file's `input` section: how table files are read when they are not in the native
 * format (docs/configuration.md#input). Checked once at start-up; each error names the setting.
 */
import { BridgeError } from "../core/errors/bridge-error.js";
import { ACCOUNT_TYPES, type AccountType } from "../core/journal.js";
import { DATE_FORMATS, type DateFormat, type Locale } from "../ingest/locale.js";
import { CANONICAL_COLUMNS, PROFILE_NAMES } from "../ingest/profiles.js";
import type { InputDefaults, TableOptions } from "../ingest/table/options.js";

export type InputSettings = Omit<TableOptions, "dimensionFormat">;

function invalid(setting: string, detail: string): never {
  throw new BridgeError("CONFIG_INVALID", `input.${setting} in the config file ${detail}.`);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function text(value: unknown, setting: string): string {
  if (typeof value !== "string" || value.trim() === "") invalid(setting, "must be a non-empty string");
  return value.trim();
}

export function inputSettings(raw: unknown): InputSettings {
  if (raw === undefined) return {};
  if (!isObject(raw)) invalid("", "must be an object");
  const known = new Set(["profile", "columns", "defaults", "locale", "sheet"]);
  for (const name of Object.keys(raw)) if (!known.has(name)) invalid(name, "is not a setting");
  const settings: { -readonly [K in keyof InputSettings]: InputSettings[K] } = {};
  if (raw.profile !== undefined) {
    const profile = text(raw.profile, "profile");
    if (!PROFILE_NAMES.includes(profile))
      invalid("profile", `names no profile (known: ${PROFILE_NAMES.join(", ")})`);
    settings.profile = profile;
  }
  if (raw.sheet !== undefined) settings.sheet = text(raw.sheet, "sheet");
  if (raw.columns !== undefined) {
    if (!isObject(raw.columns)) invalid("columns", "must map file column names to model columns");
    const columns: Record<string, string> = {};
    for (const [from, to] of Object.entries(raw.columns)) {
      const target = text(to, `columns.${from}`);
      if (!(CANONICAL_COLUMNS as readonly string[]).includes(target) && !/^Dim\.\S+$/.test(target))
        invalid(
          `columns.${from}`,
          `names ${JSON.stringify(target)}, which is no model column (${CANONICAL_COLUMNS.join(", ")}, or Dim.<Name>)`,
        );
      columns[from] = target;
    }
    settings.columns = columns;
  }
  if (raw.defaults !== undefined) {
    if (!isObject(raw.defaults)) invalid("defaults", "must be an object");
    const defaults: { -readonly [K in keyof InputDefaults]: InputDefaults[K] } = {};
    for (const [name, value] of Object.entries(raw.defaults)) {
      if (name === "company") defaults.company = text(value, "defaults.company");
      else if (name === "journalName") defaults.journalName = text(value, "defaults.journalName");
      else if (name === "accountType") {
        const type = text(value, "defaults.accountType");
        if (!(ACCOUNT_TYPES as readonly string[]).includes(type))
          invalid("defaults.accountType", `must be one of ${ACCOUNT_TYPES.join(", ")}`);
        defaults.accountType = type as AccountType;
      } else invalid(`defaults.${name}`, "is not a setting (company, journalName, accountType)");
    }
    settings.defaults = defaults;
  }
  if (raw.locale !== undefined) {
    if (!isObject(raw.locale)) invalid("locale", "must be an object with decimal and date");
    const decimal = raw.locale.decimal ?? "point";
    if (decimal !== "point" && decimal !== "comma") invalid("locale.decimal", 'must be "point" or "comma"');
    const date = raw.locale.date ?? "yyyy-mm-dd";
    if (!DATE_FORMATS.includes(date as DateFormat))
      invalid("locale.date", `must be one of ${DATE_FORMATS.join(", ")}`);
    settings.locale = { decimal, date } as Locale;
  }
  return settings;
}
