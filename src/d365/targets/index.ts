/**
 * The delivery targets, by kind: settings (data, from the config file) are checked and turned into a
 * strategy here and nowhere else. A new kind of target is one more entry in TARGETS.
 */

import { z } from "zod";
import { checkSection, choice } from "../../config/schema.js";
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
import {
  FLAT_FIELD_NAMES,
  type FlatEntitySettings,
  FlatEntityTarget,
  REPORT_FLAT_ENTITY,
} from "./flat-entity.js";
import { type LedgerJournalSettings, LedgerJournalTarget } from "./ledger-journal.js";
import type { JournalTarget } from "./target.js";

export type TargetSettings = LedgerJournalSettings | FlatEntitySettings | DmfPackageSettings;

/** A list of names (dimensions, in order). */
const names = z.array(z.string().min(1), { error: "must be a list of names" });
const count = z.number({ error: "must be a whole number of at least 1" }).int().min(1, {
  error: "must be a whole number of at least 1",
});
/** A property name of an OData entity. */
const property = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "must be a property name" });

const packageSettings = {
  definitionGroup: z.string().min(1, { error: "must be the name of a data project" }).optional(),
  dimensionFormat: names.optional(),
  pollDelaysMs: z
    .array(z.number().positive(), { error: "must be a list of waits in milliseconds" })
    .min(1, { error: "must be a list of waits in milliseconds" })
    .optional(),
  maxWaitMs: count.optional(),
  parallelImports: z.boolean({ error: "must be true or false" }).optional(),
  packageLines: count.optional(),
};

/** The package path's settings with their defaults, for `dmf-package` (every group) and `auto` (by size). */
function withPackageDefaults(
  kind: "dmf-package" | "auto",
  raw: z.output<z.ZodObject<typeof packageSettings>> & { threshold?: number | undefined },
): DmfPackageSettings {
  return {
    kind,
    definitionGroup: raw.definitionGroup ?? DEFAULT_DEFINITION_GROUP,
    threshold: kind === "auto" ? (raw.threshold ?? DEFAULT_AUTO_THRESHOLD) : 1,
    pollDelaysMs: raw.pollDelaysMs ?? DEFAULT_POLL_DELAYS_MS,
    maxWaitMs: raw.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    parallelImports: raw.parallelImports ?? false,
    packageLines: raw.packageLines ?? DEFAULT_PACKAGE_LINES,
    ...(raw.dimensionFormat ? { dimensionFormat: raw.dimensionFormat } : {}),
  };
}

interface TargetKind {
  /** The config file's `target` object for this kind (every other key is refused, by name). */
  readonly schema: z.ZodType;
  /** The checked object with the defaults filled in. */
  settings(checked: never): TargetSettings;
  create(settings: never): JournalTarget;
}

const TARGETS: Record<string, TargetKind> = {
  "ledger-journal": {
    schema: z.strictObject({ kind: z.literal("ledger-journal"), dimensionFormat: names.optional() }),
    settings: (raw: { dimensionFormat?: string[] }) => ({
      kind: "ledger-journal",
      ...(raw.dimensionFormat ? { dimensionFormat: raw.dimensionFormat } : {}),
    }),
    create: (settings: LedgerJournalSettings) => new LedgerJournalTarget(settings),
  },
  "flat-entity": {
    schema: z.strictObject({
      kind: z.literal("flat-entity"),
      entitySet: z.string().min(1, { error: "must be an entity set name" }).optional(),
      fields: z
        .strictObject(Object.fromEntries(FLAT_FIELD_NAMES.map((name) => [name, property.optional()])))
        .optional(),
      dimensionFormat: names.optional(),
      accountTypes: z.array(choice(ACCOUNT_TYPES)).optional(),
    }),
    settings: (raw: {
      entitySet?: string;
      fields?: Record<string, string | undefined>;
      dimensionFormat?: string[];
      accountTypes?: AccountType[];
    }) => ({
      kind: "flat-entity",
      entitySet: raw.entitySet ?? REPORT_FLAT_ENTITY.entitySet,
      fields: {
        ...REPORT_FLAT_ENTITY.fields,
        ...(Object.fromEntries(
          Object.entries(raw.fields ?? {}).filter(([, value]) => value !== undefined),
        ) as Record<string, string>),
      },
      ...(raw.dimensionFormat ? { dimensionFormat: raw.dimensionFormat } : {}),
      ...(raw.accountTypes ? { accountTypes: raw.accountTypes } : {}),
    }),
    create: (settings: FlatEntitySettings) => new FlatEntityTarget(settings),
  },
  "dmf-package": {
    schema: z.strictObject({ kind: z.literal("dmf-package"), ...packageSettings }),
    settings: (raw: z.output<z.ZodObject<typeof packageSettings>>) => withPackageDefaults("dmf-package", raw),
    create: (settings: DmfPackageSettings) => new DmfPackageTarget(settings),
  },
  auto: {
    schema: z.strictObject({ kind: z.literal("auto"), threshold: count.optional(), ...packageSettings }),
    settings: (raw: z.output<z.ZodObject<typeof packageSettings>> & { threshold?: number }) =>
      withPackageDefaults("auto", raw),
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
  const object = { kind: DEFAULT_TARGET.kind, ...(raw as Record<string, unknown>) };
  if (object.kind === "dmf-package" && "threshold" in object)
    throw new BridgeError(
      "CONFIG_INVALID",
      "target.threshold belongs to target kind auto (dmf-package sends every journal by package).",
    );
  const kind = kindOf(object.kind);
  return kind.settings(checkSection(kind.schema, object, "target") as never);
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
