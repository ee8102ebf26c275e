/**
 * The config file's `input` section: how table files are read when they are not in the native
 * format (docs/configuration.md#input). Checked once at start-up; each error names the setting.
 */
import { z } from "zod";
import { ACCOUNT_TYPES, type AccountType } from "../core/journal.js";
import { DATE_FORMATS, type Locale } from "../ingest/locale.js";
import { CANONICAL_COLUMNS, PROFILE_NAMES } from "../ingest/profiles.js";
import type { InputDefaults, TableOptions } from "../ingest/table/options.js";
import { checkSection, choice } from "./schema.js";

export type InputSettings = Omit<TableOptions, "dimensionFormat">;

/** A model column: one of the canonical columns, or `Dim.<Name>`. */
const modelColumn = z
  .string()
  .trim()
  .refine((value) => (CANONICAL_COLUMNS as readonly string[]).includes(value) || /^Dim\.\S+$/.test(value), {
    error: `must name a model column (${CANONICAL_COLUMNS.join(", ")}, or Dim.<Name>)`,
  });
const value = z.string().trim().min(1, { error: "must be a non-empty string" });

const INPUT_SCHEMA = z.strictObject({
  profile: z
    .string()
    .trim()
    .refine((name) => PROFILE_NAMES.includes(name), {
      error: `must name a profile (known: ${PROFILE_NAMES.join(", ")})`,
    })
    .optional(),
  sheet: value.optional(),
  columns: z
    .record(z.string(), modelColumn, { error: "must map file column names to model columns" })
    .optional(),
  defaults: z
    .strictObject({
      company: value.optional(),
      journalName: value.optional(),
      accountType: choice(ACCOUNT_TYPES).optional(),
    })
    .optional(),
  locale: z
    .strictObject({
      decimal: choice(["point", "comma"] as const).default("point"),
      date: choice(DATE_FORMATS).default("yyyy-mm-dd"),
    })
    .optional(),
});

/** The config file's `input` section, checked (each error names the setting, e.g. `input.locale.date`). */
export function inputSettings(raw: unknown): InputSettings {
  if (raw === undefined) return {};
  const checked = checkSection(INPUT_SCHEMA, raw, "input");
  const settings: { -readonly [K in keyof InputSettings]: InputSettings[K] } = {};
  if (checked.profile !== undefined) settings.profile = checked.profile;
  if (checked.sheet !== undefined) settings.sheet = checked.sheet;
  if (checked.columns !== undefined) settings.columns = checked.columns;
  if (checked.defaults !== undefined) {
    const defaults: { -readonly [K in keyof InputDefaults]: InputDefaults[K] } = {};
    if (checked.defaults.company !== undefined) defaults.company = checked.defaults.company;
    if (checked.defaults.journalName !== undefined) defaults.journalName = checked.defaults.journalName;
    if (checked.defaults.accountType !== undefined)
      defaults.accountType = checked.defaults.accountType as AccountType;
    settings.defaults = defaults;
  }
  if (checked.locale !== undefined) settings.locale = checked.locale as Locale;
  return settings;
}
