/**
 * Financial dimensions as F&O checks them on a journal line: every value named must exist (and not
 * be suspended), and the main account's account structure must take the dimension. The account
 * display value carries the main account and then one segment per dimension of the integration
 * format; the default dimension display value carries the segments alone.
 *
 * A small account-structure model (an assumption, docs/emulator.md): balance sheet accounts take
 * BusinessUnit only; profit and loss accounts take every dimension.
 */
import { DEMO } from "../scenarios/index.js";
import type { EmulatorState } from "../state/store.js";

interface AccountStructure {
  readonly name: string;
  /** Main accounts from, to (as text: the chart's ids are numbers of six digits). */
  readonly from: string;
  readonly to: string;
  readonly dimensions: readonly string[];
}

export const ACCOUNT_STRUCTURES: readonly AccountStructure[] = [
  { name: "Balance sheet", from: "100000", to: "399999", dimensions: ["BusinessUnit"] },
  {
    name: "Profit and loss",
    from: "400000",
    to: "999999",
    dimensions: ["BusinessUnit", "Department", "CostCenter"],
  },
];

/** The problems of the dimension segments `segments` (by the integration format) for `mainAccount`. */
export function dimensionProblems(
  state: EmulatorState,
  mainAccount: string | undefined,
  segments: readonly string[],
  field: string,
): string[] {
  const format = DEMO.dimensionFormat;
  if (segments.length > format.length)
    return [
      `The value in field '${field}' has ${segments.length} dimension segments; the format for integrating applications has ${format.length} (${format.join(", ")}).`,
    ];
  const problems: string[] = [];
  const structure =
    mainAccount === undefined
      ? undefined
      : ACCOUNT_STRUCTURES.find((candidate) => candidate.from <= mainAccount && mainAccount <= candidate.to);
  segments.forEach((value, index) => {
    const dimension = format[index] as string;
    if (value === "") return;
    const row = state
      .table("FinancialDimensionValues")
      .get({ FinancialDimension: dimension, LegalEntityId: "", DimensionValue: value });
    if (row === undefined) problems.push(`Value '${value}' for dimension '${dimension}' does not exist.`);
    else if (row.IsSuspended === "Yes")
      problems.push(`Value '${value}' for dimension '${dimension}' is suspended.`);
    else if (structure !== undefined && !structure.dimensions.includes(dimension))
      problems.push(
        `Dimension '${dimension}' is not valid for main account ${mainAccount} in account structure '${structure.name}'.`,
      );
  });
  return problems;
}
