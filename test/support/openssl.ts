// The openssl CLI steps shared by the test PKIs (control plane, test CA): keys, CAs, signed certificates.

/** Runs `openssl` with `args`; throws with its stderr when it fails. */
export async function openssl(args: string[]): Promise<void> {
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

/** Writes a new ECDSA P-256 key (SEC1 PEM) to `path`. */
export async function generateEcKey(path: string): Promise<void> {
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

/** Paths of a CA's certificate and key. */
export interface CaFiles {
  caCertPath: string;
  caKeyPath: string;
}

const VALID_DAYS = "7";

/** Creates a self-signed CA (ECDSA P-256, valid 7 days). */
export async function createCa(files: CaFiles, subject: string): Promise<void> {
  await generateEcKey(files.caKeyPath);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    files.caKeyPath,
    "-subj",
    subject,
    "-days",
    VALID_DAYS,
    "-out",
    files.caCertPath,
  ]);
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // positive
  return "0x" +
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Signs `keyPath`'s public key with the CA; `extensions` are `openssl x509 -extfile` lines. */
export async function signCertificate(
  ca: CaFiles,
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
    ca.caCertPath,
    "-CAkey",
    ca.caKeyPath,
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

/** Converts a SEC1 EC key to PKCS#8, the form every TLS stack we use accepts for servers. */
export async function toPkcs8(inPath: string, outPath: string): Promise<void> {
  await openssl([
    "pkcs8",
    "-topk8",
    "-nocrypt",
    "-in",
    inPath,
    "-out",
    outPath,
  ]);
}
