/** An inbox from what a command names: a folder, or an Azure Blob container reached through the environment. */
import { BlobInbox, containerFromEnv, leaseSecondsFrom } from "./blob-inbox.js";
import { FolderInbox } from "./folder-inbox.js";
import type { Inbox } from "./inbox.js";

export async function openInbox(
  source: { readonly folder: string } | { readonly container: string },
  env: Readonly<Record<string, string | undefined>>,
): Promise<Inbox> {
  if ("folder" in source) return new FolderInbox(source.folder).open();
  return new BlobInbox(await containerFromEnv(env, source.container), leaseSecondsFrom(env)).open();
}
