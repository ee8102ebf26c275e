/**
 * An Azure Blob Storage inbox: a container whose `inbound/` blobs are taken, and moved to
 * `processed/` or `error/` with `<name>.report.json` beside them. Blob storage has no atomic rename,
 * so a blob is taken with a **lease** (renewed while it is being taken): no other taker can get one
 * on it. The move is an upload of the bytes already read, then the delete of the leased blob. A taker
 * that stops mid-file lets its lease lapse; the next taker takes the blob again, and its journals'
 * keys keep it from being stored twice. Contents taken are remembered in `.taken/<sha256>` blobs.
 */
import { type ContainerClient, RestError } from "@azure/storage-blob";
import { DEFAULTS } from "../config/defaults.js";
import { readEnvironment } from "../config/schema.js";
import { BridgeError } from "../core/errors/bridge-error.js";
import { type Claim, type Inbox, ignoredName, type PickupReport } from "./inbox.js";

/** Azure allows leases of 15 to 60 seconds (or infinite, never used: a stopped taker would keep it). */
export const DEFAULT_LEASE_SECONDS: number = DEFAULTS.pickupLeaseSeconds;

const status = (error: unknown) => (error instanceof RestError ? error.statusCode : undefined);

export class BlobInbox implements Inbox {
  readonly description: string;

  constructor(
    private readonly container: ContainerClient,
    private readonly leaseSeconds = DEFAULT_LEASE_SECONDS,
  ) {
    if (leaseSeconds < 15 || leaseSeconds > 60) throw new RangeError("A blob lease lasts 15 to 60 seconds.");
    this.description = `container ${container.containerName}`;
  }

  async open(): Promise<this> {
    await this.container.createIfNotExists();
    return this;
  }

  async next(): Promise<Claim | undefined> {
    const waiting: Array<{ name: string; modified: number }> = [];
    for await (const blob of this.container.listBlobsFlat({ prefix: "inbound/" })) {
      const name = blob.name.slice("inbound/".length);
      if (name === "" || name.includes("/") || ignoredName(name)) continue;
      if (blob.properties.leaseState === "leased") continue;
      waiting.push({ name, modified: blob.properties.lastModified.getTime() });
    }
    waiting.sort((a, b) => a.modified - b.modified || (a.name < b.name ? -1 : 1));
    for (const { name } of waiting) {
      const blob = this.container.getBlobClient(`inbound/${name}`);
      const lease = blob.getBlobLeaseClient();
      try {
        await lease.acquireLease(this.leaseSeconds);
      } catch (error) {
        // Another taker holds it (409), or it went away (404): look at the next one.
        if (status(error) === 409 || status(error) === 404) continue;
        throw error;
      }
      // Renewed well before it lapses, for as long as the file is being taken.
      const renewal = setInterval(
        () => lease.renewLease().catch(() => undefined),
        (this.leaseSeconds * 1000) / 3,
      );
      renewal.unref();
      const conditions = { conditions: { leaseId: lease.leaseId } };
      let bytes: Buffer | undefined;
      return {
        name,
        read: async () => {
          bytes = await blob.downloadToBuffer(0, undefined, conditions);
          return bytes;
        },
        // The lease let go, so the next look (this taker's or another's) can take the blob again.
        abandon: async () => {
          clearInterval(renewal);
          await lease.releaseLease().catch(() => undefined);
        },
        finish: async (report: PickupReport) => {
          try {
            const folder = report.status === "failed" ? "error" : "processed";
            bytes ??= await blob.downloadToBuffer(0, undefined, conditions);
            const target = await this.freeName(folder, name, report.sha256);
            // The report first: a stop before the delete leaves the blob in inbound/, taken again.
            await this.container
              .getBlockBlobClient(`${folder}/${target}.report.json`)
              .uploadData(Buffer.from(`${JSON.stringify(report, null, 2)}\n`), {
                blobHTTPHeaders: { blobContentType: "application/json" },
              });
            await this.container
              .getBlockBlobClient(`${folder}/${target}`)
              .uploadData(bytes, { metadata: { sha256: report.sha256 } });
            await blob.delete(conditions);
          } finally {
            clearInterval(renewal);
          }
        },
      };
    }
    return undefined;
  }

  /**
   * The name itself, or one with a number before the extension when another file of that name is
   * there; the same content under the same name (a move that stopped before the delete) is replaced.
   */
  private async freeName(folder: "processed" | "error", name: string, sha256: string): Promise<string> {
    const dot = name.lastIndexOf(".");
    const stem = dot > 0 ? name.slice(0, dot) : name;
    const extension = dot > 0 ? name.slice(dot) : "";
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? name : `${stem}.${n}${extension}`;
      try {
        const properties = await this.container.getBlobClient(`${folder}/${candidate}`).getProperties();
        if (properties.metadata?.sha256 === sha256) return candidate;
      } catch (error) {
        if (status(error) === 404) return candidate;
        throw error;
      }
    }
  }

  async seen(sha256: string): Promise<string | undefined> {
    try {
      const bytes = await this.container.getBlobClient(`.taken/${sha256}`).downloadToBuffer();
      return bytes.toString("utf8").trim() || undefined;
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  }

  async remember(sha256: string, name: string): Promise<void> {
    await this.container.getBlockBlobClient(`.taken/${sha256}`).uploadData(Buffer.from(`${name}\n`));
  }
}

/**
 * The container to take files from: with AZURE_STORAGE_CONNECTION_STRING (Azurite's, or an account
 * key's), else AZURE_STORAGE_ACCOUNT_URL signed in with the same Entra credential chain as F&O's.
 * The connection string is a secret: it is never logged or shown.
 */
export async function containerFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): Promise<ContainerClient> {
  const { BlobServiceClient } = await import("@azure/storage-blob");
  const connection = env.AZURE_STORAGE_CONNECTION_STRING;
  if (connection !== undefined && connection.trim() !== "")
    return BlobServiceClient.fromConnectionString(connection).getContainerClient(name);
  const url = env.AZURE_STORAGE_ACCOUNT_URL;
  if (url === undefined || url.trim() === "")
    throw new BridgeError(
      "CONFIG_MISSING",
      "--container needs AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL to reach the storage account.",
    );
  const { DefaultAzureCredential } = await import("@azure/identity");
  return new BlobServiceClient(url, new DefaultAzureCredential()).getContainerClient(name);
}

/** LEDGER_BRIDGE_PICKUP_LEASE_SECONDS: how long a blob stays taken without renewal (15–60). */
export function leaseSecondsFrom(env: Readonly<Record<string, string | undefined>>): number {
  return readEnvironment(env).LEDGER_BRIDGE_PICKUP_LEASE_SECONDS;
}
