/**
 * F&O's Data Management package API, as ../shared/reference/dmf-facts.md describes it: the actions
 * bound to DataManagementDefinitionGroups, a blob service for the write URLs, and imports of the
 * General journal entity that run over time and apply the same journal rules as OData (journals.ts).
 *
 * What F&O refuses, this refuses: a package without Manifest.xml or PackageHeader.xml, a manifest
 * outside the DataManagement namespace, an entity label F&O does not know (400), a manifest without
 * field maps (the import "succeeds" with no rows, as seen from F&O), a data file that is not UTF-16
 * ("Selected file is not Unicode") or not CRLF ("the mapping is incorrect"), a re-used execution id,
 * a second running import of one data project unless parallel imports are on.
 *
 * Executions live in memory: an emulator restart forgets them (the journals they made stay).
 */
import { randomBytes, randomUUID } from "node:crypto";
import Big from "big.js";
import { groupBy } from "../../common/collections.js";
import { CsvTokenizer } from "../../common/csv-tokenizer.js";
import { readZip } from "../../common/zip.js";
import type { EmulatorContext } from "../context.js";
import { type EmuRequest, type EmuResponse, header, json } from "../http.js";
import type { PackageImportModel, Row } from "../state/model.js";
import { Transaction } from "../state/store.js";
import { FnoErrors } from "./errors.js";
import type { Journals } from "./journals.js";
import { canAccess, type Principal } from "./security.js";

export const PACKAGE_ACTIONS_PATH = "/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.";
export const BLOB_PATH = "/dmf/";
const ENTITY_SET = "DataManagementDefinitionGroups";
const NAMESPACE = "http://schemas.microsoft.com/dynamics/2015/01/DataManagement";
/** The entities the emulator imports, by DMF label. */
const GENERAL_JOURNAL = "General journal";
/** A write URL's validity (F&O's observed SAS window). */
const WRITE_URL_MS = 35 * 60_000;
const DEFAULT_MODEL: PackageImportModel = { startDelayMs: 0, recordsPerSecond: 0, parallel: false };

type Status = "NotRun" | "Executing" | "Succeeded" | "PartiallySucceeded" | "Failed" | "Canceled";

export interface ExecutionRecord {
  readonly id: string;
  readonly project: string;
  readonly company: string;
  readonly createdAt: number;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly records: number;
  /** Set once the import is applied. */
  outcome?: {
    status: Status;
    errors: Array<{ RecordId: string; Field: string; ErrorMessage: string }>;
    /** The keys (batch number, line number) of the records that did not reach the target. */
    failedKeys: Array<[string, string]>;
  };
  /** The error keys file: asked for (polls before it is ready), then its blob's name. */
  errorKeys?: { pollsLeft: number; blob?: string };
}

interface Blob {
  readonly sig: string;
  readonly expiresAt: number;
  bytes?: Buffer;
}

class PackageRefused extends Error {}

function text(bytes: Buffer): { value: string; unicode: boolean } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { value: bytes.subarray(2).toString("utf16le"), unicode: true };
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return { value: bytes.subarray(start).toString("utf8"), unicode: false };
}

