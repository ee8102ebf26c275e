/**
 * `ledger-bridge doctor`: ordered checks against the configured environment, each with its evidence
 * (status codes, claim values — never a token or a secret) and, when it fails, the cause and the fix.
 * A failed check skips the checks that depend on it, and says so.
 */
import { lookup } from "node:dns/promises";
import { AuthError } from "../auth/errors.js";
import { inspectToken } from "../auth/token-claims.js";
import type { TokenProvider } from "../auth/token-provider.js";
import type { BridgeConfig } from "../config/index.js";
import type { Issue } from "../core/errors/issue.js";
import type { AccountType, Journal } from "../core/journal.js";
import { type D365Client, readJson } from "../d365/client.js";
import { PackageApi } from "../d365/dmf/package-api.js";
import { Entities } from "../d365/entities.js";
import { D365Error } from "../d365/errors.js";
import { and, eq } from "../d365/query.js";
import { createTarget, type JournalTarget } from "../d365/targets/index.js";
import { HttpsTransport, TransportFailure } from "../d365/transport.js";
import { checkStore } from "../outbox/check.js";
import { type CauseCode, causeOf } from "./causes.js";
import { createAndDelete, postingCheck, probeJournal, writeCheck } from "./write-checks.js";

export type CheckStatus = "pass" | "warn" | "fail" | "skipped";

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly evidence: Record<string, string | number | boolean>;
  readonly cause?: ReturnType<typeof causeOf>;
  /** Further causes the check found (the master data of a file can have several). */
  readonly more?: readonly ReturnType<typeof causeOf>[];
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: CheckResult[];
}

export interface DoctorInputs {
  /** The configuration as the checks should see it (the emulator's, when none is configured). */
  readonly config: BridgeConfig;
  /** The configuration as written (its warnings are the URL's problems). */
  readonly configured: BridgeConfig;
  /** Made only when the configuration check passed: credentials refuse malformed settings at once. */
  readonly tokens: () => TokenProvider;
  readonly client: () => D365Client;
  readonly writeProbe: boolean;
  /** The delivery target (default: made from the configuration); prepared by the target check. */
  readonly target?: JournalTarget;
  /** Journals of the --file, for the master data check. */
  readonly journals?: readonly Journal[];
  /** What the target's compile refused in the --file (located); undefined without --file. */
  readonly targetProblems?: readonly Issue[];
}

/** Tenant names that are no tenant: client credentials need the environment's own tenant. */
const MULTI_TENANT = /^(common|organizations|consumers)$/i;

/**
 * AZURE_CLIENT_ID without a secret or certificate, and no credential chosen: the configuration falls
 * back to DefaultAzureCredential, which is rarely what was meant (a secret variable forgotten).
 */
