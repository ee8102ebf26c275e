// The measured half of bench:post, on the built package (dist/), in a fresh process so that its peak
// RSS is ledger-bridge's alone. `store FILE DB`: read, validate and store in chunks (post's storing
// path, no delivery, the store on its thread as post opens it). `post FILE`: the whole command against the F&O the environment names.
import { performance } from "node:perf_hooks";

const [mode, file, db] = process.argv.slice(2);
let started = performance.now();
let result;
if (mode === "store") {
  const { openJournalFile } = await import("../dist/ingest/source.js");
  const { preflightEvents } = await import("../dist/delivery/preflight.js");
  const { createTarget } = await import("../dist/d365/targets/index.js");
  const { openThreadedStore } = await import("../dist/outbox/threaded.js");
  const { ChunkWriter } = await import("../dist/delivery/enqueue.js");
  const store = await openThreadedStore(db);
  // The rate of storing: from the first journal read to the last chunk committed.
  started = performance.now();
  const writer = new ChunkWriter(store, { source: file, post: false, run: "bench" });
  let invalid = 0;
  for await (const event of preflightEvents(await openJournalFile(file), createTarget())) {
    if (event.kind !== "journal") continue;
    if (event.read.journal === undefined) invalid++;
    else await writer.add(event.read.journal);
  }
  await writer.flush();
  await store.close();
  result = { journals: writer.created, invalid };
} else {
  const { runCli } = await import("../dist/cli/program.js");
  let stdout = "";
  const code = await runCli(["post", file, "--json"], {
    stdout: { write: (text) => (stdout += text), isTTY: false },
    stderr: { write: () => true, isTTY: false },
    env: process.env,
  });
  const doc = JSON.parse(stdout);
  result = { code, journals: doc.total, states: doc.states };
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  JSON.stringify({ ...result, seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024 }),
);