/** One element's text (the manifest's elements are unique where it is asked). */
function element(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

export class PackageService {
  private readonly blobs = new Map<string, Blob>();
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly projects = new Set<string>();

  constructor(
    private readonly context: EmulatorContext,
    private readonly journals: Journals,
  ) {}

  private get model(): PackageImportModel {
    return { ...DEFAULT_MODEL, ...this.context.state.config.packageImport };
  }

  /** `PUT /dmf/<name>?…&sig=…` (the upload) and `GET` (F&O reading it back); the signature is checked. */
  blob(request: EmuRequest): EmuResponse {
    const name = decodeURIComponent(request.url.pathname.slice(BLOB_PATH.length));
    const slot = this.blobs.get(name);
    const sig = request.url.searchParams.get("sig");
    if (slot === undefined || sig !== slot.sig || Date.now() > slot.expiresAt)
      return {
        status: 403,
        headers: { "content-type": "application/xml", "x-ms-error-code": "AuthenticationFailed" },
        body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message></Error>',
      };
    if (request.method === "PUT") {
      if (header(request, "x-ms-blob-type") !== "BlockBlob")
        return {
          status: 400,
          headers: { "content-type": "application/xml", "x-ms-error-code": "MissingRequiredHeader" },
          body: '<?xml version="1.0" encoding="utf-8"?><Error><Code>MissingRequiredHeader</Code><Message>An HTTP header that\'s mandatory for this request is not specified: x-ms-blob-type.</Message></Error>',
        };
      slot.bytes = request.body;
      return { status: 201, headers: { "content-length": "0" } };
    }
    if (request.method === "GET" && slot.bytes !== undefined)
      return { status: 200, headers: { "content-type": "application/octet-stream" }, body: slot.bytes };
    return { status: 404, headers: { "x-ms-error-code": "BlobNotFound" } };
  }

  /** An action; the import is F&O's batch job (its own transactions), not this request's. */
  action(request: EmuRequest, principal: Principal): EmuResponse | Promise<EmuResponse> {
    const action = request.url.pathname.slice(PACKAGE_ACTIONS_PATH.length);
    if (request.method !== "POST") return FnoErrors.methodNotAllowed(request.method, action);
    if (!canAccess(principal, ENTITY_SET, "write"))
      return FnoErrors.forbidden(`use the data management package API (user ${principal.user.userId})`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString("utf8") || "{}");
    } catch {
      return FnoErrors.badRequest("The request body is not valid JSON.");
    }
    const value = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : "");
    const answer = (result: unknown) =>
      json(200, { "@odata.context": `${request.origin}/data/$metadata#Edm.String`, value: result });
    switch (action) {
      case "GetAzureWriteUrl": {
        const name = value("uniqueFileName") || randomUUID();
        const storage = this.context.state.config.packageStorage;
        if (storage !== undefined)
          return storageWriteUrl(storage.connectionString, name).then((url) =>
            answer(JSON.stringify({ BlobId: `{${randomUUID().toUpperCase()}}`, BlobUrl: url })),
          );
        const sig = randomBytes(24).toString("base64url");
        const expiresAt = Date.now() + WRITE_URL_MS;
        this.blobs.set(name, { sig, expiresAt });
        const url = `${request.origin}${BLOB_PATH}${encodeURIComponent(name)}?sv=2020-10-02&sr=b&sp=rw&se=${encodeURIComponent(new Date(expiresAt).toISOString())}&sig=${sig}`;
        return answer(JSON.stringify({ BlobId: `{${randomUUID().toUpperCase()}}`, BlobUrl: url }));
      }
      case "ImportFromPackage":
      case "ImportFromPackageAsync":
        return this.importFromPackage(principal, body).then((result) =>
          typeof result === "string" ? answer(result) : result,
        );
      case "GetExecutionSummaryStatus": {
        const execution = this.executions.get(value("executionId"));
        if (execution === undefined)
          return FnoErrors.packageAction(
            action,
            `Execution details were not found for execution id: ${value("executionId")}`,
          );
        return answer(this.statusOf(execution));
      }
      case "GetExecutionErrors": {
        const execution = this.executions.get(value("executionId"));
        return answer(JSON.stringify(execution?.outcome?.errors ?? []));
      }
      case "GenerateImportTargetErrorKeysFile": {
        // Edm.Boolean: whether any record failed; the file is ready a poll later (F&O generates it).
        const execution = this.executions.get(value("executionId"));
        const failed =
          (execution?.outcome?.failedKeys.length ?? 0) > 0 && value("entityName") === GENERAL_JOURNAL;
        if (execution !== undefined && failed) execution.errorKeys = { pollsLeft: 1 };
        return json(200, { "@odata.context": `${request.origin}/data/$metadata#Edm.Boolean`, value: failed });
      }
      case "GetImportTargetErrorKeysFileUrl": {
        const execution = this.executions.get(value("executionId"));
        const keys = execution?.errorKeys;
        if (execution === undefined || keys === undefined) return answer("");
        if (keys.pollsLeft > 0) {
          keys.pollsLeft--;
          return answer("");
        }
        keys.blob ??= this.keysFile(execution);
        const slot = this.blobs.get(keys.blob) as Blob;
        return answer(
          `${request.origin}${BLOB_PATH}${encodeURIComponent(keys.blob)}?sv=2020-10-02&sr=b&sp=r&sig=${slot.sig}`,
        );
      }
      default:
        return FnoErrors.notSupported(`The package API action ${action}`);
    }
  }

  /**
   * The error keys file as a blob: the entity's key fields of each record that did not reach the
   * target, one per line under a header (a CSV; F&O's exact layout is not documented).
   */
  private keysFile(execution: ExecutionRecord): string {
    const name = `${execution.id}-${GENERAL_JOURNAL}-ErrorKeys.csv`;
    const rows = (execution.outcome?.failedKeys ?? []).map(([batch, line]) => `${batch},${line}`);
    this.blobs.set(name, {
      sig: randomBytes(24).toString("base64url"),
      expiresAt: Date.now() + WRITE_URL_MS,
      bytes: Buffer.from(["JOURNALBATCHNUMBER,LINENUMBER", ...rows, ""].join("\r\n"), "utf8"),
    });
    return name;
  }

  statusOf(execution: ExecutionRecord): Status {
    if (execution.outcome !== undefined) return execution.outcome.status;
    return Date.now() < execution.startsAt ? "NotRun" : "Executing";
  }

  private async importFromPackage(
    principal: Principal,
    body: Record<string, unknown>,
  ): Promise<EmuResponse | string> {
    const action = "ImportFromPackage";
    const string = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : "");
    const project = string("definitionGroupId");
    const executionId = string("executionId") || `${project}-${randomUUID()}`;
    const company = (string("legalEntityId") || principal.user.defaultCompany).toLowerCase();
    if (project === "") return FnoErrors.packageAction(action, "The definition group id must be given.");
    if (this.executions.has(executionId))
      return FnoErrors.packageAction(action, `An execution with id ${executionId} already exists.`);
    if (this.projects.has(project) && body.overwrite !== true)
      return FnoErrors.packageAction(
        action,
        `The data project '${project}' exists and overwrite has not been specified.`,
      );
    if (
      !this.model.parallel &&
      [...this.executions.values()].some((other) => other.project === project && other.outcome === undefined)
    )
      return FnoErrors.packageAction(
        action,
        `An import for data project '${project}' is running; concurrent imports of one project need "Enhanced parallel package import" (DMF2025).`,
      );
    // F&O reads the package from the URL it handed out.
    const url = new URL(string("packageUrl") || "https://invalid/");
    const bytes = await this.download(url);
    if (bytes === undefined)
      return FnoErrors.packageAction(
        action,
        `The package could not be read from ${url.origin}${url.pathname}.`,
      );
    let rows: Row[];
    try {
      rows = await this.readPackage(bytes);
    } catch (error) {
      if (error instanceof PackageRefused) return FnoErrors.packageAction(action, error.message);
      throw error;
    }
    this.projects.add(project);
    const model = this.model;
    const now = Date.now();
    const startsAt = now + model.startDelayMs;
    const runMs = model.recordsPerSecond > 0 ? (rows.length * 1000) / model.recordsPerSecond : 0;
    const execution: ExecutionRecord = {
      id: executionId,
      project,
      company,
      createdAt: now,
      startsAt,
      endsAt: startsAt + runMs,
      records: rows.length,
    };
    this.executions.set(executionId, execution);
    const failAfter = model.failAfterJournals;
    if (failAfter !== undefined) {
      const { failAfterJournals: _, ...rest } = model;
      this.context.state.config.packageImport = rest;
    }
    const apply = () => {
      this.apply(execution, principal, rows, failAfter);
      this.context.changed();
    };
    const delay = execution.endsAt - now;
    if (delay <= 0) apply();
    else setTimeout(apply, delay).unref();
    return executionId;
  }

  /** The package at a write URL: the emulator's own blob, or one in the configured storage account. */
  private async download(url: URL): Promise<Buffer | undefined> {
    if (this.context.state.config.packageStorage !== undefined && !url.pathname.startsWith(BLOB_PATH)) {
      const { BlobClient } = await import("@azure/storage-blob");
      try {
        return await new BlobClient(url.toString()).downloadToBuffer();
      } catch {
        return undefined;
      }
    }
    const blob = this.blobs.get(decodeURIComponent(url.pathname.slice(BLOB_PATH.length)));
    return blob?.bytes !== undefined && url.searchParams.get("sig") === blob.sig ? blob.bytes : undefined;
  }

  /** The data file's rows as journal fields (the package's staging step); throws PackageRefused. */
  private async readPackage(bytes: Buffer): Promise<Row[]> {
    let entries: Map<string, Buffer>;
    try {
      entries = await readZip(bytes);
    } catch {
      throw new PackageRefused("The package is not a zip file.");
    }
    const manifestBytes = entries.get("Manifest.xml");
    const headerBytes = entries.get("PackageHeader.xml");
    if (manifestBytes === undefined || headerBytes === undefined)
      throw new PackageRefused("The package must contain Manifest.xml and PackageHeader.xml.");
    const manifest = text(manifestBytes).value;
    const packageHeader = text(headerBytes).value;
    if (!manifest.includes(`xmlns="${NAMESPACE}"`) || !packageHeader.includes(`xmlns="${NAMESPACE}"`))
      throw new PackageRefused("The manifest is not a data management package manifest.");
    const version = element(packageHeader, "PackageVersion");
    if (version !== "1" && version !== "2")
      throw new PackageRefused(`Package version ${version ?? "(none)"} is not supported.`);
    const entity = element(manifest, "EntityName") ?? "";
    if (entity !== GENERAL_JOURNAL)
      throw new PackageRefused(`Entity ${entity} does not exist in the target environment.`);
    const fieldMap = [...manifest.matchAll(/<XMLField>([^<]*)<\/XMLField>/g)].map(
      (match) => match[1] as string,
    );
    const file = element(manifest, "InputFilePath") ?? "";
    const data = entries.get(file);
    if (data === undefined) throw new PackageRefused(`The package has no data file ${file}.`);
    // Without field maps no entity is registered: the import "succeeds" with no rows (as seen).
    if (fieldMap.length === 0) return [];
    const decoded = text(data);
    if (!decoded.unicode) throw new PackageRefused(`Selected file is not Unicode (entity ${entity}).`);
    if (/(^|[^\r])\n/.test(decoded.value))
      throw new PackageRefused(`The mapping is incorrect for entity ${entity} and field {${randomUUID()}}.`);
    const tokenizer = new CsvTokenizer(",");
    const tokens = [...tokenizer.push(decoded.value), ...tokenizer.end()];
    const records = tokens.filter((token) => "fields" in token) as Array<{ fields: string[]; line: number }>;
    const [head, ...body] = records;
    if (head === undefined) throw new PackageRefused("The header row is missing (FF004).");
    const columns = head.fields;
    const unmapped = columns.filter((column) => !fieldMap.includes(column));
    if (unmapped.length > 0)
      throw new PackageRefused(`Column ${unmapped[0]} of the file has no mapping (DMF2022).`);
    if (body.length === 0) throw new PackageRefused("At least one data row is required (DMF2053).");
    return body.map((record) => {
      if (record.fields.length !== columns.length)
        throw new PackageRefused(
          `Row ${record.line} has ${record.fields.length} values; the header has ${columns.length} (DMF2050).`,
        );
      return Object.fromEntries(columns.map((column, index) => [column, record.fields[index] ?? ""]));
    });
  }

  /**
   * The import (set-based): every JOURNALBATCHNUMBER group becomes one journal in one transaction —
   * an existing unposted journal of that number takes the lines, else a new number is drawn — with
   * the OData rules for headers and lines; a group any of whose rows fails is left out whole.
   */
  private apply(execution: ExecutionRecord, principal: Principal, rows: readonly Row[], failAfter?: number) {
    const errors: Array<{ RecordId: string; Field: string; ErrorMessage: string }> = [];
    const failedKeys: Array<[string, string]> = [];
    const groups = groupBy(rows, (row) => String(row.JOURNALBATCHNUMBER ?? ""));
    const company = execution.company;
    const asUser: Principal = { ...principal, user: { ...principal.user, defaultCompany: company } };
    let created = 0;
    let index = 0;
    for (const [batch, lines] of groups) {
      if (failAfter !== undefined && index >= failAfter) {
        errors.push({ RecordId: "", Field: "", ErrorMessage: "The batch task of the import was stopped." });
        break;
      }
      index++;
      const tx = new Transaction();
      const failure = this.importJournal(asUser, company, batch, lines, tx);
      if (failure === undefined) created++;
      else {
        tx.rollback();
        for (const line of lines) failedKeys.push([batch, String(line.LINENUMBER ?? "")]);
        errors.push({
          RecordId: batch,
          Field: failure.field,
          ErrorMessage: `Journal batch number ${batch}: ${failure.message}`,
        });
      }
    }
    const status: Status =
      failAfter !== undefined && index >= failAfter && created < groups.size
        ? "Failed"
        : errors.length === 0
          ? "Succeeded"
          : created > 0
            ? "PartiallySucceeded"
            : "Failed";
    execution.outcome = { status, errors, failedKeys };
  }

  private importJournal(
    principal: Principal,
    company: string,
    batch: string,
    lines: readonly Row[],
    tx: Transaction,
  ): { field: string; message: string } | undefined {
    const first = lines[0] as Row;
    for (const field of ["JOURNALNAME", "DESCRIPTION"]) {
      if (lines.some((line) => line[field] !== first[field]))
        return { field, message: `${field} differs between rows of one journal.` };
    }
    let number = batch;
    const existing = this.journals.header(company, batch);
    if (existing === undefined || existing.IsPosted === "Yes") {
      const header = this.journals.createHeader(
        principal,
        {
          dataAreaId: company,
          JournalName: String(first.JOURNALNAME ?? ""),
          Description: String(first.DESCRIPTION ?? ""),
        },
        tx,
      );
      if (!header.ok) return { field: "JOURNALNAME", message: messageOf(header.response) };
      number = String(header.value.JournalBatchNumber);
    }
    for (const line of lines) {
      const decimal = (name: string) => {
        const value = String(line[name] ?? "");
        return value === "" ? undefined : new Big(value);
      };
      const input: Row = {
        dataAreaId: company,
        JournalBatchNumber: number,
        LineNumber: new Big(String(line.LINENUMBER ?? "0") || "0"),
        Voucher: String(line.VOUCHER ?? ""),
        TransDate: `${String(line.TRANSDATE ?? "")}T00:00:00Z`,
        AccountType: String(line.ACCOUNTTYPE || "Ledger"),
        AccountDisplayValue: String(line.ACCOUNTDISPLAYVALUE ?? ""),
        CurrencyCode: String(line.CURRENCYCODE ?? ""),
        Text: String(line.TEXT ?? ""),
      };
      if (line.OFFSETACCOUNTDISPLAYVALUE) {
        input.OffsetAccountType = String(line.OFFSETACCOUNTTYPE || "Ledger");
        input.OffsetAccountDisplayValue = String(line.OFFSETACCOUNTDISPLAYVALUE);
      }
      if (line.DEFAULTDIMENSIONDISPLAYVALUE)
        input.DefaultDimensionDisplayValue = String(line.DEFAULTDIMENSIONDISPLAYVALUE);
      for (const [column, field] of [
        ["DEBITAMOUNT", "DebitAmount"],
        ["CREDITAMOUNT", "CreditAmount"],
        ["EXCHANGERATE", "ExchRate"],
      ] as const) {
        try {
          const value = decimal(column);
          if (value !== undefined) input[field] = value;
        } catch {
          return {
            field: column,
            message: `'${String(line[column])}' is not a number (line ${String(line.LINENUMBER)}).`,
          };
        }
      }
      const created = this.journals.createLine(principal, input, tx);
      if (!created.ok)
        return {
          field: "LINENUMBER",
          message: `line ${String(line.LINENUMBER)}: ${messageOf(created.response)}`,
        };
    }
    return undefined;
  }

  /** Forgets blobs and executions (the admin API's reset). */
  reset(): void {
    this.blobs.clear();
    this.executions.clear();
    this.projects.clear();
  }
}

/**
 * A write URL in a storage account (Azurite's, in tests): a blob SAS for read and write in container
 * `dmf`, valid as long as F&O's.
 */
async function storageWriteUrl(connectionString: string, name: string): Promise<string> {
  const storage = await import("@azure/storage-blob");
  const service = storage.BlobServiceClient.fromConnectionString(connectionString);
  const container = service.getContainerClient("dmf");
  await container.createIfNotExists();
  return container.getBlockBlobClient(name).generateSasUrl({
    permissions: storage.BlobSASPermissions.parse("rw"),
    expiresOn: new Date(Date.now() + WRITE_URL_MS),
  });
}

/** The Infolog text of an OData failure. */
function messageOf(response: EmuResponse): string {
  try {
    const body = JSON.parse(String(response.body ?? "{}")) as {
      error?: { message?: string; innererror?: { message?: string } };
    };
    return body.error?.innererror?.message ?? body.error?.message ?? `status ${response.status}`;
  } catch {
    return `status ${response.status}`;
  }
}
