/**
 * Starts a module of this package on a worker thread. Built, the module is a .js file; run from the
 * sources (tests under tsx) it is .ts and the thread registers tsx's loader first, since a thread
 * does not inherit the loader of the thread that started it.
 */
import { type Transferable, Worker } from "node:worker_threads";

/** `sibling`: new URL("./name", import.meta.url) of the caller, without an extension. */
export function startModuleThread(
  sibling: URL,
  workerData: unknown,
  transferList: Transferable[] = [],
): Worker {
  const typescript = import.meta.url.endsWith(".ts");
  const entry = new URL(`${sibling.href}${typescript ? ".ts" : ".js"}`);
  if (!typescript) return new Worker(entry, { workerData, transferList });
  return new Worker(
    `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`,
    { eval: true, workerData, transferList },
  );
}
