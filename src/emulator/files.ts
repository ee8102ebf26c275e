/**
 * Files of the emulator's data directory that several emulators may make at once (the CA, the token
 * signing key): made under a lock, each written aside and renamed into place, so a reader finds whole
 * files of one set.
 */
import { closeSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";

/** Writes `text` to `path` so that it appears whole (written aside, then renamed). */
export function putWhole(path: string, text: string, mode: number): void {
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, text, { mode });
  renameSync(aside, path);
}

/** A lock older than this was left by a process that died while making the keys. */
const STALE_LOCK_MS = 30_000;

/**
 * Runs `work` holding the lock file `lock` (made with O_EXCL): emulators started at once with one data
 * directory make their keys once between them — not a CA from one and a server certificate from the
 * other.
 */
export function withLock(lock: string, work: () => void): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const started = Date.now(); ; ) {
    let fd: number | undefined;
    try {
      fd = openSync(lock, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (fd !== undefined) {
      try {
        work();
      } finally {
        closeSync(fd);
        unlinkSync(lock);
      }
      return;
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
    } catch {
      // Gone meanwhile: the other process finished.
    }
    if (Date.now() - started > 2 * STALE_LOCK_MS) throw new Error(`Could not take ${lock}.`);
    // The keys are made in well under a second: wait a little, synchronously (start-up has nothing else to do).
    Atomics.wait(pause, 0, 0, 50);
  }
}
