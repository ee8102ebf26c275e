/**
 * Number and date formats other than the native ones (`1234.56`, `2026-11-30`), read only when the
 * config's `input.locale` declares them — never guessed, since `1.234` and
 * `03/04/2026` mean different things in different places. Values are rewritten to the native form
 * as text, before the field rules read them; nothing passes through a number.
 */
export type DateFormat = "yyyy-mm-dd" | "dd.mm.yyyy" | "dd/mm/yyyy" | "mm/dd/yyyy" | "dd-mm-yyyy";
export const DATE_FORMATS: readonly DateFormat[] = [
  "yyyy-mm-dd",
  "dd.mm.yyyy",
  "dd/mm/yyyy",
  "mm/dd/yyyy",
  "dd-mm-yyyy",
];

export interface Locale {
  /** The decimal separator; with a comma, `.` or a space may group thousands (`1.234,56`). */
  readonly decimal: "point" | "comma";
  readonly date: DateFormat;
}

const COMMA_NUMBER = /^(-?)(\d{1,3}(?:[. ]\d{3})+|\d+)(?:,(\d+))?$/;
const POINT_NUMBER = /^(-?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/;

/** An amount in the locale's form as native text; an unreadable value is returned as given (the rules report it). */
export function nativeNumber(value: string, locale: Locale): string {
  if (locale.decimal === "point") {
    // Called only for a declared locale: there, commas may group thousands.
    const match = POINT_NUMBER.exec(value);
    return match
      ? `${match[1]}${(match[2] as string).replace(/,/g, "")}${match[3] ? `.${match[3]}` : ""}`
      : value;
  }
  const match = COMMA_NUMBER.exec(value);
  return match
    ? `${match[1]}${(match[2] as string).replace(/[. ]/g, "")}${match[3] ? `.${match[3]}` : ""}`
    : value;
}

const DATE_PATTERNS: Record<Exclude<DateFormat, "yyyy-mm-dd">, { re: RegExp; day: number; month: number }> = {
  "dd.mm.yyyy": { re: /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/, day: 1, month: 2 },
  "dd/mm/yyyy": { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, day: 1, month: 2 },
  "dd-mm-yyyy": { re: /^(\d{1,2})-(\d{1,2})-(\d{4})$/, day: 1, month: 2 },
  "mm/dd/yyyy": { re: /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/, day: 2, month: 1 },
};

/** A date in the locale's form as YYYY-MM-DD; an unreadable value is returned as given. */
export function nativeDate(value: string, locale: Locale): string {
  if (locale.date === "yyyy-mm-dd") return value;
  const pattern = DATE_PATTERNS[locale.date];
  const match = pattern.re.exec(value);
  if (!match) return value;
  const two = (text: string) => text.padStart(2, "0");
  return `${match[3]}-${two(match[pattern.month] as string)}-${two(match[pattern.day] as string)}`;
}
