/**
 * The emulator's JSON, on its own code path: lossless-json parses request bodies (numbers keep their
 * source text, duplicate names are refused) and writes answers (exact decimals as JSON numbers, or
 * as strings when a client asks for IEEE754Compatible). The client speaks JSON through
 * src/common/json.ts; the two never share code, so a bug in one cannot hide the same bug in the other.
 */
import Big from "big.js";
import { isLosslessNumber, LosslessNumber, parse, stringify } from "lossless-json";

/** A number on the wire, as its text (lossless-json's class; `.value` is the text). */
export { LosslessNumber as WireNumber };

export type WireJson = string | boolean | null | LosslessNumber | WireJson[] | { [name: string]: WireJson };

export const isWireNumber = (value: unknown): value is LosslessNumber => isLosslessNumber(value);

/** Parses JSON text; throws SyntaxError with lossless-json's message and position. */
export function parseWire(text: string): WireJson {
  return parse(text) as WireJson;
}

const isBig = (value: unknown): value is Big.Big => value instanceof Big;

/** Writes a value; Big decimals go out with every digit, as numbers or (if asked) as strings. */
export function stringifyWire(value: unknown, decimalsAsStrings = false): string {
  const text = decimalsAsStrings
    ? stringify(value, (_name, item) => (isBig(item) ? item.toFixed() : item))
    : stringify(value, undefined, undefined, [
        { test: isBig, stringify: (decimal) => (decimal as Big.Big).toFixed() },
      ]);
  return text ?? "null";
}