function secretForgotten(config: BridgeConfig, configured: BridgeConfig): boolean {
  const credential = configured.auth.credential;
  return (
    config.auth.kind === "default" &&
    credential.clientId !== undefined &&
    credential.clientSecret === undefined &&
    credential.certificatePath === undefined
  );
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

const AUTH_CAUSES: Partial<Record<string, CauseCode>> = {
  AUTH_INVALID_SECRET: "SECRET_INVALID",
  AUTH_SECRET_EXPIRED: "SECRET_EXPIRED",
  AUTH_CERTIFICATE_NOT_REGISTERED: "CERTIFICATE_NOT_UPLOADED",
  AUTH_APP_NOT_FOUND: "APP_NOT_FOUND",
  AUTH_TENANT_NOT_FOUND: "TENANT_NOT_FOUND",
  AUTH_RESOURCE_NOT_FOUND: "RESOURCE_NOT_FOUND",
  AUTH_CONSENT_REQUIRED: "CONSENT_MISSING",
  AUTH_UNTRUSTED_CERTIFICATE: "TLS_UNTRUSTED",
  AUTH_AUTHORITY_UNREACHABLE: "ENVIRONMENT_UNREACHABLE",
};

class Checks {
  readonly results: CheckResult[] = [];

  record(
    id: string,
    title: string,
    status: CheckStatus,
    evidence: CheckResult["evidence"] = {},
    cause?: CauseCode,
  ): CheckResult {
    const result: CheckResult = {
      id,
      title,
      status,
      evidence,
      ...(cause === undefined ? {} : { cause: causeOf(cause) }),
    };
    this.results.push(result);
    return result;
  }

  skip(id: string, title: string, because: string): void {
    this.record(id, title, "skipped", { reason: `skipped: ${because}` });
  }
}

export async function runDoctor(inputs: DoctorInputs): Promise<DoctorReport> {
  const checks = new Checks();
  const { config, configured } = inputs;
  const environment = config.environment;
  const url = environment?.url ?? "";

  // 1. Configuration.
  {
    const evidence: CheckResult["evidence"] = { environmentUrl: url, credential: config.auth.kind };
    const tenant = config.auth.credential.tenantId;
    if (configured.warnings.length > 0) {
      checks.record(
        "configuration",
        "Configuration",
        "warn",
        { ...evidence, warnings: configured.warnings.join(" ") },
        "URL_NOT_CANONICAL",
      );
    } else if (tenant !== undefined && MULTI_TENANT.test(tenant)) {
      checks.record(
        "configuration",
        "Configuration",
        "fail",
        { ...evidence, tenantId: tenant },
        "TENANT_NOT_SPECIFIC",
      );
    } else if (tenant !== undefined && !GUID.test(tenant) && !DOMAIN.test(tenant)) {
      checks.record(
        "configuration",
        "Configuration",
        "fail",
        { ...evidence, tenantId: tenant },
        "TENANT_ID_MALFORMED",
      );
    } else {
      const missing = (
        config.auth.kind === "secret"
          ? ["clientId", "clientSecret", "tenantId"]
          : config.auth.kind === "certificate"
            ? ["clientId", "certificatePath", "tenantId"]
            : []
      ).filter((field) => config.auth.credential[field as keyof typeof config.auth.credential] === undefined);
      if (missing.length > 0)
        checks.record(
          "configuration",
          "Configuration",
          "fail",
          { ...evidence, missing: missing.join(", ") },
          "CREDENTIAL_INCOMPLETE",
        );
      else if (secretForgotten(config, configured))
        checks.record(
          "configuration",
          "Configuration",
          "warn",
          { ...evidence, clientId: "set", clientSecret: "not set", certificate: "not set" },
          "SECRET_MISSING",
        );
      else checks.record("configuration", "Configuration", "pass", evidence);
    }
  }
  const configFailed = checks.results.at(-1)?.status === "fail";

  // 2. Reachability: DNS, TLS, the /data root, the server's clock.
  let reachable = false;
  if (configFailed) checks.skip("reachability", "Reachability", "the configuration check failed");
  else {
    const host = new URL(url).hostname;
    try {
      await lookup(host);
      const transport = new HttpsTransport({
        maxSockets: 1,
        ...(config.caCertPem === undefined ? {} : { ca: config.caCertPem }),
      });
      try {
        const answer = await transport.send({
          method: "GET",
          url: new URL("/data/", `${url}/`),
          headers: { accept: "application/json" },
          timeoutMs: 15_000,
        });
        reachable = true;
        const evidence: CheckResult["evidence"] = { url: `${url}/data/`, status: answer.status };
        const date = answer.headers.date;
        const skewSeconds = typeof date === "string" ? Math.round((Date.now() - Date.parse(date)) / 1000) : 0;
        evidence.clockSkewSeconds = skewSeconds;
        if (Math.abs(skewSeconds) > 300)
          checks.record("reachability", "Reachability", "warn", evidence, "CLOCK_SKEW");
        else checks.record("reachability", "Reachability", "pass", evidence);
      } catch (error) {
        const failure = error as TransportFailure;
        const tls = failure instanceof TransportFailure && failure.kind === "tls";
        checks.record(
          "reachability",
          "Reachability",
          "fail",
          { url: `${url}/data/`, error: failure.code ?? failure.message },
          tls ? "TLS_UNTRUSTED" : "ENVIRONMENT_UNREACHABLE",
        );
      } finally {
        transport.close();
      }
    } catch (error) {
      checks.record(
        "reachability",
        "Reachability",
        "fail",
        { host, error: (error as NodeJS.ErrnoException).code ?? String(error) },
        "DNS_FAILED",
      );
    }
  }

  // 3. Token.
  let token: string | undefined;
  if (!reachable) checks.skip("token", "Token from Entra ID", "the environment is not reachable");
  else {
    try {
      token = await inputs.tokens().token();
      checks.record("token", "Token from Entra ID", "pass", { scope: config.environment?.scope ?? "" });
    } catch (error) {
      const auth = error instanceof AuthError ? error : undefined;
      checks.record(
        "token",
        "Token from Entra ID",
        "fail",
        {
          scope: config.environment?.scope ?? "",
          errorCode: auth?.code ?? "AUTH_FAILED",
          ...(auth?.aadsts === undefined ? {} : { aadsts: auth.aadsts }),
          // What each credential of a chain tried (DefaultAzureCredential): the likely cause is there.
          ...Object.fromEntries((auth?.tried ?? []).map((line, index) => [`tried${index + 1}`, line])),
        },
        AUTH_CAUSES[auth?.code ?? ""] ??
          (secretForgotten(config, configured) ? "SECRET_MISSING" : "TOKEN_FAILED"),
      );
    }
  }

  // 4. Claims.
  let claimsOk = false;
  if (token === undefined) checks.skip("claims", "Token claims", "no token");
  else {
    const claims = inspectToken(token) ?? {};
    const evidence: CheckResult["evidence"] = {
      aud: claims.aud ?? "(none)",
      tid: claims.tid ?? "(none)",
      appid: claims.appid ?? "(none)",
      oid: claims.oid === undefined ? "(none)" : "present",
      ...(claims.roles === undefined ? {} : { roles: claims.roles.join(" ") }),
      ...(claims.scp === undefined ? {} : { scp: claims.scp }),
      ...(claims.exp === undefined ? {} : { expires: new Date(claims.exp * 1000).toISOString() }),
    };
    const tenant = config.auth.credential.tenantId;
    if (claims.aud !== url) checks.record("claims", "Token claims", "fail", evidence, "AUDIENCE_MISMATCH");
    else if (
      tenant !== undefined &&
      GUID.test(tenant) &&
      claims.tid?.toLowerCase() !== tenant.toLowerCase()
    ) {
      checks.record("claims", "Token claims", "fail", evidence, "TENANT_MISMATCH");
    } else if (claims.oid === undefined) checks.record("claims", "Token claims", "fail", evidence, "NO_OID");
    else {
      claimsOk = true;
      checks.record("claims", "Token claims", "pass", evidence);
    }
  }

  // 5. Read probe.
  let canRead = false;
  if (!claimsOk) checks.skip("read", "Read probe (LedgerJournalHeaders?$top=1)", "the token is not usable");
  else {
    try {
      await inputs.client().request({ method: "GET", path: "/data/LedgerJournalHeaders?$top=1" });
      canRead = true;
      checks.record("read", "Read probe (LedgerJournalHeaders?$top=1)", "pass", { status: 200 });
    } catch (error) {
      const status = error instanceof D365Error ? error.status : undefined;
      const cause: CauseCode =
        status === 401
          ? "APP_NOT_REGISTERED_OR_USER_DISABLED"
          : status === 403
            ? "NO_READ_PRIVILEGE"
            : "ENVIRONMENT_UNREACHABLE";
      checks.record(
        "read",
        "Read probe (LedgerJournalHeaders?$top=1)",
        "fail",
        { status: status ?? "none", clientId: config.auth.credential.clientId ?? "(from the environment)" },
        cause,
      );
    }
  }

  // 6. Write-token probe: an empty $batch changes nothing, and a CSRF gateway still guards it.
  if (!canRead) checks.skip("write-token", "Write token (X-CSRF-Token)", "the read probe failed");
  else {
    const empty = {
      method: "POST" as const,
      path: "/data/$batch",
      rawBody: { contentType: "multipart/mixed; boundary=doctor", bytes: Buffer.from("--doctor--\r\n") },
    };
    const before = inputs.client().metrics.csrfFetches;
    try {
      await inputs.client().request(empty);
      const fetched = inputs.client().metrics.csrfFetches > before;
      if (fetched)
        checks.record(
          "write-token",
          "Write token (X-CSRF-Token)",
          "warn",
          { demanded: true, fetched: true, accepted: true },
          "CSRF_GATEWAY",
        );
      else
        checks.record("write-token", "Write token (X-CSRF-Token)", "pass", {
          demanded: false,
          note: "F&O itself does not use CSRF tokens",
        });
    } catch (error) {
      if (error instanceof D365Error && error.code === "D365_CSRF_REJECTED") {
        checks.record(
          "write-token",
          "Write token (X-CSRF-Token)",
          "fail",
          { demanded: true, csrf: config.csrf },
          config.csrf === "never" ? "CSRF_GATEWAY" : "CSRF_REFUSED",
        );
      } else {
        // Any other answer means the write got past any gateway: nothing demands a token.
        checks.record("write-token", "Write token (X-CSRF-Token)", "pass", {
          demanded: false,
          status: error instanceof D365Error ? (error.status ?? "none") : "none",
        });
      }
    }
  }

  // 7. Target probe: its entity sets are served, and (a flat entity) its fields and marker field exist.
  const target = inputs.target ?? createTarget(config.target);
  if (!canRead) checks.skip("target", "Journal target", "the read probe failed");
  else {
    const response = await inputs.client().request({ method: "GET", path: "/data/" });
    const doc = readJson(response.body) as { value?: Array<{ name?: unknown }> } | undefined;
    const served = new Set((doc?.value ?? []).map((entry) => String(entry.name)));
    const missing = target.entitySets.filter((set) => !served.has(set));
    const prepared =
      missing.length > 0
        ? undefined
        : await target.prepare(inputs.client()).then(
            () => undefined,
            (error: unknown) => (error instanceof Error ? error.message : String(error)),
          );
    if (missing.length > 0)
      checks.record(
        "target",
        "Journal target",
        "fail",
        { target: target.kind, missing: missing.join(", ") },
        "TARGET_MISSING",
      );
    else if (prepared !== undefined)
      checks.record(
        "target",
        "Journal target",
        "fail",
        { target: target.kind, problem: prepared },
        "TARGET_NOT_EXACTLY_ONCE",
      );
    else
      checks.record("target", "Journal target", "pass", {
        target: target.kind,
        entitySets: target.entitySets.join(", "),
      });
  }
  const targetOk = checks.results.at(-1)?.status === "pass";
  // The write check runs when the entity sets are served even if the target's fields are wrong: a
  // read-only entity then shows as such, besides the fields it lacks.
  const targetServed = targetOk || checks.results.at(-1)?.cause?.code === "TARGET_NOT_EXACTLY_ONCE";

  // 7a. The package API (targets dmf-package and auto): reachable, and the data management privilege.
  if (target.packages === undefined)
    checks.skip("package-api", "Data management package API", "the target sends no data packages");
  else if (!canRead) checks.skip("package-api", "Data management package API", "the read probe failed");
  else {
    const outcome = await packageApiCheck(inputs.client(), target.packages.definitionGroup);
    checks.record(
      "package-api",
      "Data management package API",
      outcome.status,
      outcome.evidence,
      outcome.cause,
    );
  }

  // 7b. The --file's journals compiled for the target (the same compile as before storing).
  const problems = inputs.targetProblems;
  if (problems === undefined) checks.skip("target-fit", "Journals fit the target", "no --file given");
  else if (problems.length === 0)
    checks.record("target-fit", "Journals fit the target", "pass", { target: target.kind });
  else
    checks.record(
      "target-fit",
      "Journals fit the target",
      "fail",
      {
        target: target.kind,
        problems: problems.length,
        ...Object.fromEntries(
          problems
            .slice(0, 10)
            .map((found, index) => [
              `problem${index + 1}`,
              `${found.code} at ${[found.file, found.line === undefined ? undefined : `line ${found.line}`, found.field].filter(Boolean).join(", ")}: ${found.message}`,
            ]),
        ),
      },
      "JOURNALS_DO_NOT_FIT_TARGET",
    );

  // 8. Write check (every run, rolled back by F&O) and the posting service (write-checks.ts).
  const sample = inputs.journals?.[0];
  const writable = canRead && checks.results.find((result) => result.id === "write-token")?.status !== "fail";
  let probeAt: { company: string; journalName: string } | undefined;
  if (writable) probeAt = await probeCompany(inputs.client(), sample);
  if (!writable)
    checks.skip(
      "write",
      "Write check (rolled back by F&O)",
      "writes cannot pass (the read probe or the write token failed)",
    );
  else if (!targetServed || probeAt === undefined)
    checks.skip(
      "write",
      "Write check (rolled back by F&O)",
      probeAt === undefined && targetServed
        ? "no journal name could be read (JournalNames); give --file with a journal"
        : "the target check failed",
    );
  else {
    const outcome = await writeCheck(
      inputs.client(),
      target,
      probeJournal(probeAt.company, probeAt.journalName, sample),
    );
    checks.record(
      "write",
      "Write check (rolled back by F&O)",
      outcome.status,
      outcome.evidence,
      outcome.cause,
    );
  }
  if (!writable || probeAt === undefined)
    checks.skip("posting", "Posting service", "writes cannot pass, or no company to try in");
  else {
    const outcome = await postingCheck(inputs.client(), config.postingPath, probeAt.company);
    checks.record("posting", "Posting service", outcome.status, outcome.evidence, outcome.cause);
  }

  // 8b. Write probe (only when asked): an empty header, created and deleted — proves the delete right
  //     that `cleanup` needs, at the cost of a journal number.
  const journalName = probeAt?.journalName ?? "GenJrn";
  const company = probeAt?.company;
  if (!inputs.writeProbe)
    checks.skip("write-probe", "Write probe (create and delete)", "not asked for (--write-probe)");
  else if (!targetOk)
    checks.skip("write-probe", "Write probe (create and delete)", "the target check failed");
  else {
    const outcome = await createAndDelete(inputs.client(), company, journalName);
    checks.record(
      "write-probe",
      "Write probe (create and delete)",
      outcome.status,
      outcome.evidence,
      outcome.cause,
    );
  }

  // 9. Master data of the --file.
  if (inputs.journals === undefined) checks.skip("master-data", "Master data", "no --file given");
  else if (!canRead) checks.skip("master-data", "Master data", "the read probe failed");
  else checks.results.push(await masterData(inputs.client(), inputs.journals, config.target.dimensionFormat));

  // 10. Throttling seen during the checks.
  const metrics = canRead || claimsOk ? inputs.client().metrics : { throttled: 0, throttleWaitMs: 0 };
  const pause = canRead || claimsOk ? inputs.client().gate.remainingMs() : 0;
  if (metrics.throttled > 0 || pause > 0) {
    checks.record(
      "throttling",
      "Throttling",
      "warn",
      { responses429: metrics.throttled, waitedMs: metrics.throttleWaitMs, pauseLeftMs: pause },
      "THROTTLED",
    );
  } else checks.record("throttling", "Throttling", "pass", { responses429: 0 });

  // 11. The outbox store: reachable, and (SQLite) every page sound and SQLite's quick_check.
  const store = await checkStore(config.store);
  checks.record(
    "store",
    "Outbox store",
    store.ok ? "pass" : "fail",
    Object.fromEntries([
      ["engine", store.engine],
      ...store.checks.map((check) => [
        check.name.replace(/ (\w)/g, (_, letter: string) => letter.toUpperCase()),
        `${check.detail} (${check.ms} ms)`,
      ]),
    ]),
    store.ok ? undefined : store.engine === "sqlite" ? "STORE_CORRUPT" : "STORE_UNREACHABLE",
  );

  return { ok: checks.results.every((result) => result.status !== "fail"), checks: checks.results };
}

/**
 * Where the write check tries: the --file's first journal's company and journal name, else a journal
 * name of the user's default company (F&O answers a company-specific read without cross-company for
 * that company only).
 */
/**
 * Asks the package API for the status of an execution that cannot exist: F&O's "not found" answer
 * proves the action is there and the user may call it, without importing anything.
 */
async function packageApiCheck(
  client: D365Client,
  definitionGroup: string,
): Promise<{ status: CheckStatus; evidence: CheckResult["evidence"]; cause?: CauseCode }> {
  const probe = "ledger-bridge-doctor-probe";
  try {
    const status = await new PackageApi(client).status(probe);
    if (status === "not-found") return { status: "pass", evidence: { definitionGroup, probe: "answered" } };
    return {
      status: "warn",
      evidence: { definitionGroup, probe: `an execution ${probe} exists (${status})` },
    };
  } catch (error) {
    const status = error instanceof D365Error ? error.status : undefined;
    const evidence = {
      definitionGroup,
      status: status ?? "none",
      error: error instanceof Error ? error.message : String(error),
    };
    if (status === 403) return { status: "fail", evidence, cause: "PACKAGE_API_FORBIDDEN" };
    if (status === 404 || status === 501) return { status: "fail", evidence, cause: "PACKAGE_API_MISSING" };
    return { status: "fail", evidence, cause: "PACKAGE_API_MISSING" };
  }
}

async function probeCompany(
  client: D365Client,
  sample: Journal | undefined,
): Promise<{ company: string; journalName: string } | undefined> {
  if (sample !== undefined) return { company: sample.company, journalName: sample.journalName };
  const entities = new Entities(client);
  const first = async (set: string, name: string) => {
    try {
      const [row] = await entities.queryAll(set, { top: 1, select: ["dataAreaId", name] });
      return row === undefined
        ? undefined
        : { company: String(row.dataAreaId).toLowerCase(), journalName: String(row[name]) };
    } catch {
      return undefined;
    }
  };
  // A role that may not read journal names may still read journals: either tells a company and name.
  return (await first("JournalNames", "Name")) ?? (await first("LedgerJournalHeaders", "JournalName"));
}

interface CompanyPeriod {
  readonly year: string;
  readonly name: string;
  /** ISO dates, inclusive. */
  readonly start: string;
  readonly end: string;
  readonly status: string;
}

/**
 * A company's operating periods with their status, as F&O keeps them: the ledger names its fiscal
 * calendar (Ledgers), the calendar its periods (FiscalPeriods), and the ledger each period's status
 * (LedgerFiscalPeriods).
 */
async function companyPeriods(entities: Entities, company: string): Promise<CompanyPeriod[]> {
  const ledger = await entities.get("Ledgers", { LegalEntityId: company });
  const calendar = String(ledger?.FiscalCalendar ?? "");
  if (ledger === undefined || calendar === "") return [];
  const [periods, statuses] = await Promise.all([
    entities.queryAll("FiscalPeriods", {
      filter: and(
        eq("Calendar", calendar),
        eq("Type", { enumType: "FiscalPeriodType", member: "Operating" }),
      ),
      select: ["FiscalYear", "PeriodName", "StartDate", "EndDate"],
    }),
    entities.queryAll("LedgerFiscalPeriods", {
      filter: and(eq("Calendar", calendar), eq("LedgerName", String(ledger.Name ?? ""))),
      select: ["YearName", "PeriodName", "PeriodStatus"],
    }),
  ]);
  const statusOf = new Map(
    statuses.map((row) => [`${String(row.YearName)}|${String(row.PeriodName)}`, String(row.PeriodStatus)]),
  );
  return periods.map((row) => ({
    year: String(row.FiscalYear),
    name: String(row.PeriodName),
    start: String(row.StartDate).slice(0, 10),
    end: String(row.EndDate).slice(0, 10),
    status:
      statusOf.get(`${String(row.FiscalYear)}|${String(row.PeriodName)}`) ?? "not set up for this ledger",
  }));
}

/** Where each account type other than Ledger lives, and what makes an account unusable (F&O's entities). */
const COUNTERPARTIES: Record<
  Exclude<AccountType, "Ledger">,
  {
    entitySet: string;
    key: string;
    what: string;
    blocked: (row: Record<string, unknown>) => string | undefined;
  }
> = {
  Cust: {
    entitySet: "CustomersV3",
    key: "CustomerAccount",
    what: "customer",
    blocked: (row) => (row.OnHoldStatus === "All" ? "is on hold for all transactions" : undefined),
  },
  Vend: {
    entitySet: "VendorsV2",
    key: "VendorAccountNumber",
    what: "vendor",
    blocked: (row) => (row.OnHoldStatus === "All" ? "is on hold for all transactions" : undefined),
  },
  Bank: {
    entitySet: "BankAccounts",
    key: "BankAccountId",
    what: "bank account",
    // Inactive for new transactions or for all: a new journal line may use neither.
    blocked: (row) =>
      row.BankAccountStatus === "InactiveForNewTransactions" ||
      row.BankAccountStatus === "InactiveForAllTransactions"
        ? "is inactive"
        : undefined,
  },
};

/** Where a value is used: the first journals and lines that name it. */
class Uses {
  private readonly places = new Map<string, string[]>();
  add(value: string, journal: Journal, line: number): void {
    const list = this.places.get(value) ?? [];
    if (list.length < 3) list.push(`${journal.key} line ${line + 1}`);
    this.places.set(value, list);
  }
  values(): string[] {
    return [...this.places.keys()];
  }
  where(value: string): string {
    return (this.places.get(value) ?? []).join(", ");
  }
  get size(): number {
    return this.places.size;
  }
}

/**
 * The master data the --file's journals use, each value once: every problem is reported (its cause,
 * the value, and the journals and lines using it), not only the first.
 */
async function masterData(
  client: D365Client,
  journals: readonly Journal[],
  /** The dimension format, to read the dimension segments of ledger account display values. */
  format: readonly string[] | undefined,
): Promise<CheckResult> {
  const entities = new Entities(client);
  const accounts = new Uses();
  const counterparties = new Uses();
  const dimensions = new Uses();
  const currencies = new Uses();
  const names = new Uses();
  const dates = new Uses();
  for (const journal of journals) {
    journal.lines.forEach((line, index) => {
      names.add(`${journal.company}|${journal.journalName}`, journal, index);
      currencies.add(line.currency, journal, index);
      dates.add(`${journal.company}|${line.transDate}`, journal, index);
      const sides: Array<[AccountType, string]> = [[line.accountType, line.account]];
      if (line.offsetAccount !== undefined)
        sides.push([line.offsetAccountType ?? "Ledger", line.offsetAccount]);
      for (const [type, account] of sides)
        if (type === "Ledger") {
          const [main, ...segments] = account.split("-");
          accounts.add(main ?? account, journal, index);
          segments.forEach((value, position) => {
            const name = format?.[position];
            if (name !== undefined && value !== "") dimensions.add(`${name}|${value}`, journal, index);
          });
        } else counterparties.add(`${type}|${journal.company}|${account}`, journal, index);
      for (const [name, value] of Object.entries(line.dimensions ?? {}))
        if (value !== "") dimensions.add(`${name}|${value}`, journal, index);
    });
  }
  const findings: { cause: CauseCode; text: string }[] = [];
  const found = (cause: CauseCode, text: string, uses: Uses, value: string) =>
    findings.push({ cause, text: `${text} (${uses.where(value)})` });
  for (const account of accounts.values()) {
    const [row] = await entities.queryAll("MainAccounts", { filter: eq("MainAccountId", account), top: 1 });
    if (row === undefined) found("ACCOUNT_MISSING", `account ${account} does not exist`, accounts, account);
    else if (row.IsSuspended === "Yes" || row.DoNotAllowManualEntry === "Yes")
      found(
        "ACCOUNT_BLOCKED",
        `account ${account} is ${row.IsSuspended === "Yes" ? "suspended" : "closed to manual entry"}`,
        accounts,
        account,
      );
  }
  for (const entry of counterparties.values()) {
    const [type, company, account] = entry.split("|") as [AccountType, string, string];
    const lookup = COUNTERPARTIES[type as Exclude<AccountType, "Ledger">];
    const [row] = await entities.queryAll(lookup.entitySet, {
      filter: and(eq("dataAreaId", company), eq(lookup.key, account)),
      top: 1,
      crossCompany: true,
    });
    if (row === undefined)
      found(
        "COUNTERPARTY_MISSING",
        `${lookup.what} ${account} does not exist in ${company}`,
        counterparties,
        entry,
      );
    else {
      const blocked = lookup.blocked(row);
      if (blocked !== undefined)
        found(
          "COUNTERPARTY_BLOCKED",
          `${lookup.what} ${account} ${blocked} (${company})`,
          counterparties,
          entry,
        );
    }
  }
  for (const entry of dimensions.values()) {
    const [name, value] = entry.split("|") as [string, string];
    const [row] = await entities.queryAll("FinancialDimensionValues", {
      filter: and(eq("FinancialDimension", name), eq("DimensionValue", value)),
      top: 1,
    });
    if (row === undefined)
      found(
        "DIMENSION_VALUE_MISSING",
        `value ${value} of dimension ${name} does not exist`,
        dimensions,
        entry,
      );
    else if (row.IsSuspended === "Yes" || row.IsBlockedForManualEntry === "Yes")
      found(
        "DIMENSION_VALUE_BLOCKED",
        `value ${value} of dimension ${name} is ${row.IsSuspended === "Yes" ? "suspended" : "blocked for manual entry"}`,
        dimensions,
        entry,
      );
  }
  for (const currency of currencies.values())
    if ((await entities.get("Currencies", { CurrencyCode: currency })) === undefined)
      found("CURRENCY_MISSING", `currency ${currency} does not exist`, currencies, currency);
  for (const entry of names.values()) {
    const [company, name] = entry.split("|") as [string, string];
    const rows = await entities.queryAll("JournalNames", {
      filter: and(eq("dataAreaId", company), eq("Name", name)),
      crossCompany: true,
    });
    if (rows.length === 0)
      found("JOURNAL_NAME_MISSING", `journal name ${name} does not exist in ${company}`, names, entry);
  }
  const periodsOf = new Map<string, CompanyPeriod[] | undefined>();
  const unreadable: string[] = [];
  for (const entry of dates.values()) {
    const [company, day] = entry.split("|") as [string, string];
    if (!periodsOf.has(company)) {
      try {
        periodsOf.set(company, await companyPeriods(entities, company));
      } catch {
        periodsOf.set(company, undefined);
        unreadable.push(company);
      }
    }
    const periods = periodsOf.get(company);
    if (periods === undefined) continue;
    const period = periods.find((candidate) => candidate.start <= day && day <= candidate.end);
    if (period?.status !== "Open")
      found(
        "PERIOD_NOT_OPEN",
        `${day} is ${period === undefined ? "in no fiscal period" : `in ${period.name} ${period.year}, which is ${period.status}`} (${company})`,
        dates,
        entry,
      );
  }
  const causes = [...new Set(findings.map((finding) => finding.cause))];
  const evidence: CheckResult["evidence"] = {
    accounts: accounts.size,
    counterparties: counterparties.size,
    dimensionValues: dimensions.size,
    currencies: currencies.size,
    journalNames: names.size,
    ...(findings.length === 0 ? {} : { problems: findings.length }),
    ...Object.fromEntries(
      findings
        .slice(0, 20)
        .map((finding, index) => [`problem${index + 1}`, `${finding.cause}: ${finding.text}`]),
    ),
    ...(unreadable.length === 0
      ? {}
      : { datesNotChecked: `the fiscal periods of ${unreadable.join(", ")} cannot be read` }),
  };
  const [first, ...others] = causes;
  return {
    id: "master-data",
    title: "Master data",
    status: first === undefined ? "pass" : "fail",
    evidence,
    ...(first === undefined ? {} : { cause: causeOf(first) }),
    ...(others.length === 0 ? {} : { more: others.map((cause) => causeOf(cause)) }),
  };
}
