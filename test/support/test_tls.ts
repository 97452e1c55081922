// The test CA and the loopback server certificate that the simulators serve and Deno trusts.
//
// `deno task test` (test/run_tests.ts) generates them once per run into a directory named by
// APIM_TEST_TLS_DIR and starts `deno test` with DENO_CERT (trusted by `fetch`) and
// NODE_EXTRA_CA_CERTS (trusted by `node:https`, which @azure/identity uses) pointing at the CA.
import {
  createCa,
  generateEcKey,
  signCertificate,
  toPkcs8,
} from "./openssl.ts";

/** PEM material for an HTTPS server on 127.0.0.1/localhost and the CA that signed it. */
export interface TestTls {
  /** Directory holding ca.crt, ca.key, server.crt and server.key. */
  dir: string;
  caPath: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A server certificate issued by the test CA. */
export interface ServerCertificate {
  certPem: string;
  keyPem: string;
}

/** Environment variable naming the directory that holds the test TLS material. */
export const TEST_TLS_DIR_ENV = "APIM_TEST_TLS_DIR";

function caFiles(dir: string) {
  return { caCertPath: `${dir}/ca.crt`, caKeyPath: `${dir}/ca.key` };
}

async function issue(
  dir: string,
  name: string,
  hosts: readonly string[],
): Promise<ServerCertificate> {
  const ecKey = `${dir}/${name}.ec.key`;
  const key = `${dir}/${name}.key`;
  const cert = `${dir}/${name}.crt`;
  await generateEcKey(ecKey);
  await toPkcs8(ecKey, key);
  const sans = hosts.map((h) => /^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)
    .join(",");
  await signCertificate(
    caFiles(dir),
    key,
    `/CN=${hosts[0] ?? "localhost"}`,
    `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n`,
    cert,
  );
  return {
    certPem: await Deno.readTextFile(cert),
    keyPem: await Deno.readTextFile(key),
  };
}

/** Generates a fresh CA (ECDSA P-256, 7 days) and a server certificate for 127.0.0.1, ::1 and localhost. */
export async function generateTestTls(dir: string): Promise<TestTls> {
  await Deno.mkdir(dir, { recursive: true });
  await createCa(caFiles(dir), "/CN=azure-apim-operator test CA");
  await issue(dir, "server", ["localhost", "127.0.0.1", "::1"]);
  return await readTestTls(dir);
}

/** Issues another server certificate from the test CA, e.g. for a public host name served through a test proxy. */
export async function issueServerCertificate(
  tls: TestTls,
  hosts: readonly string[],
): Promise<ServerCertificate> {
  const name = `host-${crypto.randomUUID().slice(0, 8)}`;
  return await issue(tls.dir, name, hosts);
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
      `${TEST_TLS_DIR_ENV} is not set: run tests through "deno task test" (it creates the test CA and trusts it)`,
    );
  }
  return await readTestTls(dir);
}
