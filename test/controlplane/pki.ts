// Throwaway PKI for the test control plane (envtest style): one ECDSA CA, serving cert, client certs, SA keys.

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

const VALID_DAYS = "7";

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `openssl ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr).trim()
      }`,
    );
  }
}

async function generateEcKey(path: string): Promise<void> {
  await openssl([
    "ecparam",
    "-name",
    "prime256v1",
    "-genkey",
    "-noout",
    "-out",
    path,
  ]);
}

/** Escapes a value for an `openssl -subj` distinguished name. */
function subjectValue(value: string): string {
  return value.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive
  return "0x" +
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Signs `keyPath`'s public key with the CA; `extensions` are `openssl x509 -extfile` lines. */
async function signCertificate(
  pki: ControlPlanePki,
  keyPath: string,
  subject: string,
  extensions: string,
  outPath: string,
): Promise<void> {
  const csrPath = `${outPath}.csr`;
  const extPath = `${outPath}.ext`;
  await openssl([
    "req",
    "-new",
    "-key",
    keyPath,
    "-subj",
    subject,
    "-out",
    csrPath,
  ]);
  await Deno.writeTextFile(extPath, extensions);
  // A random serial instead of -CAcreateserial: certificates may be minted by concurrent test processes.
  await openssl([
    "x509",
    "-req",
    "-in",
    csrPath,
    "-CA",
    pki.caCertPath,
    "-CAkey",
    pki.caKeyPath,
    "-set_serial",
    randomSerial(),
    "-days",
    VALID_DAYS,
    "-extfile",
    extPath,
    "-out",
    outPath,
  ]);
  await Deno.remove(csrPath);
  await Deno.remove(extPath);
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
  await generateEcKey(pki.caKeyPath);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    pki.caKeyPath,
    "-subj",
    "/O=azure-apim-operator/CN=azure-apim-operator test control plane CA",
    "-days",
    VALID_DAYS,
    "-out",
    pki.caCertPath,
  ]);
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
