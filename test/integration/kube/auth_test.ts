// Authentication against the real kube-apiserver: client certificates (SEC1, PKCS#8, PKCS#1), tokens, exec plugins.

import assert from "node:assert/strict";
import { KubeApiError } from "../../../src/kube/kube_errors.ts";
import type { ControlPlane } from "../../controlplane/control_plane.ts";
import { pkiIn } from "../../controlplane/pki.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../../controlplane/shared.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { clientFor, whoAmI } from "./kube_fixtures.ts";

/** A temporary directory removed at the end of the scope. */
async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "kube-auth-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

async function openssl(args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

/** Writes a kubeconfig (JSON is YAML) for the plane's cluster and `user`. */
async function writeKubeconfig(
  plane: ControlPlane,
  path: string,
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
): Promise<void> {
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "test",
      clusters: [{
        name: "test",
        cluster: {
          server: plane.server,
          "certificate-authority-data": btoa(plane.caPem),
          ...cluster,
        },
      }],
      users: [{ name: "test", user }],
      contexts: [{ name: "test", context: { cluster: "test", user: "test" } }],
    }),
  );
}

async function createServiceAccount(
  plane: ControlPlane,
  namespace: string,
  name: string,
): Promise<void> {
  const response = await plane.request(
    "POST",
    `/api/v1/namespaces/${namespace}/serviceaccounts`,
    {
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } },
    },
  );
  assert.equal(response.status, 201, JSON.stringify(response.body));
}

/**
 * Writes an exec plugin that logs each run (and its KUBERNETES_EXEC_INFO) and prints
 * `out-<run>.json` if present, else `out.json`.
 */
