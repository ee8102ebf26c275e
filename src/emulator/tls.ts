/**
 * The emulator's local certificate authority and its server certificate for 127.0.0.1 and localhost,
 * made on first use and kept in the data directory. The keys protect nothing but a local test server;
 * clients trust the CA by NODE_EXTRA_CA_CERTS or by passing it to their credential (docs/emulator.md).
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";
import { putWhole, withLock } from "./files.js";

export interface EmulatorTls {
  readonly caCertPem: string;
  readonly caCertPath: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const FILES = { caCert: "ca.pem", caKey: "ca-key.pem", cert: "server.pem", key: "server-key.pem" } as const;

export function newKeyPair(): {
  publicKey: forge.pki.PublicKey;
  privateKey: forge.pki.PrivateKey;
  privatePem: string;
} {
  // Node's native generator: forge's own RSA generation in JavaScript takes seconds.
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return {
    privateKey: forgeKey,
    publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
    privatePem: privateKey,
  };
}

function certificate(
  subject: string,
  publicKey: forge.pki.PublicKey,
  years: number,
  extensions: object[],
): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = `01${randomBytes(15).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600 * 1000);
  cert.setSubject([{ name: "commonName", value: subject }]);
  cert.setExtensions(extensions);
  return cert;
}

function generate(dir: string): void {
  const ca = newKeyPair();
  const caCert = certificate("ledger-bridge emulator local CA", ca.publicKey, 10, [
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  caCert.setIssuer(caCert.subject.attributes);
  caCert.sign(ca.privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());

  const server = newKeyPair();
  // Two years and three months: under the 825-day limit some TLS clients enforce for leaf certificates.
  const serverCert = certificate("localhost", server.publicKey, 2.25, [
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        { type: 7, ip: "127.0.0.1" },
        { type: 2, value: "localhost" },
      ],
    },
  ]);
  serverCert.setIssuer(caCert.subject.attributes);
  serverCert.sign(ca.privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());

  // Each file appears whole (written aside, then renamed), the server certificate last: a reader
  // that finds all four finds a matching set.
  const put = (file: string, text: string, mode: number) => putWhole(join(dir, file), text, mode);
  put(FILES.caKey, ca.privatePem, 0o600);
  put(FILES.key, server.privatePem, 0o600);
  put(FILES.caCert, forge.pki.certificateToPem(caCert), 0o644);
  put(FILES.cert, forge.pki.certificateToPem(serverCert), 0o644);
}

const complete = (dir: string) => Object.values(FILES).every((file) => existsSync(join(dir, file)));

/** Loads the CA and server certificate from `dir`, making them first if they are not there. */
export function ensureTls(dir: string): EmulatorTls {
  if (!complete(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    withLock(join(dir, ".tls.lock"), () => {
      if (!complete(dir)) generate(dir);
    });
  }
  const read = (file: string) => readFileSync(join(dir, file), "utf8");
  return {
    caCertPem: read(FILES.caCert),
    caCertPath: join(dir, FILES.caCert),
    certPem: `${read(FILES.cert)}${read(FILES.caCert)}`,
    keyPem: read(FILES.key),
  };
}
