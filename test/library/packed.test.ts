/**
 * The package as npm would install it: `npm pack`ed, unpacked into a temporary project's
 * node_modules (its dependencies linked from this checkout's, so nothing is downloaded or built
 * again), and used through its public entry point only — a journal read, stored, delivered and posted
 * into the emulator, and the doctor run.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);

const SCRIPT = `
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openBridge, readJournalText, startEmulator } from "ledger-bridge";

const home = mkdtempSync(join(tmpdir(), "lb-library-"));
const emulator = await startEmulator({ dataDir: join(home, "emulator") });
const bridge = await openBridge({
  LEDGER_BRIDGE_HOME: home,
  D365_URL: emulator.d365Url,
  AZURE_TENANT_ID: emulator.tenantId,
  AZURE_CLIENT_ID: emulator.clientId,
  AZURE_CLIENT_SECRET: emulator.clientSecret,
  AZURE_AUTHORITY_HOST: emulator.authorityHost,
  LEDGER_BRIDGE_CA_CERT: emulator.caCertPath,
});
const csv = [
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
  "library-1,usmf,GenJrn,V1,2026-11-30,601100,1234.56,,USD",
  "library-1,usmf,GenJrn,V1,2026-11-30,110110,,1234.56,USD",
].join("\\n");
const journals = [];
for await (const event of readJournalText("library.csv", csv))
  if (event.kind === "journal" && event.read.journal) journals.push(event.read.journal);
const stored = await bridge.enqueue(journals, { source: "library", post: true });
const claimed = await bridge.deliver();
const status = await bridge.status("library-1");
const doctor = await bridge.doctor();
console.log(JSON.stringify({
  stored,
  claimed,
  state: status?.journal.state,
  vouchers: status?.journal.vouchers?.length,
  inFno: (await emulator.admin.journals()).length,
  doctor: doctor.checks.filter((check) => check.status === "fail").map((check) => check.id),
}));
await bridge.close();
await emulator.close();
`;

describe("the packed package", () => {
  it("installs from its tarball and delivers a journal into the emulator through the public API only", async () => {
    const project = mkdtempSync(join(tmpdir(), "lb-packed-"));
    // --ignore-scripts: pack what npm ci built (dist/) instead of building it again under other tests.
    const { stdout } = await run(
      "npm",
      ["pack", "--ignore-scripts", "--json", "--pack-destination", project],
      {
        cwd: ROOT,
        maxBuffer: 1 << 24,
      },
    );
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed !== undefined);
    const paths = packed.files.map((file) => file.path);
    assert.ok(paths.includes("LICENSE"));
    assert.ok(paths.includes("dist/index.js") && paths.includes("dist/index.d.ts"));
    assert.ok(!paths.some((path) => path.endsWith(".map")), "no source maps pointing at sources not shipped");
    assert.ok(!paths.some((path) => path.startsWith("docs/images/")), "no screenshots");
    const modules = join(project, "node_modules");
    const installed = join(modules, "ledger-bridge");
    mkdirSync(installed, { recursive: true });
    await run("tar", ["-xzf", join(project, packed.filename), "-C", installed, "--strip-components=1"]);
    for (const name of readdirSync(join(ROOT, "node_modules"))) {
      if (name === ".bin" || name === ".package-lock.json" || name === "ledger-bridge") continue;
      symlinkSync(join(ROOT, "node_modules", name), join(modules, name));
    }
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "embedder", type: "module", private: true }),
    );
    writeFileSync(join(project, "deliver.mjs"), SCRIPT);
    const result = await run(process.execPath, ["deliver.mjs"], { cwd: project, timeout: 120_000 });
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1) as string);
    assert.deepEqual(report, {
      stored: { created: 1, duplicates: 0, conflicts: [] },
      claimed: 1,
      state: "posted",
      vouchers: 1,
      inFno: 1,
      doctor: [],
    });
    const types = readFileSync(join(installed, "dist", "index.d.ts"), "utf8");
    assert.match(types, /openBridge/);
  });
});
