/**
 * Errors across a thread boundary (the store's thread, the delivery thread): structured cloning
 * keeps only an Error's message, so an error goes as data — its class's name, message, code and
 * retryability — and is rebuilt as the same class on the other side.
 */
import { BridgeError, InputError, isBridgeError, UsageError } from "./bridge-error.js";
import type { ErrorCode, Retryable } from "./codes.js";

export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: ErrorCode;
  readonly retryable?: Retryable;
}

const CLASSES = { BridgeError, UsageError, InputError } as const;

export function toWire(error: unknown): WireError {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  return isBridgeError(error)
    ? { name, message, code: error.code, retryable: error.retryable }
    : { name, message };
}

export function fromWire(wire: WireError): Error {
  if (wire.code === undefined) {
    const plain = new Error(wire.message);
    if (wire.name !== "Error") plain.name = wire.name;
    return plain;
  }
  const Class = CLASSES[wire.name as keyof typeof CLASSES] ?? BridgeError;
  const rebuilt = new Class(
    wire.code,
    wire.message,
    wire.retryable === undefined ? {} : { retryable: wire.retryable },
  );
  // The message came whole (with its fix) from the other thread: not composed a second time.
  rebuilt.message = wire.message;
  return rebuilt;
}
