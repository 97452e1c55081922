// Throwaway PKI for the test control plane (envtest style): one ECDSA CA, serving cert, client certs, SA keys.
import {
  createCa,
  generateEcKey,
  openssl,
  signCertificate,
} from "../support/openssl.ts";

/** Files of the control plane's PKI, all PEM. */
export interface ControlPlanePki {
  dir: string;
  /** CA that signs the serving certificate and every client certificate (`--client-ca-file`). */
  caCertPath: string;
  caKeyPath: string;
  servingCertPath: string;
  servingKeyPath: string;
  /** Service-account token signing key (private, SEC1) and its public half. */
  serviceAccountKeyPath: string;
  serviceAccountPublicKeyPath: string;
}

/** A client certificate and its key, PEM. */
export interface ClientCertificate {
  certPem: string;
  /** SEC1 `EC PRIVATE KEY`, what envtest hands out. */
  keyPem: string;
}

/** Escapes a value for an `openssl -subj` distinguished name. */
function subjectValue(value: string): string {
  return value.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

/** Describes the PKI files inside `dir` (as written by {@linkcode generatePki}). */
export function pkiIn(dir: string): ControlPlanePki {
  return {
    dir,
    caCertPath: `${dir}/ca.crt`,
    caKeyPath: `${dir}/ca.key`,
    servingCertPath: `${dir}/apiserver.crt`,
    servingKeyPath: `${dir}/apiserver.key`,
    serviceAccountKeyPath: `${dir}/sa.key`,
    serviceAccountPublicKeyPath: `${dir}/sa.pub`,
  };
}

/** Creates the CA (ECDSA P-256, 7 days), the apiserver serving certificate and the service-account key pair. */
export async function generatePki(dir: string): Promise<ControlPlanePki> {
  await Deno.mkdir(dir, { recursive: true });
  const pki = pkiIn(dir);
  await createCa(
    pki,
    "/O=azure-apim-operator/CN=azure-apim-operator test control plane CA",
  );
  await generateEcKey(pki.servingKeyPath);
  await signCertificate(
    pki,
    pki.servingKeyPath,
    "/CN=kube-apiserver",
    [
      "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1",
      "extendedKeyUsage=serverAuth",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "",
    ].join("\n"),
    pki.servingCertPath,
  );
  await generateEcKey(pki.serviceAccountKeyPath);
  await openssl([
    "ec",
    "-in",
    pki.serviceAccountKeyPath,
    "-pubout",
    "-out",
    pki.serviceAccountPublicKeyPath,
  ]);
  return pki;
}

/**
 * Mints a client certificate `CN=<user>, O=<group>...` signed by the control plane's CA; the files
 * go to `<outPrefix>.crt` and `<outPrefix>.key`. Group `system:masters` makes the user cluster-admin.
 */
export async function mintClientCertificate(
  pki: ControlPlanePki,
  user: string,
  groups: readonly string[],
  outPrefix: string,
): Promise<ClientCertificate> {
  const keyPath = `${outPrefix}.key`;
  const certPath = `${outPrefix}.crt`;
  await generateEcKey(keyPath);
  const subject = [
    ...groups.map((g) => `/O=${subjectValue(g)}`),
    `/CN=${subjectValue(user)}`,
  ]
    .join("");
  await signCertificate(
    pki,
    keyPath,
    subject,
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
    certPath,
  );
  return {
    certPem: await Deno.readTextFile(certPath),
    keyPem: await Deno.readTextFile(keyPath),
  };
}
