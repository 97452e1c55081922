// Unit tests of in-cluster configuration, token rotation, and the connection source order.

import assert from "node:assert/strict";
import { TokenFileSource } from "../../../src/kube/credentials.ts";
import {
  isInCluster,
  loadInClusterConfig,
} from "../../../src/kube/in_cluster.ts";
import {
  KubeConfigError,
  KubeCredentialError,
} from "../../../src/kube/kube_errors.ts";
import { loadConnection } from "../../../src/kube/load_connection.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { FAKE_CERT, FakeHost } from "./fake_host.ts";

const SA = "/var/run/secrets/kubernetes.io/serviceaccount";

function podHost(host = "10.0.0.1"): FakeHost {
  const io = new FakeHost();
  io.envs.set("KUBERNETES_SERVICE_HOST", host);
  io.envs.set("KUBERNETES_SERVICE_PORT", "443");
  io.files.set(`${SA}/ca.crt`, FAKE_CERT);
  io.files.set(`${SA}/namespace`, "operators\n");
  io.files.set(`${SA}/token`, "token-1\n");
  return io;
}

Deno.test("loadInClusterConfig uses the service env vars and the mounted files", async () => {
  const io = podHost();
  assert.equal(isInCluster(io), true);
  const spec = await loadInClusterConfig({ io });
  assert.equal(spec.server, "https://10.0.0.1:443");
  assert.equal(spec.namespace, "operators");
  assert.equal(spec.caPem, FAKE_CERT);
  assert.deepEqual(await spec.credentials?.get(), { token: "token-1" });
  const v6 = await loadInClusterConfig({ io: podHost("fd00::1") });
  assert.equal(v6.server, "https://[fd00::1]:443");
});

Deno.test("loadInClusterConfig explains what is missing", async () => {
  const io = new FakeHost();
  assert.equal(isInCluster(io), false);
  await assert.rejects(loadInClusterConfig({ io }), KubeConfigError);
  const noCa = podHost();
  noCa.files.delete(`${SA}/ca.crt`);
  await assert.rejects(loadInClusterConfig({ io: noCa }), /service-account CA/);
});

Deno.test("TokenFileSource re-reads a rotated token after a minute or after a 401", async () => {
  const clock = new FakeClock();
  const io = podHost();
  const source = new TokenFileSource(`${SA}/token`, { io, clock });
  assert.equal((await source.get()).token, "token-1");
  io.files.set(`${SA}/token`, "token-2");
  await clock.advance(59_000);
  assert.equal(
    (await source.get()).token,
    "token-1",
    "cached within the minute",
  );
  await clock.advance(1_000);
  assert.equal((await source.get()).token, "token-2");
  io.files.set(`${SA}/token`, "token-3");
  source.invalidate();
  assert.equal((await source.get()).token, "token-3");
  io.files.set(`${SA}/token`, " ");
  source.invalidate();
  await assert.rejects(source.get(), KubeCredentialError);
});

Deno.test("loadConnection prefers KUBECONFIG over in-cluster, and in-cluster over ~/.kube/config", async () => {
  const io = podHost();
  io.envs.set("HOME", "/home/u");
  io.files.set(
    "/home/u/.kube/config",
    JSON.stringify({
      "current-context": "c",
      clusters: [{ name: "c", cluster: { server: "https://home:6443" } }],
      contexts: [{ name: "c", context: { cluster: "c" } }],
    }),
  );
  const inCluster = await loadConnection({ io });
  assert.equal(inCluster.server, "https://10.0.0.1");
  assert.equal(inCluster.namespace, "operators");
  inCluster.close();

  io.envs.set("KUBECONFIG", "/home/u/.kube/config");
  const fromEnv = await loadConnection({ io });
  assert.equal(fromEnv.server, "https://home:6443");
  fromEnv.close();

  const explicit = await loadConnection({
    io,
    kubeconfig: "/home/u/.kube/config",
  });
  assert.equal(explicit.namespace, "default");
  explicit.close();
});
