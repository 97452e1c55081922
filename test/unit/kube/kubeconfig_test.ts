// Unit tests of kubeconfig loading: merging, contexts, relative paths, credentials and field-naming errors.

import assert from "node:assert/strict";
import { KubeConfigError } from "../../../src/kube/kube_errors.ts";
import {
  defaultKubeconfigPaths,
  loadKubeconfig,
} from "../../../src/kube/kubeconfig.ts";
import { Logger } from "../../../src/log.ts";
import { FAKE_CERT, FAKE_EC_KEY, FakeHost } from "./fake_host.ts";

const b64 = (text: string) => btoa(text);

function config(parts: {
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
  namespace?: string;
  current?: string | null;
  name?: string;
}): string {
  const name = parts.name ?? "dev";
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    ...(parts.current === null
      ? {}
      : { "current-context": parts.current ?? name }),
    clusters: [{
      name,
      cluster: parts.cluster ?? {
        server: "https://127.0.0.1:6443",
        "certificate-authority-data": b64(FAKE_CERT),
      },
    }],
    users: [{ name, user: parts.user ?? {} }],
    contexts: [{
      name,
      context: {
        cluster: name,
        user: name,
        ...(parts.namespace ? { namespace: parts.namespace } : {}),
      },
    }],
  });
}

async function load(
  host: FakeHost,
  paths: string[],
  context?: string,
): ReturnType<typeof loadKubeconfig> {
  return await loadKubeconfig({ io: host, paths, context });
}

async function rejectsWith(
  promise: Promise<unknown>,
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof KubeConfigError, String(error));
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("loadKubeconfig reads embedded CA and client certificate, and the context namespace", async () => {
  const host = new FakeHost();
  host.files.set(
    "/k/config",
    config({
      user: {
        "client-certificate-data": b64(FAKE_CERT),
        "client-key-data": b64(FAKE_EC_KEY),
      },
      namespace: "team-a",
    }),
  );
  const spec = await load(host, ["/k/config"]);
  assert.equal(spec.server, "https://127.0.0.1:6443");
  assert.equal(spec.namespace, "team-a");
  assert.equal(spec.caPem, FAKE_CERT);
  assert.deepEqual(spec.clientCertificate, {
    certPem: FAKE_CERT,
    keyPem: FAKE_EC_KEY,
  });
  assert.equal(spec.credentials, undefined);
});

Deno.test("loadKubeconfig resolves relative paths against the kubeconfig's directory", async () => {
  const host = new FakeHost();
  host.files.set(
    "/home/u/.kube/config",
    config({
      cluster: {
        server: "https://k8s:6443",
        "certificate-authority": "pki/ca.crt",
      },
      user: {
        "client-certificate": "pki/me.crt",
        "client-key": "/abs/me.key",
        tokenFile: "token",
      },
    }),
  );
  host.files.set("/home/u/.kube/pki/ca.crt", FAKE_CERT);
  host.files.set("/home/u/.kube/pki/me.crt", FAKE_CERT);
  host.files.set("/abs/me.key", FAKE_EC_KEY);
  host.files.set("/home/u/.kube/token", "file-token\n");
  const spec = await load(host, ["/home/u/.kube/config"]);
  assert.equal(spec.caPem, FAKE_CERT);
  assert.equal(spec.clientCertificate?.keyPem, FAKE_EC_KEY);
  assert.equal(spec.namespace, "default");
  assert.deepEqual(await spec.credentials?.get(), { token: "file-token" });
});

Deno.test("loadKubeconfig merges a KUBECONFIG list: first definition wins, missing files are skipped", async () => {
  const host = new FakeHost();
  host.files.set(
    "/a",
    config({
      user: { token: "from-a" },
      cluster: { server: "https://a:6443" },
    }),
  );
  host.files.set(
    "/b",
    JSON.stringify({
      "current-context": "other",
      clusters: [{ name: "dev", cluster: { server: "https://b:6443" } }, {
        name: "other",
        cluster: { server: "https://other:6443" },
      }],
      users: [{ name: "other", user: { token: "from-b" } }],
      contexts: [{
        name: "other",
        context: { cluster: "other", user: "other", namespace: "o" },
      }],
    }),
  );
  host.envs.set("KUBECONFIG", "/missing:/a:/b");
  const paths = defaultKubeconfigPaths(host);
  assert.deepEqual(paths, ["/missing", "/a", "/b"]);
  const current = await load(host, paths);
  assert.equal(
    current.server,
    "https://a:6443",
    "current-context and cluster come from the first file",
  );
  assert.deepEqual(await current.credentials?.get(), { token: "from-a" });
  const other = await load(host, paths, "other");
  assert.equal(other.server, "https://other:6443");
  assert.equal(other.namespace, "o");
  assert.deepEqual(await other.credentials?.get(), { token: "from-b" });
  await rejectsWith(load(host, paths, "nope"), /context "nope" not found/);
});

Deno.test("defaultKubeconfigPaths falls back to ~/.kube/config", () => {
  const host = new FakeHost();
  host.envs.set("HOME", "/home/u");
  assert.deepEqual(defaultKubeconfigPaths(host), ["/home/u/.kube/config"]);
});

