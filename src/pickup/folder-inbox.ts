/**
 * A folder inbox: `inbound/` where files are dropped, `processing/` while one is being taken,
 * `processed/` and `error/` when done, each file with `<name>.report.json` beside it. A file is taken
 * by renaming it into `processing/` (atomic on one file system: two takers cannot both get it); one
 * found there at the next look was left by a taker that stopped mid-file and is taken again — its
 * journals' keys make that safe. Contents taken are remembered in `.taken/<sha256>`.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { type Claim, type Inbox, ignoredName, type PickupReport } from "./inbox.js";

const FOLDERS = ["inbound", "processing", "processed", "error", ".taken"] as const;

export class FolderInbox implements Inbox {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `folder ${root}`;
  }

  private path(folder: (typeof FOLDERS)[number], name = ""): string {
    return join(this.root, folder, name);
  }

  async open(): Promise<this> {
    for (const folder of FOLDERS) await mkdir(this.path(folder), { recursive: true });
    return this;
  }

  async next(): Promise<Claim | undefined> {
    // Left behind by a taker that stopped, or given up by this one: taken again first. (One taker
    // per folder, taking one file at a time: nothing in processing/ is being taken right now.)
    for (const name of await this.files("processing")) return this.claim(name);
    const waiting = await this.files("inbound");
    const dated = await Promise.all(
      waiting.map(async (name) => ({
        name,
        mtime: (await stat(this.path("inbound", name)).catch(() => undefined))?.mtimeMs,
      })),
    );
    const oldestFirst = dated
      .filter((each): each is { name: string; mtime: number } => each.mtime !== undefined)
      .sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : 1));
    for (const { name } of oldestFirst) {
      try {
        await rename(this.path("inbound", name), this.path("processing", name));
      } catch (error) {
        // Another taker was first, or the file went away: look at the next one.
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      return this.claim(name);
    }
    return undefined;
  }

  private async files(folder: "inbound" | "processing"): Promise<string[]> {
    const entries = await readdir(this.path(folder), { withFileTypes: true });
    return entries.filter((entry) => entry.isFile() && !ignoredName(entry.name)).map((entry) => entry.name);
  }

  private claim(name: string): Claim {
    const from = this.path("processing", name);
    return {
      name,
      read: () => readFile(from),
      finish: async (report: PickupReport) => {
        const folder = report.status === "failed" ? "error" : "processed";
        const target = await this.freeName(folder, name);
        // The report first: a stop between the two leaves the file in processing/, taken again.
        await writeFile(this.path(folder, `${target}.report.json`), `${JSON.stringify(report, null, 2)}\n`);
        await rename(from, this.path(folder, target));
      },
      // Left in processing/, where the next look finds it.
      abandon: async () => undefined,
    };
  }

  /** The name itself, or one with a number before the extension when a file of that name is there. */
  private async freeName(folder: "processed" | "error", name: string): Promise<string> {
    const extension = extname(name);
    const stem = name.slice(0, name.length - extension.length);
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? name : `${stem}.${n}${extension}`;
      const taken = await stat(this.path(folder, candidate)).then(
        () => true,
        () => false,
      );
      if (!taken) return candidate;
    }
  }

  async seen(sha256: string): Promise<string | undefined> {
    try {
      return (await readFile(this.path(".taken", sha256), "utf8")).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async remember(sha256: string, name: string): Promise<void> {
    await writeFile(this.path(".taken", sha256), `${name}\n`);
  }
}
