/**
 * F&O's Data Management package API (../shared/reference/dmf-facts.md §3): actions bound to
 * `DataManagementDefinitionGroups`, each a POST with a JSON body whose answer's `value` is a string
 * (sometimes JSON inside a string), plus the PUT of the package to the write URL F&O hands out.
 */

import type { Sleep } from "../../common/time.js";
import { BridgeError } from "../../core/errors/bridge-error.js";
import type { D365Client, WriteOptions } from "../client.js";
import { D365Client as Client } from "../client.js";
import { D365Error } from "../errors.js";
import { ENTITY_LABEL } from "./package.js";

const ACTIONS = "/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.";

/** DMFExecutionSummaryStatus. */
export const EXECUTION_STATUSES = [
  "Unknown",
  "NotRun",
  "Executing",
  "Succeeded",
  "PartiallySucceeded",
  "Failed",
  "Canceled",
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** Whether F&O is done with the execution (nothing it holds will change any more). */
export function isFinished(status: ExecutionStatus): boolean {
  return (
    status === "Succeeded" || status === "PartiallySucceeded" || status === "Failed" || status === "Canceled"
  );
}

export interface ExecutionError {
  readonly recordId: string;
  readonly field: string;
  readonly message: string;
}

export interface ImportRequest {
  readonly packageUrl: string;
  readonly definitionGroupId: string;
  readonly executionId: string;
  readonly legalEntityId: string;
}

export class PackageApi {
  constructor(private readonly client: D365Client) {}

  private async action(
    name: string,
    body: Record<string, unknown>,
    options: WriteOptions & { readOnly?: boolean } = {},
  ): Promise<unknown> {
    const response = await this.client.request({
      method: "POST",
      path: `${ACTIONS}${name}`,
      body,
      ...options,
    });
    const answer = Client.json(response) as { value?: unknown } | undefined;
    if (answer === undefined || !("value" in answer))
      throw new D365Error("D365_INVALID_RESPONSE", `${name} answered without a value.`, {
        method: "POST",
        url: `${ACTIONS}${name}`,
        requestId: response.requestId,
        status: response.status,
      });
    return answer.value;
  }

  /** A write URL for the package (`value` is JSON inside a string: BlobId and BlobUrl). */
  async writeUrl(uniqueFileName: string, options: WriteOptions = {}): Promise<string> {
    const value = await this.action("GetAzureWriteUrl", { uniqueFileName }, { ...options, readOnly: true });
    try {
      const parsed = JSON.parse(String(value)) as { BlobUrl?: unknown };
      if (typeof parsed.BlobUrl === "string" && parsed.BlobUrl !== "") return parsed.BlobUrl;
    } catch {
      // falls through to the error below
    }
    throw new BridgeError("D365_INVALID_RESPONSE", "GetAzureWriteUrl answered without a BlobUrl.");
  }

  upload(url: string, bytes: Buffer, options: WriteOptions = {}): Promise<void> {
    return this.client.putBlob(url, bytes, options);
  }

  /** Starts the import under our execution id; F&O answers with the id. */
  async importFromPackage(request: ImportRequest, options: WriteOptions = {}): Promise<string> {
    const value = await this.action(
      "ImportFromPackage",
      {
        packageUrl: request.packageUrl,
        definitionGroupId: request.definitionGroupId,
        executionId: request.executionId,
        execute: true,
        overwrite: true,
        legalEntityId: request.legalEntityId,
      },
      options,
    );
    return String(value);
  }

  /**
   * The execution's summary status, or "not-found" when F&O has no record of it (the import was
   * never started: F&O answers "Execution details were not found for execution id").
   */
  async status(executionId: string, signal?: AbortSignal): Promise<ExecutionStatus | "not-found"> {
    let value: unknown;
    try {
      value = await this.action(
        "GetExecutionSummaryStatus",
        { executionId },
        { readOnly: true, ...(signal ? { signal } : {}) },
      );
    } catch (error) {
      if (error instanceof D365Error && /were not found/i.test(errorText(error))) return "not-found";
      throw error;
    }
    const status = EXECUTION_STATUSES.find((name) => name === value);
    if (status === undefined)
      throw new BridgeError(
        "D365_INVALID_RESPONSE",
        `GetExecutionSummaryStatus answered '${String(value)}'.`,
      );
    return status;
  }

  /**
   * The batch numbers of the records that did not reach the target (the error keys file):
   * GenerateImportTargetErrorKeysFile says whether there are any; its URL is empty while F&O writes
   * the file, so it is asked for again after each of `delays`.
   */
  async failedBatches(executionId: string, delays: readonly number[], sleep: Sleep): Promise<Set<string>> {
    const entityName = ENTITY_LABEL;
    const exists = await this.action(
      "GenerateImportTargetErrorKeysFile",
      { executionId, entityName },
      { readOnly: true },
    );
    if (exists !== true) return new Set();
    for (const delay of [0, ...delays]) {
      if (delay > 0) await sleep(delay);
      const url = await this.action(
        "GetImportTargetErrorKeysFileUrl",
        { executionId, entityName },
        { readOnly: true },
      );
      if (typeof url === "string" && url !== "") {
        const bytes = await this.client.getBlob(url);
        const text =
          bytes[0] === 0xff && bytes[1] === 0xfe
            ? bytes.subarray(2).toString("utf16le")
            : bytes.toString("utf8");
        return parseErrorKeys(text);
      }
    }
    return new Set();
  }

  /**
   * The execution's errors. F&O gives a JSON list inside a string whose messages may carry
   * unescaped quotes and line breaks: a string that does not parse is read record by record.
   */
  async errors(executionId: string): Promise<ExecutionError[]> {
    const value = await this.action("GetExecutionErrors", { executionId }, { readOnly: true });
    return parseExecutionErrors(value);
  }
}

/** The error keys file's first column: the placeholder batch numbers with records that failed. */
export function parseErrorKeys(text: string): Set<string> {
  const [, ...rows] = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  return new Set(rows.map((row) => row.split(",")[0]?.trim() ?? "").filter((batch) => batch !== ""));
}

function errorText(error: D365Error): string {
  return [error.message, error.details.odataMessage, error.details.innerMessage].filter(Boolean).join(" ");
}

export function parseExecutionErrors(value: unknown): ExecutionError[] {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? []);
  if (text.trim() === "") return [];
  try {
    const list = JSON.parse(text) as Array<Record<string, unknown>>;
    if (Array.isArray(list))
      return list.map((item) => ({
        recordId: String(item.RecordId ?? ""),
        field: String(item.Field ?? ""),
        message: String(item.ErrorMessage ?? ""),
      }));
  } catch {
    // A message with raw quotes or line breaks: read each record by its keys instead.
  }
  const found: ExecutionError[] = [];
  const record =
    /"RecordId"\s*:\s*"([^"]*)"\s*,\s*"Field"\s*:\s*"([^"]*)"\s*,\s*"ErrorMessage"\s*:\s*"([\s\S]*?)"\s*\}/g;
  for (const match of text.matchAll(record))
    found.push({ recordId: match[1] ?? "", field: match[2] ?? "", message: match[3] ?? "" });
  return found;
}