async function writePlugin(dir: string): Promise<string> {
  const path = `${dir}/plugin.sh`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
dir="$(dirname "$0")"
echo run >> "$dir/runs"
printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/exec-info.json"
n=$(wc -l < "$dir/runs" | tr -d ' ')
if [ -f "$dir/out-$n.json" ]; then cat "$dir/out-$n.json"; else cat "$dir/out.json"; fi
`,
    { mode: 0o755 },
  );
  return path;
}

async function pluginRuns(dir: string): Promise<number> {
  const text = await Deno.readTextFile(`${dir}/runs`).catch(() => "");
  return text.split("\n").filter((l) => l !== "").length;
}

function execCredential(
  apiVersion: string,
  status: Record<string, unknown>,
): string {
  return JSON.stringify({ apiVersion, kind: "ExecCredential", status });
}

Deno.test("client-certificate kubeconfigs authenticate with SEC1, PKCS#8 and PKCS#1 keys", async () => {
  const plane = await sharedControlPlane();
  await using dir = await tempDir();

  const sec1 = await plane.mintUser("cert-user-sec1");
  using sec1Client = await clientFor(sec1.kubeconfigPath);
  assert.equal(await whoAmI(sec1Client), "cert-user-sec1");

  // The same certificate with its key converted to PKCS#8, referenced by relative paths.
  await Deno.writeTextFile(`${dir.path}/user.crt`, sec1.certPem);
  await Deno.writeTextFile(`${dir.path}/sec1.key`, sec1.keyPem);
  await openssl([
    "pkcs8",
    "-topk8",
    "-nocrypt",
    "-in",
    `${dir.path}/sec1.key`,
    "-out",
    `${dir.path}/pkcs8.key`,
  ]);
  assert.match(
    await Deno.readTextFile(`${dir.path}/pkcs8.key`),
    /BEGIN PRIVATE KEY/,
  );
  await writeKubeconfig(plane, `${dir.path}/pkcs8.kubeconfig`, {
    "client-certificate": "user.crt",
    "client-key": "pkcs8.key",
  });
  using pkcs8Client = await clientFor(`${dir.path}/pkcs8.kubeconfig`);
  assert.equal(await whoAmI(pkcs8Client), "cert-user-sec1");

  // An RSA user with a PKCS#1 key, signed by the control plane's CA.
  const pki = pkiIn(`${plane.dir}/pki`);
  const p = (name: string) => `${dir.path}/${name}`;
  await openssl(["genrsa", "-traditional", "-out", p("rsa.key"), "2048"]);
  assert.match(await Deno.readTextFile(p("rsa.key")), /BEGIN RSA PRIVATE KEY/);
  await openssl([
    "req",
    "-new",
    "-key",
    p("rsa.key"),
    "-subj",
    "/CN=cert-user-rsa",
    "-out",
    p("rsa.csr"),
  ]);
  await Deno.writeTextFile(p("rsa.ext"), "extendedKeyUsage=clientAuth\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    p("rsa.csr"),
    "-CA",
    pki.caCertPath,
    "-CAkey",
    pki.caKeyPath,
    "-CAcreateserial",
    "-CAserial",
    p("ca.srl"),
    "-days",
    "1",
    "-extfile",
    p("rsa.ext"),
    "-out",
    p("rsa.crt"),
  ]);
  await writeKubeconfig(plane, p("rsa.kubeconfig"), {
    "client-certificate-data": btoa(await Deno.readTextFile(p("rsa.crt"))),
    "client-key-data": btoa(await Deno.readTextFile(p("rsa.key"))),
  });
  using rsaClient = await clientFor(p("rsa.kubeconfig"));
  assert.equal(await whoAmI(rsaClient), "cert-user-rsa");
});

Deno.test("a bearer-token kubeconfig authenticates as the ServiceAccount", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-token");
  await createServiceAccount(plane, ns.name, "robot");
  const kubeconfig = await plane.serviceAccountKubeconfig(ns.name, "robot");
  using client = await clientFor(kubeconfig);
  assert.equal(await whoAmI(client), `system:serviceaccount:${ns.name}:robot`);
});

Deno.test("a rotated token file is re-read after a 401", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-token-file");
  await using dir = await tempDir();
  await createServiceAccount(plane, ns.name, "robot");
  await Deno.writeTextFile(`${dir.path}/token`, "not-a-valid-token");
  await writeKubeconfig(plane, `${dir.path}/kubeconfig`, {
    tokenFile: "token",
  });
  using client = await clientFor(`${dir.path}/kubeconfig`);
  await assert.rejects(
    whoAmI(client),
    (e: unknown) => e instanceof KubeApiError && e.isUnauthorized(),
  );
  // The token rotates on disk; the cached (bad) token gets a 401, which makes the client re-read it.
  await Deno.writeTextFile(
    `${dir.path}/token`,
    await plane.serviceAccountToken(ns.name, "robot"),
  );
  assert.equal(await whoAmI(client), `system:serviceaccount:${ns.name}:robot`);
});

Deno.test("an exec plugin's token authenticates, is cached until it expires and re-fetched after a 401", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-exec");
  await using dir = await tempDir();
  await createServiceAccount(plane, ns.name, "robot");
  const token = await plane.serviceAccountToken(ns.name, "robot");
  await writePlugin(dir.path);
  const apiVersion = "client.authentication.k8s.io/v1";
  const expiresAt = new Date(Date.now() + 600_000).toISOString();
  // Run 1 hands out a token the server rejects; later runs a valid one that expires in 10 minutes.
  await Deno.writeTextFile(
    `${dir.path}/out-1.json`,
    execCredential(apiVersion, { token: "rejected" }),
  );
  await Deno.writeTextFile(
    `${dir.path}/out.json`,
    execCredential(apiVersion, { token, expirationTimestamp: expiresAt }),
  );
  await writeKubeconfig(plane, `${dir.path}/kubeconfig`, {
    exec: {
      apiVersion,
      command: "./plugin.sh",
      args: [],
      env: [{ name: "PLUGIN_MODE", value: "test" }],
      interactiveMode: "Never",
      provideClusterInfo: true,
      installHint: "it is written by the test",
    },
  });
  const clock = new FakeClock(Date.now());
  using client = await clientFor(`${dir.path}/kubeconfig`, { clock });

  assert.equal(await whoAmI(client), `system:serviceaccount:${ns.name}:robot`);
  assert.equal(await pluginRuns(dir.path), 2, "the 401 re-ran the plugin");
  const info = JSON.parse(
    await Deno.readTextFile(`${dir.path}/exec-info.json`),
  );
  assert.equal(info.apiVersion, apiVersion);
  assert.equal(info.spec.cluster.server, plane.server);

  await whoAmI(client);
  assert.equal(await pluginRuns(dir.path), 2, "a valid token is cached");
  await clock.advance(600_000);
  await whoAmI(client);
  assert.equal(
    await pluginRuns(dir.path),
    3,
    "an expired token is fetched again",
  );
});

Deno.test("an exec plugin can hand out a client certificate (v1beta1)", async () => {
  const plane = await sharedControlPlane();
  await using dir = await tempDir();
  const user = await plane.mintUser("exec-cert-user");
  await writePlugin(dir.path);
  const apiVersion = "client.authentication.k8s.io/v1beta1";
  await Deno.writeTextFile(
    `${dir.path}/out.json`,
    execCredential(apiVersion, {
      clientCertificateData: user.certPem,
      clientKeyData: user.keyPem,
    }),
  );
  await writeKubeconfig(plane, `${dir.path}/kubeconfig`, {
    exec: { apiVersion, command: `${dir.path}/plugin.sh` },
  });
  using client = await clientFor(`${dir.path}/kubeconfig`);
  assert.equal(await whoAmI(client), "exec-cert-user");
});
