/**
 * The delivery targets, by kind: settings (data, from the config file) are checked and turned into a
 * strategy here and nowhere else. A new kind of target is one more entry in TARGETS.
 */
import { BridgeError } from "../../core/errors/bridge-error.js";
import { ACCOUNT_TYPES, type AccountType } from "../../core/journal.js";
import { type FlatEntitySettings, FlatEntityTarget, REPORT_FLAT_ENTITY } from "./flat-entity.js";
import { type LedgerJournalSettings, LedgerJournalTarget } from "./ledger-journal.js";
import type { JournalTarget } from "./target.js";

export type TargetSettings = LedgerJournalSettings | FlatEntitySettings;

type Raw = Record<string, unknown>;

function strings(value: unknown, setting: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === ""))
    throw new BridgeError("CONFIG_INVALID", `${setting} must be a list of names.`);
  return value as string[];
}

interface TargetKind {
  /** Checks the config file's `target` object and fills in the defaults. */
  settings(raw: Raw): TargetSettings;
  create(settings: never): JournalTarget;
}

const TARGETS: Record<string, TargetKind> = {
  "ledger-journal": {
    settings: (raw) => {
      const dimensionFormat = strings(raw.dimensionFormat, "target.dimensionFormat");
      return { kind: "ledger-journal", ...(dimensionFormat ? { dimensionFormat } : {}) };
    },
    create: (settings: LedgerJournalSettings) => new LedgerJournalTarget(settings),
  },
  "flat-entity": {
    settings: (raw) => {
      const dimensionFormat = strings(raw.dimensionFormat, "target.dimensionFormat");
      const accountTypes = strings(raw.accountTypes, "target.accountTypes");
      const wrong = accountTypes?.filter((type) => !ACCOUNT_TYPES.includes(type as AccountType)) ?? [];
      if (wrong.length > 0)
        throw new BridgeError(
          "CONFIG_INVALID",
          `target.accountTypes: ${wrong.join(", ")} ${wrong.length === 1 ? "is" : "are"} not one of ${ACCOUNT_TYPES.join(", ")}.`,
        );
      const fields = raw.fields ?? {};
      if (typeof fields !== "object" || fields === null || Array.isArray(fields))
        throw new BridgeError("CONFIG_INVALID", "target.fields must be an object of field names.");
      for (const [name, value] of Object.entries(fields))
        if (typeof value !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value))
          throw new BridgeError("CONFIG_INVALID", `target.fields.${name} must be a property name.`);
      if (raw.entitySet !== undefined && typeof raw.entitySet !== "string")
        throw new BridgeError("CONFIG_INVALID", "target.entitySet must be an entity set name.");
      return {
        kind: "flat-entity",
        entitySet: (raw.entitySet as string | undefined) ?? REPORT_FLAT_ENTITY.entitySet,
        fields: { ...REPORT_FLAT_ENTITY.fields, ...(fields as Record<string, string>) },
        ...(dimensionFormat ? { dimensionFormat } : {}),
        ...(accountTypes ? { accountTypes: accountTypes as AccountType[] } : {}),
      };
    },
    create: (settings: FlatEntitySettings) => new FlatEntityTarget(settings),
  },
};

export const TARGET_KINDS = Object.keys(TARGETS);
export const DEFAULT_TARGET: TargetSettings = { kind: "ledger-journal" };

function kindOf(kind: unknown): TargetKind {
  const found = typeof kind === "string" ? TARGETS[kind] : undefined;
  if (found === undefined)
    throw new BridgeError(
      "CONFIG_INVALID",
      `target.kind must be one of ${TARGET_KINDS.join(", ")}; it is '${String(kind)}'.`,
    );
  return found;
}

/** The config file's `target` (absent: the default) as checked settings. */
export function targetSettings(raw: unknown): TargetSettings {
  if (raw === undefined || raw === null) return DEFAULT_TARGET;
  if (typeof raw !== "object" || Array.isArray(raw))
    throw new BridgeError("CONFIG_INVALID", "target must be an object with a kind.");
  const object = raw as Raw;
  return kindOf(object.kind ?? DEFAULT_TARGET.kind).settings(object);
}

export function createTarget(settings: TargetSettings = DEFAULT_TARGET): JournalTarget {
  return kindOf(settings.kind).create(settings as never);
}

export type { FlatEntityFieldMap, FlatEntitySettings } from "./flat-entity.js";
export { REPORT_FLAT_ENTITY } from "./flat-entity.js";
export type { LedgerJournalSettings } from "./ledger-journal.js";
export { carriesMarker, MARKER_LENGTH, markerFor } from "./marker.js";
export type * from "./target.js";
