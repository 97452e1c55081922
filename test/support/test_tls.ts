// The test CA and the loopback server certificate that the simulators serve and Deno trusts.
//
// `deno task test` (test/run_tests.ts) generates them once per run into a directory named by
// APIM_TEST_TLS_DIR and starts `deno test` with DENO_CERT pointing at the CA, so both `fetch`
// and `node:https` (used by @azure/identity) trust the simulators.

/** PEM material for an HTTPS server on 127.0.0.1/localhost and the CA that signed it. */
export interface TestTls {
  /** Directory holding ca.crt, server.crt and server.key. */
  dir: string;
  caPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** Environment variable naming the directory that holds the test TLS material. */
export const TEST_TLS_DIR_ENV = "APIM_TEST_TLS_DIR";

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

/** Generates a fresh CA (ECDSA P-256, 7 days) and a server certificate for 127.0.0.1, ::1 and localhost. */
export async function generateTestTls(dir: string): Promise<TestTls> {
  await Deno.mkdir(dir, { recursive: true });
  const p = (name: string) => `${dir}/${name}`;
  await openssl([
    "ecparam",
    "-name",
    "prime256v1",
    "-genkey",
    "-noout",
    "-out",
    p("ca.key"),
  ]);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    p("ca.key"),
    "-subj",
    "/CN=azure-apim-operator test CA",
    "-days",
    "7",
    "-out",
    p("ca.crt"),
  ]);
  await openssl([
    "ecparam",
    "-name",
    "prime256v1",
    "-genkey",
    "-noout",
    "-out",
    p("server.ec.key"),
  ]);
  // PKCS#8 is accepted by every TLS stack we use (Deno.serve, rustls, node).
  await openssl([
    "pkcs8",
    "-topk8",
    "-nocrypt",
    "-in",
    p("server.ec.key"),
    "-out",
    p("server.key"),
  ]);
  await openssl([
    "req",
    "-new",
    "-key",
    p("server.key"),
    "-subj",
    "/CN=localhost",
    "-out",
    p("server.csr"),
  ]);
  await Deno.writeTextFile(
    p("server.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    p("server.csr"),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-days",
    "7",
    "-extfile",
    p("server.ext"),
    "-out",
    p("server.crt"),
  ]);
  return await readTestTls(dir);
}

/** Reads the material that {@linkcode generateTestTls} wrote. */
export async function readTestTls(dir: string): Promise<TestTls> {
  return {
    dir,
    caPath: `${dir}/ca.crt`,
    caPem: await Deno.readTextFile(`${dir}/ca.crt`),
    certPem: await Deno.readTextFile(`${dir}/server.crt`),
    keyPem: await Deno.readTextFile(`${dir}/server.key`),
  };
}

/** The TLS material of the current test run (from APIM_TEST_TLS_DIR); fails clearly outside `deno task test`. */
export async function loadTestTls(): Promise<TestTls> {
  const dir = Deno.env.get(TEST_TLS_DIR_ENV);
  if (!dir) {
    throw new Error(
      `${TEST_TLS_DIR_ENV} is not set: run tests through "deno task test" (it creates the test CA and sets DENO_CERT)`,
    );
  }
  return await readTestTls(dir);
}
