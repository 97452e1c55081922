// Unit tests of exec credential plugins: the ExecCredential exchange, caching until expiry, re-run after 401, errors.

import assert from "node:assert/strict";
import {
  ExecCredentialSource,
  type ExecPluginConfig,
} from "../../../src/kube/exec_credential.ts";
import { KubeCredentialError } from "../../../src/kube/kube_errors.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { FAKE_CERT, FAKE_EC_KEY, FakeHost } from "./fake_host.ts";

const config: ExecPluginConfig = {
  apiVersion: "client.authentication.k8s.io/v1",
  command: "/opt/bin/get-token",
  args: ["--audience", "k8s"],
  env: [{ name: "TENANT", value: "t1" }],
  installHint: "Install get-token from the internal portal",
  interactiveMode: "Never",
  cluster: { server: "https://k8s.example:6443" },
};

function credential(
  status: Record<string, unknown>,
  apiVersion = config.apiVersion,
): string {
  return JSON.stringify({ apiVersion, kind: "ExecCredential", status });
}

function tokenHost(clock: FakeClock, lifetimeMs?: number): FakeHost {
  const host = new FakeHost();
  host.runner = () => ({
    code: 0,
    stderr: "",
    stdout: credential({
      token: `token-${host.runs.length}`,
      ...(lifetimeMs === undefined ? {} : {
        expirationTimestamp: new Date(clock.now() + lifetimeMs).toISOString(),
      }),
    }),
  });
  return host;
}

Deno.test("ExecCredentialSource runs the plugin with its args, env and KUBERNETES_EXEC_INFO", async () => {
  const clock = new FakeClock();
  const host = tokenHost(clock);
  const source = new ExecCredentialSource(config, { io: host, clock });
  assert.deepEqual(await source.get(), { token: "token-1" });
  const run = host.runs[0]!;
  assert.equal(run.command, "/opt/bin/get-token");
  assert.deepEqual(run.args, ["--audience", "k8s"]);
  assert.equal(run.env["TENANT"], "t1");
  assert.deepEqual(JSON.parse(run.env["KUBERNETES_EXEC_INFO"]!), {
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    spec: {
      interactive: false,
      cluster: { server: "https://k8s.example:6443" },
    },
  });
});

Deno.test("ExecCredentialSource caches until expirationTimestamp and re-runs after invalidate", async () => {
  const clock = new FakeClock();
  const host = tokenHost(clock, 60_000);
  const source = new ExecCredentialSource(config, { io: host, clock });
  assert.equal((await source.get()).token, "token-1");
  await clock.advance(59_000);
  assert.equal((await source.get()).token, "token-1");
  await clock.advance(1_000);
  assert.equal(
    (await source.get()).token,
    "token-2",
    "an expired credential is refreshed",
  );
  source.invalidate();
  assert.equal((await source.get()).token, "token-3", "a 401 forces a new run");
  assert.equal(host.runs.length, 3);
});

Deno.test("ExecCredentialSource shares one run between concurrent callers", async () => {
  const clock = new FakeClock();
  const host = tokenHost(clock);
  const source = new ExecCredentialSource(config, { io: host, clock });
  const results = await Promise.all([source.get(), source.get(), source.get()]);
  assert.deepEqual(results.map((r) => r.token), [
    "token-1",
    "token-1",
    "token-1",
  ]);
  assert.equal(host.runs.length, 1);
});

Deno.test("ExecCredentialSource accepts a client certificate from a v1beta1 plugin", async () => {
  const host = new FakeHost();
  host.answerExec("client.authentication.k8s.io/v1beta1", {
    clientCertificateData: FAKE_CERT,
    clientKeyData: FAKE_EC_KEY,
  });
  const source = new ExecCredentialSource(
    { ...config, apiVersion: "client.authentication.k8s.io/v1beta1" },
    { io: host },
  );
  assert.deepEqual(await source.get(), {
    clientCertificate: { certPem: FAKE_CERT, keyPem: FAKE_EC_KEY },
  });
});

Deno.test("ExecCredentialSource errors say what went wrong", async (t) => {
  const cases: [string, FakeHost["runner"], RegExp][] = [
    [
      "missing plugin",
      () => {
        throw new Deno.errors.NotFound("not found");
      },
      /"\/opt\/bin\/get-token" was not found: Install get-token from the internal portal/,
    ],
    [
      "failing plugin",
      () => ({ code: 2, stdout: "", stderr: "login required\n" }),
      /exit code 2: login required/,
    ],
    [
      "not JSON",
      () => ({ code: 0, stdout: "hello", stderr: "" }),
      /invalid JSON/,
    ],
    [
      "wrong version",
      () => ({
        code: 0,
        stderr: "",
        stdout: credential(
          { token: "t" },
          "client.authentication.k8s.io/v1beta1",
        ),
      }),
      /apiVersion "client.authentication.k8s.io\/v1beta1" instead of "client.authentication.k8s.io\/v1"/,
    ],
    [
      "no credential",
      () => ({ code: 0, stderr: "", stdout: credential({}) }),
      /neither a token nor a client certificate/,
    ],
    ["bad key", () => ({
      code: 0,
      stderr: "",
      stdout: credential({
        clientCertificateData: FAKE_CERT,
        clientKeyData: "nope",
      }),
    }), /status.clientKeyData: not a PEM key/],
  ];
  for (const [name, runner, message] of cases) {
    await t.step(name, async () => {
      const host = new FakeHost();
      host.runner = runner;
      const source = new ExecCredentialSource(config, { io: host });
      await assert.rejects(source.get(), (error: unknown) => {
        assert.ok(error instanceof KubeCredentialError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
  assert.throws(
    () =>
      new ExecCredentialSource({ ...config, interactiveMode: "Always" }, {
        io: new FakeHost(),
      }),
    /interactiveMode "Always"/,
  );
});
