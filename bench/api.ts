/**
 * bench:api — `ledger-bridge serve` (API + delivery worker, SQLite) in its own process, delivering to
 * the emulator in a third process (100 ms per request + 2 ms per operation, 8 in flight), loaded by autocannon with `POST /v1/journals` at increasing fixed rates, one new two-line
 * journal per request. Prints per rate: accepted journals/s, p50/p99 latency, non-2xx answers, and how
 * many journals the worker had delivered when the step ended.
 *
 * Usage: npm run bench:api [-- --rates 50,100,200,400 --seconds 10 --warmup 5 --no-worker --profile DIR
 *   --idempotency (every request with its own Idempotency-Key)]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { connectionEnv, startEmulatorProcess } from "./emulator-process.js";

const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? (process.argv[index + 1] ?? fallback) : fallback;
};
const RATES = arg("--rates", "50,100,200,400").split(",").map(Number);
const SECONDS = Number(arg("--seconds", "10"));
const WARMUP = Number(arg("--warmup", "5"));
const IDEMPOTENCY = process.argv.includes("--idempotency");
// The built CLI, as users run it (npm run bench:api builds first).
const MAIN = join(import.meta.dirname ?? ".", "..", "dist", "cli", "main.js");
// F&O is remote in production: the emulator gets its own process and the bench:deliver latency model.
const emulator = await startEmulatorProcess({
  latency: { perRequestMs: 100, perOperationMs: 2 },
  maxConcurrentRequests: 8,
});
const env: NodeJS.ProcessEnv = {
  ...process.env,
  LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-bench-api-")),
  LOG_LEVEL: "error",
  ...connectionEnv(emulator.info),
  // The load comes from one key; the per-key limit (50/s by default) would otherwise be what is measured.
  LEDGER_BRIDGE_API_RATE_LIMIT: "100000",
};

const cli = (args: string[]) => execFileSync(process.execPath, [MAIN, ...args], { env }).toString();

function startServe(): Promise<{ url: string; child: ChildProcess }> {
  const worker = process.argv.includes("--no-worker") ? ["--no-worker"] : [];
  // --profile DIR: a CPU profile of serve (open it in Chrome's DevTools) to see what delays requests.
  const profile = process.argv.includes("--profile")
    ? ["--cpu-prof", "--cpu-prof-dir", arg("--profile", "profiles")]
    : [];
  const child = spawn(process.execPath, [...profile, MAIN, "serve", "--port", "0", ...worker], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (match?.[1]) resolve({ url: match[1], child });
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

const key = JSON.parse(cli(["keys", "create", "--scope", "admin", "--label", "bench", "--json"]))
  .key as string;
const { url, child } = await startServe();
const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
let counter = 0;
const body = () => {
  counter++;
  const amount = `${(counter % 900) + 100}.${String(counter % 100).padStart(2, "0")}`;
  return JSON.stringify({
    key: `bench-api-${counter}`,
    company: "usmf",
    journalName: "GenJrn",
    lines: [
      { voucher: "V1", transDate: "2026-11-30", account: "601100", debit: amount, currency: "USD" },
      { voucher: "V1", transDate: "2026-11-30", account: "110110", credit: amount, currency: "USD" },
    ],
  });
};

async function delivered(): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`, { headers })).text();
  const match = /ledger_bridge_journals\{state="posted"\} (\d+)/.exec(metrics);
  return Number(match?.[1] ?? 0);
}

console.log(
  `bench:api — serve with its worker at ${url}; ${SECONDS} s per rate; one 2-line journal per request\n`,
);
const load = (rate: number, duration: number) =>
  autocannon({
    url: `${url}/v1/journals`,
    method: "POST",
    headers,
    connections: Math.max(4, Math.ceil(rate / 20)),
    overallRate: rate,
    duration,
    requests: [
      {
        setupRequest: (request) => {
          const next = { ...request, body: body() };
          // --idempotency: the key's record is written before and after each request.
          return IDEMPOTENCY
            ? { ...next, headers: { ...next.headers, "idempotency-key": `bench-${counter}` } }
            : next;
        },
      },
    ],
  });
// Warm-up, not measured: the first seconds of a process compile its code, fetch a token and open the
// connections to F&O; a service measured in its first seconds measures its start-up.
if (WARMUP > 0) {
  await load(50, WARMUP);
  console.log(`(warmed up: ${WARMUP} s at 50/s, not counted)\n`);
}
console.log("rate/s  accepted/s   p50 ms   p99 ms   max ms  non-2xx  posted by then");
const results = [];
for (const rate of RATES) {
  const result = await load(rate, SECONDS);
  const accepted = result["2xx"] / (result.duration || SECONDS);
  const posted = await delivered();
  results.push({ rate, accepted, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max });
  console.log(
    `${String(rate).padStart(6)}  ${accepted.toFixed(1).padStart(10)}  ${String(result.latency.p50).padStart(7)}  ${String(result.latency.p99).padStart(7)}  ${String(result.latency.max).padStart(7)}  ${String(result.non2xx + result.errors).padStart(7)}  ${String(posted).padStart(14)}`,
  );
}
const target = results.find((row) => row.rate === 200);
if (target !== undefined)
  console.log(
    `\nTarget p99 < 50 ms at 200 journals/s: ${target.p99 < 50 && target.accepted >= 190 ? "met" : "NOT met"} (p99 ${target.p99} ms, ${target.accepted.toFixed(1)} accepted/s).`,
  );
child.kill("SIGTERM");
emulator.stop();
