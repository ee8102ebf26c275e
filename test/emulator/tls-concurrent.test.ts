/**
 * Emulators started at once with one data directory make one CA between them: processes racing to
 * create it end with a server certificate signed by the CA they all read.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const TLS = join(import.meta.dirname, "..", "..", "src", "emulator", "tls.ts");
const SIGNING = join(import.meta.dirname, "..", "..", "src", "emulator", "entra", "signing.ts");

function ensureIn(dir: string): Promise<string> {
  const script = [
    `import { ensureTls } from ${JSON.stringify(TLS)};`,
    `import { TokenSigner } from ${JSON.stringify(SIGNING)};`,
    `const tls = ensureTls(${JSON.stringify(dir)});`,
    `const signer = await TokenSigner.load(${JSON.stringify(dir)});`,
    "process.stdout.write(JSON.stringify({ ca: tls.caCertPem, kid: signer.jwks().keys[0].kid }));",
  ].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
  });
}

describe("the emulator's keys under concurrent starts", () => {
  it("four processes at once: one CA, one token signing key, and the server certificate is the CA's", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "lb-tls-")), "emulator");
    const seen = (await Promise.all([1, 2, 3, 4].map(() => ensureIn(dir)))).map(
      (out) => JSON.parse(out) as { ca: string; kid: string },
    );
    assert.equal(new Set(seen.map((each) => each.ca)).size, 1, "every process read the same CA");
    assert.equal(new Set(seen.map((each) => each.kid)).size, 1, "and the same token signing key");
    const ca = new X509Certificate(readFileSync(join(dir, "ca.pem")));
    const server = new X509Certificate(readFileSync(join(dir, "server.pem")));
    assert.equal(ca.toString(), new X509Certificate(seen[0]?.ca ?? "").toString());
    assert.ok(server.verify(ca.publicKey), "the server certificate is the CA's");
  });
});
