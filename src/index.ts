/** The public library API of ledger-bridge. Everything not exported here is internal. */
export { BridgeError, InputError, isBridgeError, UsageError } from "./core/errors/bridge-error.js";
export { ERROR_CODES, type ErrorCode, type Retryable } from "./core/errors/codes.js";
export type { Issue, SourceLocation } from "./core/errors/issue.js";
export type { AccountType, Journal, JournalLine } from "./core/journal.js";
export type { Amount } from "./core/money.js";
export {
  type EmulatorOptions,
  type RunningEmulator,
  SCENARIOS,
  type ScenarioName,
  startEmulator,
} from "./emulator/index.js";
export type { JournalRead, SourceEvent } from "./ingest/assemble.js";
export { type FileReport, validateFile } from "./ingest/report.js";
export { openJournalFile, readJournalText } from "./ingest/source.js";
