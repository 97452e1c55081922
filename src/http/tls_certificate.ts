// TLS serving material: the PEM certificate chain and private key, and reading them from a directory.

import { isPemCertificate, isPemPrivateKey } from "../kube/pem.ts";

/** A PEM certificate (chain) and its PEM private key, as `Deno.serve` takes them. */
export interface TlsCertificate {
  certPem: string;
  keyPem: string;
}

/** File names inside a certificate directory (cert-manager's and Kubernetes TLS Secret's keys). */
export const CERT_FILE = "tls.crt";
/** The private key's file name inside a certificate directory. */
export const KEY_FILE = "tls.key";

/**
 * Reads `tls.crt` and `tls.key` from `dir` and checks that they hold PEM material; the error
 * names the file. The files are read as they are now (a mounted Secret swaps them atomically).
 */
export async function readCertificateDir(dir: string): Promise<TlsCertificate> {
  const certPath = `${dir}/${CERT_FILE}`;
  const keyPath = `${dir}/${KEY_FILE}`;
  // One after the other, so that a missing pair is reported as its certificate, consistently.
  const certPem = await readText(certPath);
  const keyPem = await readText(keyPath);
  if (!isPemCertificate(certPem)) {
    throw new Error(`No PEM certificate in "${certPath}"`);
  }
  if (!isPemPrivateKey(keyPem)) {
    throw new Error(`No unencrypted PEM private key in "${keyPath}"`);
  }
  return { certPem, keyPem };
}

async function readText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Could not read "${path}": ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
}
