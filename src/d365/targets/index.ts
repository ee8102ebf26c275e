/**
 * The delivery targets, by kind: settings (data, from the config file) are checked and turned into a
 * strategy here and nowhere else. A new kind of target is one more entry in TARGETS.
 */
import { BridgeError } from "../../core/errors/bridge-error.js";
import { ACCOUNT_TYPES, type AccountType } from "../../core/journal.js";
import {
  DEFAULT_AUTO_THRESHOLD,
  DEFAULT_DEFINITION_GROUP,
  DEFAULT_MAX_WAIT_MS,
  DEFAULT_PACKAGE_LINES,
  DEFAULT_POLL_DELAYS_MS,
  type DmfPackageSettings,
  DmfPackageTarget,
} from "./dmf-package.js";
import { type FlatEntitySettings, FlatEntityTarget, REPORT_FLAT_ENTITY } from "./flat-entity.js";
import { type LedgerJournalSettings, LedgerJournalTarget } from "./ledger-journal.js";
import type { JournalTarget } from "./target.js";

export type TargetSettings = LedgerJournalSettings | FlatEntitySettings | DmfPackageSettings;

type Raw = Record<string, unknown>;

function strings(value: unknown, setting: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item === ""))
    throw new BridgeError("CONFIG_INVALID", `${setting} must be a list of names.`);
  return value as string[];
}

function positive(value: unknown, setting: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new BridgeError("CONFIG_INVALID", `${setting} must be a whole number of at least 1.`);
  return value;
}

function flag(value: unknown, setting: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "boolean")
    throw new BridgeError("CONFIG_INVALID", `${setting} must be true or false.`);
  return value;
}

/** The package path's settings, for `dmf-package` (every group by package) and `auto` (by size). */
function packageSettings(kind: "dmf-package" | "auto", raw: Raw): DmfPackageSettings {
  const dimensionFormat = strings(raw.dimensionFormat, "target.dimensionFormat");
  if (
    raw.definitionGroup !== undefined &&
    (typeof raw.definitionGroup !== "string" || raw.definitionGroup === "")
  )
    throw new BridgeError("CONFIG_INVALID", "target.definitionGroup must be the name of a data project.");
  let pollDelaysMs = DEFAULT_POLL_DELAYS_MS;
  if (raw.pollDelaysMs !== undefined) {
    const delays = raw.pollDelaysMs;
    if (
      !Array.isArray(delays) ||
      delays.length === 0 ||
      delays.some((d) => typeof d !== "number" || !(d > 0))
    )
      throw new BridgeError("CONFIG_INVALID", "target.pollDelaysMs must be a list of waits in milliseconds.");
    pollDelaysMs = delays as number[];
  }
  if (kind === "dmf-package" && raw.threshold !== undefined)
    throw new BridgeError(
      "CONFIG_INVALID",
      "target.threshold belongs to target kind auto (dmf-package sends every journal by package).",
    );
  return {
    kind,
    definitionGroup: (raw.definitionGroup as string | undefined) ?? DEFAULT_DEFINITION_GROUP,
    threshold: kind === "auto" ? (positive(raw.threshold, "target.threshold") ?? DEFAULT_AUTO_THRESHOLD) : 1,
    pollDelaysMs,
    maxWaitMs: positive(raw.maxWaitMs, "target.maxWaitMs") ?? DEFAULT_MAX_WAIT_MS,
    parallelImports: flag(raw.parallelImports, "target.parallelImports") ?? false,
    packageLines: positive(raw.packageLines, "target.packageLines") ?? DEFAULT_PACKAGE_LINES,
    ...(dimensionFormat ? { dimensionFormat } : {}),
  };
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
  "dmf-package": {
    settings: (raw) => packageSettings("dmf-package", raw),
    create: (settings: DmfPackageSettings) => new DmfPackageTarget(settings),
  },
  auto: {
    settings: (raw) => packageSettings("auto", raw),
    create: (settings: DmfPackageSettings) => new DmfPackageTarget(settings),
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

export type { DmfPackageSettings, PackagePath } from "./dmf-package.js";
export { DEFAULT_MAX_WAIT_MS, DEFAULT_POLL_DELAYS_MS } from "./dmf-package.js";
export type { FlatEntityFieldMap, FlatEntitySettings } from "./flat-entity.js";
export { REPORT_FLAT_ENTITY } from "./flat-entity.js";
export type { LedgerJournalSettings } from "./ledger-journal.js";
export { carriesMarker, MARKER_LENGTH, markerFor } from "./marker.js";
export type * from "./target.js";
