// Secure metrics against the real kube-apiserver: TokenReview + SubjectAccessReview decide 401/403/200, served over HTTPS.
import assert from "node:assert/strict";
import { KubeAccessReviewer } from "../../../src/http/kube_access_reviewer.ts";
import { MetricsRegistry } from "../../../src/http/metrics.ts";
import {
  type MetricsServer,
  type MetricsServerOptions,
  serveMetrics,
} from "../../../src/http/serve_metrics.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../../controlplane/shared.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { loadTestTls } from "../../support/test_tls.ts";
import { clientFor } from "../kube/kube_fixtures.ts";
import {
  grantMetricsReader,
  scrape,
  serviceAccountWithToken,
  waitUntilAllowed,
} from "../../support/metrics_rbac.ts";

function registry(): MetricsRegistry {
  const registry = new MetricsRegistry();
  registry.counter("reconciles_total", "Reconciles.", ["controller"]).inc({
    controller: "test",
  });
  return registry;
}

/** Secure metrics on 127.0.0.1 with a free port, serving {@linkcode registry}. */
function secureMetrics(
  options: Partial<MetricsServerOptions>,
): Promise<MetricsServer> {
  return serveMetrics({
    secure: true,
    hostname: "127.0.0.1",
    port: 0,
    registry: registry(),
    selfSignedHosts: ["127.0.0.1", "localhost"],
    ...options,
  });
}

Deno.test("secure metrics answer 401 without a valid token, 403 to a ServiceAccount without RBAC, 200 once it is bound", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "metrics-secure");
  const token = await serviceAccountWithToken(plane, ns.name, "scraper");
  using kube = await clientFor(plane.kubeconfigPath);
  // Virtual time for the review cache; the wall-clock date for the certificate.
  const clock = new FakeClock(Date.now());
  // With `kube`, reviews are cached (allowed 60 s, denied 10 s on `clock`).
  await using server = await secureMetrics({ kube, clock });
  assert.ok(server.certificatePem);
  using client = Deno.createHttpClient({ caCerts: [server.certificatePem] });
  const url = `${server.url}/metrics`;

  assert.equal((await scrape(url, undefined, client)).status, 401);
  assert.equal((await scrape(url, "not-a-token", client)).status, 401);
  const denied = await scrape(url, token, client);
  assert.equal(denied.status, 403);
  assert.equal(
    denied.text,
    `Authorization denied for user "system:serviceaccount:${ns.name}:scraper"\n`,
  );

  await using _grant = await grantMetricsReader(plane, ns.name, {
    kind: "ServiceAccount",
    namespace: ns.name,
    name: "scraper",
  });
  await waitUntilAllowed(plane, `system:serviceaccount:${ns.name}:scraper`, []);
  // The denial is remembered for 10 s (no SubjectAccessReview per scrape) ...
  assert.equal((await scrape(url, token, client)).status, 403);
  // ... and asked again afterwards.
  await clock.advance(10_000);
  const allowed = await scrape(url, token, client);
  assert.equal(allowed.status, 200);
  assert.match(allowed.text, /^reconciles_total\{controller="test"\} 1$/m);
});

Deno.test("KubeAccessReviewer reports the ServiceAccount's identity and authorizes through its groups", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "metrics-review");
  const token = await serviceAccountWithToken(plane, ns.name, "robot");
  using kube = await clientFor(plane.kubeconfigPath);
  const reviewer = new KubeAccessReviewer(kube);

  assert.deepEqual(
    await reviewer.authenticate("garbage").then((r) => r.authenticated),
    false,
  );
  const result = await reviewer.authenticate(token);
  assert.ok(result.authenticated);
  assert.equal(result.user.username, `system:serviceaccount:${ns.name}:robot`);
  assert.ok(result.user.uid);
  for (
    const group of [
      "system:serviceaccounts",
      `system:serviceaccounts:${ns.name}`,
      "system:authenticated",
    ]
  ) assert.ok(result.user.groups.includes(group), group);

  const group = `metrics-readers-${ns.name}`;
  const metrics = { path: "/metrics", verb: "get" };
  const alice = { username: "alice", groups: [group], extra: {} };
  assert.equal((await reviewer.authorize(alice, metrics)).allowed, false);
  await using _grant = await grantMetricsReader(plane, group, {
    kind: "Group",
    name: group,
  });
  await waitUntilAllowed(plane, "alice", [group]);
  assert.equal((await reviewer.authorize(alice, metrics)).allowed, true);
  assert.equal(
    (await reviewer.authorize({ ...alice, groups: [] }, metrics)).allowed,
    false,
  );
  assert.equal(
    (await reviewer.authorize(alice, { path: "/metrics", verb: "post" }))
      .allowed,
    false,
  );
});

Deno.test("secure metrics serve the certificate directory's pair (signed by the test CA)", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "metrics-certdir");
  const token = await serviceAccountWithToken(plane, ns.name, "scraper");
  await using _grant = await grantMetricsReader(plane, ns.name, {
    kind: "ServiceAccount",
    namespace: ns.name,
    name: "scraper",
  });
  await waitUntilAllowed(plane, `system:serviceaccount:${ns.name}:scraper`, []);
  const tls = await loadTestTls();
  const dir = await Deno.makeTempDir({ prefix: "metrics-certs-" });
  try {
    await Deno.writeTextFile(`${dir}/tls.crt`, tls.certPem);
    await Deno.writeTextFile(`${dir}/tls.key`, tls.keyPem);
    using kube = await clientFor(plane.kubeconfigPath);
    await using server = await secureMetrics({
      reviewer: new KubeAccessReviewer(kube),
      certDir: dir,
      clock: new FakeClock(Date.now()),
    });
    assert.equal(server.certificatePem, tls.certPem);
    // Deno trusts the test CA (DENO_CERT), so the default client accepts the server.
    const url = `https://localhost:${server.port}/metrics`;
    assert.equal((await scrape(url)).status, 401);
    const allowed = await scrape(url, token);
    assert.equal(allowed.status, 200);
    assert.match(allowed.text, /reconciles_total/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("secure metrics answer 500 when the operator may not create TokenReviews", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "metrics-norights");
  const token = await serviceAccountWithToken(plane, ns.name, "scraper");
  const powerless = await plane.mintUser(`powerless-${ns.name}`);
  using kube = await clientFor(powerless.kubeconfigPath);
  await using server = await secureMetrics({ kube });
  using client = Deno.createHttpClient({ caCerts: [server.certificatePem!] });
  const response = await scrape(`${server.url}/metrics`, token, client);
  assert.equal(response.status, 500);
  assert.equal(response.text, "Authentication failed\n");
});
