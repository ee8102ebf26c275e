import { codeSpec, type ErrorCode, type Severity } from "./codes.js";

/** Where in a source a problem sits. `line` and `column` are 1-based. */
export interface SourceLocation {
  readonly file?: string;
  readonly line?: number;
  /** CSV: the column's position in the header; JSON: the character position in the line. */
  readonly column?: number;
  /** The field as the source names it: a CSV header cell, or a JSON path such as `lines[2].debit`. */
  readonly field?: string;
  /** Excel: the sheet, and the cell's reference (`F12`); `line` is then the sheet's row number. */
  readonly sheet?: string;
  readonly cell?: string;
}

/** A problem found in input: data, not an exception, so one run can report every problem at once. */
export interface Issue extends SourceLocation {
  readonly code: ErrorCode;
  readonly severity: Severity;
  /** What is wrong, then what to do. */
  readonly message: string;
  readonly journalKey?: string;
}

/**
 * Builds an issue whose message ends with the registry's fix for its code, after a suggestion that
 * only this case can make (a "did you mean"), when there is one.
 */
export function issue(
  code: ErrorCode,
  detail: string,
  where: SourceLocation & { journalKey?: string } = {},
  suggestion?: string,
): Issue {
  const spec = codeSpec(code);
  const fix = suggestion === undefined ? spec.fix : `${suggestion} ${spec.fix}`;
  return { code, severity: spec.severity, message: `${detail} ${fix}`, ...where };
}

/** An issue as JSON (`validate --json`, the API's 400 answers): location keys always present, null when unknown. */
export function issueJson(found: Issue) {
  return {
    code: found.code,
    message: found.message,
    line: found.line ?? null,
    column: found.column ?? null,
    field: found.field ?? null,
    ...(found.sheet === undefined ? {} : { sheet: found.sheet, cell: found.cell ?? null }),
    ...(found.journalKey === undefined ? {} : { journalKey: found.journalKey }),
  };
}