Deno.test("kubeconfig YAML is read with the core schema: an unquoted date stays a string", async () => {
  const host = new FakeHost();
  host.files.set(
    "/k/config",
    [
      "current-context: 2024-01-01",
      "clusters:",
      "- name: 2024-01-01",
      "  cluster: {server: 'https://127.0.0.1:6443'}",
      "users:",
      "- name: u",
      "  user:",
      "    exec:",
      "      apiVersion: client.authentication.k8s.io/v1",
      "      command: /bin/get-token",
      "      env: [{name: SINCE, value: 2024-01-01}]",
      "contexts:",
      "- name: 2024-01-01",
      "  context: {cluster: 2024-01-01, user: u}",
      "",
    ].join("\n"),
  );
  host.answerExec("client.authentication.k8s.io/v1", { token: "t" });
  const spec = await load(host, ["/k/config"]);
  assert.deepEqual(await spec.credentials?.get(), { token: "t" });
  assert.equal(host.runs[0]?.env["SINCE"], "2024-01-01");
});

Deno.test("loadKubeconfig builds an exec plugin config with cluster info and a resolved command", async () => {
  const host = new FakeHost();
  host.files.set(
    "/etc/kube/config",
    config({
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1beta1",
          command: "./bin/kubelogin",
          args: ["get-token"],
          env: null,
          provideClusterInfo: true,
        },
      },
    }),
  );
  host.answerExec("client.authentication.k8s.io/v1beta1", {
    token: "exec-token",
  });
  const spec = await load(host, ["/etc/kube/config"]);
  assert.deepEqual(await spec.credentials?.get(), { token: "exec-token" });
  const run = host.runs[0]!;
  assert.equal(run.command, "/etc/kube/bin/kubelogin");
  assert.deepEqual(run.args, ["get-token"]);
  const info = JSON.parse(run.env["KUBERNETES_EXEC_INFO"]!);
  assert.equal(info.spec.cluster.server, "https://127.0.0.1:6443");
  assert.equal(
    atob(info.spec.cluster["certificate-authority-data"]),
    FAKE_CERT,
  );
});

Deno.test("loadKubeconfig warns about TLS settings Deno cannot honour", async () => {
  const host = new FakeHost();
  host.files.set(
    "/c",
    config({
      cluster: {
        server: "https://k:6443",
        "insecure-skip-tls-verify": true,
        "tls-server-name": "kubernetes",
      },
      user: { token: "t" },
    }),
  );
  const lines: string[] = [];
  const logger = new Logger({ sink: (line) => lines.push(line) });
  const spec = await loadKubeconfig({ io: host, paths: ["/c"], logger });
  assert.equal(spec.server, "https://k:6443");
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /"level":"warn".*insecure-skip-tls-verify/);
  assert.match(lines[1]!, /"level":"warn".*tls-server-name/);
});

Deno.test("loadKubeconfig errors name the kubeconfig field that is wrong", async (t) => {
  const cases: [string, string, RegExp][] = [
    [
      "key that is not PEM",
      config({
        user: {
          "client-certificate-data": b64(FAKE_CERT),
          "client-key-data": b64("hello"),
        },
      }),
      /Invalid kubeconfig "\/c": users\[0\]\.user\.client-key-data: not a PEM key/,
    ],
    [
      "CA that is not base64",
      config({
        cluster: {
          server: "https://k:6443",
          "certificate-authority-data": "%%%",
        },
      }),
      /clusters\[0\]\.cluster\.certificate-authority-data: not valid base64/,
    ],
    [
      "certificate without key",
      config({
        user: { "client-certificate-data": b64(FAKE_CERT) },
      }),
      /users\[0\]\.user: client certificate without a client key/,
    ],
    [
      "missing server",
      JSON.stringify({
        clusters: [{ name: "x", cluster: {} }],
      }),
      /clusters\[0\]\.cluster\.server/,
    ],
    [
      "server that is not a URL",
      config({ cluster: { server: "k8s:6443:x" } }),
      /clusters\[0\]\.cluster\.server: "k8s:6443:x" is not an http\(s\) URL/,
    ],
    [
      "token and exec together",
      config({
        user: {
          token: "t",
          exec: { apiVersion: "client.authentication.k8s.io/v1", command: "x" },
        },
      }),
      /users\[0\]\.user: token and exec are mutually exclusive/,
    ],
    [
      "unknown exec apiVersion",
      config({
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1alpha1",
            command: "x",
          },
        },
      }),
      /users\[0\]\.user\.exec\.apiVersion: must be one of/,
    ],
    [
      "basic auth",
      config({ user: { username: "u", password: "p" } }),
      /users\[0\]\.user\.username: not supported/,
    ],
    [
      "missing CA file",
      config({
        cluster: {
          server: "https://k:6443",
          "certificate-authority": "ca.crt",
        },
      }),
      /clusters\[0\]\.cluster\.certificate-authority: could not read "\/ca.crt"/,
    ],
    ["no current context", config({ current: null }), /no current-context/],
    ["not YAML", "a: [", /not valid YAML/],
    // The message says where, not what: the lines around the problem may hold a token.
    [
      "a duplicated key names its position, not the text",
      "users:\n- name: u\n  user:\n    token: s3cr3t-token\n    token: s3cr3t-token\n",
      /^(?![^]*s3cr3t)[^]*not valid YAML: duplicated mapping key at line 5, column 5/,
    ],
  ];
  for (const [name, text, message] of cases) {
    await t.step(name, async () => {
      const host = new FakeHost();
      host.files.set("/c", text);
      await rejectsWith(load(host, ["/c"]), message);
    });
  }
  await t.step("missing explicit file", async () => {
    await rejectsWith(
      loadKubeconfig({
        io: new FakeHost(),
        paths: ["/nope"],
        requireAll: true,
      }),
      /Invalid kubeconfig "\/nope": could not read the file/,
    );
    await rejectsWith(
      load(new FakeHost(), ["/nope"]),
      /no kubeconfig file found/,
    );
  });
});
