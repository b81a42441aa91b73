// A throwaway self-signed certificate for 127.0.0.1, made with openssl in a
// temp dir at test time, so that no key is ever committed. Shared by every
// package that tests HTTPS.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCertificate {
  /** PEM text of the private key. */
  key: string;
  /** PEM text of the certificate (also its own CA). */
  cert: string;
  certPath: string;
  keyPath: string;
  /** Removes the temp dir holding both files. */
  cleanup(): void;
}

/** Generates a one-day certificate valid for IP 127.0.0.1 and DNS localhost. */
export function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "mcp-proxy-tls-"));
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { stdio: "ignore" },
  );
  return {
    key: readFileSync(keyPath, "utf8"),
    cert: readFileSync(certPath, "utf8"),
    certPath,
    keyPath,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
