import forge from "node-forge";
import { newKeyPair } from "../../src/emulator/tls.js";

/** A self-signed client certificate and its key, as an app registration's uploaded certificate. */
export function clientCertificate(commonName = "ledger-bridge-test-client"): {
  certPem: string;
  keyPem: string;
} {
  const { publicKey, privateKey, privatePem } = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 24 * 3600_000);
  cert.setSubject([{ name: "commonName", value: commonName }]);
  cert.setIssuer([{ name: "commonName", value: commonName }]);
  cert.sign(privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privatePem };
}
