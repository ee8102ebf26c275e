import Big from "big.js";
import { minorUnits } from "./currencies.js";

/**
 * Exact decimal money. Every amount is a big.js value from the moment it is parsed until it is
 * written out; no amount ever passes through a JavaScript number. The private constructor runs in
 * strict mode, so handing it a number throws instead of silently importing a binary fraction.
 */
const Decimal = Big();
Decimal.strict = true;

export type Amount = Big.Big;

export const ZERO: Amount = new Decimal("0");

/** Parses a canonical decimal string (already checked against PLAIN_DECIMAL). */
export function decimal(text: string): Amount {
  return new Decimal(text);
}

/** Digits, optionally a dot and more digits: the only amount syntax accepted anywhere. */
export const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** The number of decimals that carry value (trailing zeros do not). */
export function significantDecimals(text: string): number {
  const dot = text.indexOf(".");
  if (dot < 0) return 0;
  let end = text.length;
  while (end > dot + 1 && text.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}

/** Integer digits without leading zeros (so 000123.4 has 3). */
export function integerDigits(text: string): number {
  const dot = text.indexOf(".");
  const whole = dot < 0 ? text : text.slice(0, dot);
  let start = 0;
  while (start < whole.length - 1 && whole.charCodeAt(start) === 48) start++;
  return whole.length - start;
}

/** Writes an amount with its currency's minor units (all its digits if it has more). */
export function formatMoney(amount: Amount, currency: string): string {
  // big.js keeps the digits in `c` and the decimal exponent in `e`.
  const decimals = Math.max(0, amount.c.length - amount.e - 1);
  const places = Math.max(minorUnits(currency) ?? 2, decimals);
  return amount.toFixed(places);
}
