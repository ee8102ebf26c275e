/**
 * Everything the emulator knows, as plain data: Entra ID's side (tenant, app registrations, users),
 * F&O's side (the Microsoft Entra applications list, users, roles, entity tables, number sequences,
 * fiscal calendar) and the emulator's own knobs (throttling, latency, faults, CSRF gateway).
 * Scenarios fill it; the admin API changes it; `--state FILE` keeps it.
 */
import type Big from "big.js";

export type Decimal = Big.Big;
/** A row of an entity set: field name → string, number, decimal, boolean or null. */
export type Row = Record<string, string | number | boolean | null | Decimal>;

export interface EntraSecret {
  readonly value: string;
  /** Seconds since the epoch; a secret past it is refused with AADSTS7000222. */
  readonly expiresAt?: number;
}

export interface EntraCertificate {
  /** base64url SHA-256 of the certificate's DER bytes: the `x5t#S256` a client assertion carries. */
  readonly thumbprintSha256: string;
  readonly pem: string;
}

export interface EntraApp {
  readonly clientId: string;
  readonly displayName: string;
  secrets: EntraSecret[];
  certificates: EntraCertificate[];
  /** False for a multitenant app with no service principal here: its app tokens carry no `oid`. */
  hasServicePrincipal: boolean;
  /** False: delegated and app tokens for F&O fail with AADSTS65001. */
  consented: boolean;
  /** Application permissions, put in the `roles` claim of app-only tokens. */
  appRoles: string[];
  /** Public clients may use the device code flow without a secret. */
  publicClient: boolean;
  redirectUris: string[];
}

export interface EntraUser {
  readonly objectId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
}

/** A row of System administration > Setup > Microsoft Entra applications (SysAADClients). */
export interface FnoEntraApplication {
  readonly clientId: string;
  name: string;
  /** The F&O user whose roles the application acts with. */
  userId: string;
}

export interface FnoUser {
  readonly userId: string;
  enabled: boolean;
  defaultCompany: string;
  roles: string[];
  /** For delegated tokens: the Entra user this F&O user signs in as. */
  entraObjectId?: string;
}

export type Access = "read" | "write";

export interface SecurityRole {
  readonly name: string;
  /** Entity set → access; `*` for every entity set. Write implies read. */
  entities: Record<string, Access>;
  /** Journal names the role may create journals in; `*` for all. */
  journalNames: string[];
  /** Custom services the role may call, e.g. `JournalPostingService`. */
  services: string[];
}

export type FaultKind =
  | "401"
  | "403"
  | "429"
  | "5xx-before-commit"
  | "5xx-after-commit"
  | "drop-after-commit"
  | "hang"
  | "reset-mid-body";

export interface FaultRule {
  readonly id: string;
  readonly kind: FaultKind;
  /** Matches requests to this entity set (for $batch: any operation on it), or every data request. */
  readonly entitySet?: string;
  readonly method?: string;
  /** Matches requests whose path starts with this (case-insensitive), e.g. `/api/services`. */
  readonly path?: string;
  /** Let this many matching requests through first (e.g. 1: the second POST to a set is hit). */
  readonly skip?: number;
  /** Apply to a fraction of matching requests (0..1), with the emulator's seeded random numbers... */
  readonly rate?: number;
  /** ...or to every Nth matching request. */
  readonly everyNth?: number;
  /** Stop after this many applications. */
  remaining?: number;
  readonly status?: number;
  /** For `hang`: whether the request is carried out before the connection goes silent (default yes). */
  readonly commit?: boolean;
  /** How many matching requests it has seen. */
  seen: number;
}

export interface FiscalPeriod {
  /** ISO dates, inclusive. */
  readonly start: string;
  readonly end: string;
  status: "Open" | "OnHold" | "Closed";
}

export interface NumberSequence {
  readonly prefix: string;
  readonly width: number;
  next: number;
  /** Whether callers may give their own numbers (for the journal batch number sequence). */
  readonly allowManual?: boolean;
}

/** How the package API's imports run (absent: at once, one at a time per data project). */
export interface PackageImportModel {
  /** Before an execution starts (NotRun), in ms: F&O's batch picking the job up. */
  startDelayMs: number;
  /** Records (file rows) a second once it runs; 0: done the moment it starts. */
  recordsPerSecond: number;
  /** F&O's "Enhanced parallel package import": imports of one data project may run side by side. */
  parallel: boolean;
  /** Fault: the next import stops with Failed after this many journals (then the setting clears). */
  failAfterJournals?: number;
}

export interface EmulatorConfig {
  tenantId: string;
  /** Other names the tenant answers to, e.g. contoso.onmicrosoft.com. */
  tenantDomains: string[];
  /** The F&O environment URL: lower case, no trailing slash. */
  environmentUrl: string;
  tokenLifetimeSeconds: number;
  /** At most this many F&O requests in flight; more get 429. Null: unlimited. */
  maxConcurrentRequests: number | null;
  retryAfterSeconds: number;
  latency: { perRequestMs: number; perOperationMs: number };
  /** Server-driven page size (F&O: 10,000). */
  pageSize: number;
  /** The original report's gateway: writes need an X-CSRF-Token fetched first. */
  csrfGateway: boolean;
  csrfTokenLifetimeSeconds: number;
  /** Device code polling interval handed to clients, in seconds. */
  deviceCodeIntervalSeconds: number;
  /**
   * The posting service's X++ parameter names, which the JSON body's keys bind to (default the
   * contract's: dataAreaId, journalBatchNumber). A service written with `_journalBatchNumber` is one
   * the contract's callers cannot call.
   */
  postingParameters?: { company: string; journal: string };
  /** The status of a business-rule refusal of a write: 500 (default) or 400, both seen from F&O. */
  writeFailureStatus?: 400 | 500;
  packageImport?: PackageImportModel;
  /**
   * An Azure Storage account (a connection string, e.g. Azurite's development account) that holds
   * the packages: write URLs are its SAS URLs in container `dmf`. Absent: the emulator's own `/dmf/`.
   */
  packageStorage?: { connectionString: string };
  faults: FaultRule[];
  /** Seed of the random numbers used by fault rates. */
  randomSeed: number;
}

export interface EmulatorData {
  config: EmulatorConfig;
  entraApps: Record<string, EntraApp>;
  entraUsers: Record<string, EntraUser>;
  fnoApps: Record<string, FnoEntraApplication>;
  fnoUsers: Record<string, FnoUser>;
  roles: Record<string, SecurityRole>;
  /** Entity set → rows (stored tables only; views such as SysAADClients are derived). */
  tables: Record<string, Row[]>;
  /** Per company: journal batch numbers, voucher numbers. */
  journalNumbers: Record<string, NumberSequence>;
  voucherNumbers: Record<string, NumberSequence>;
  nextRecId: number;
  fiscalPeriods: Record<string, FiscalPeriod[]>;
}
