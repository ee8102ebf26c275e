/** The public library API of ledger-bridge. Everything not exported here is internal. */

export { type CredentialConfig, tokenProviderFor } from "./auth/credentials.js";
export { type BridgeConfig, type Env, loadConfig } from "./config/index.js";
export { BridgeError, InputError, isBridgeError, UsageError } from "./core/errors/bridge-error.js";
export { ERROR_CODES, type ErrorCode, type Retryable } from "./core/errors/codes.js";
export type { Issue, SourceLocation } from "./core/errors/issue.js";
export type { AccountType, Journal, JournalLine } from "./core/journal.js";
export type { Amount } from "./core/money.js";
export { type ClientEvent, D365Client, type D365ClientOptions } from "./d365/client.js";
export {
  createTarget,
  type JournalTarget,
  REPORT_FLAT_ENTITY,
  type TargetSettings,
} from "./d365/targets/index.js";
export { DeliveryEngine, type EngineEvent, type EngineOptions } from "./delivery/engine.js";
export { ChunkWriter, enqueueJournals } from "./delivery/enqueue.js";
export { type DoctorReport, runDoctor } from "./doctor/doctor.js";
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
export { type Bridge, type OpenBridgeOptions, openBridge } from "./library/bridge.js";
export { openStore } from "./outbox/open.js";
export type { JournalState } from "./outbox/states.js";
export type { JournalEvent, JournalSelection, OutboxStore, StoredJournal } from "./outbox/store.js";
