// KubeClient and ResourceApi against the real kube-apiserver: CRUD, patches, apply, conflicts, paging, status, watch.

import assert from "node:assert/strict";
import { KubeApiError } from "../../../src/kube/kube_errors.ts";
import { retryOnConflict } from "../../../src/kube/retry_on_conflict.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../../controlplane/shared.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import {
  clientFor,
  configMap,
  configMapApi,
  installWidgetCrd,
  until,
  widgetApi,
} from "./kube_fixtures.ts";

function isApiError(check: (e: KubeApiError) => boolean) {
  return (error: unknown) => error instanceof KubeApiError && check(error);
}

Deno.test("ResourceApi creates, reads, replaces, patches, applies and deletes objects", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-crud");
  using client = await clientFor(plane.kubeconfigPath);
  const api = configMapApi(client);

  const created = await api.create(configMap(ns.name, "cm", { a: "1" }));
  assert.equal(created.kind, "ConfigMap");
  assert.equal(created.metadata.namespace, ns.name);
  await assert.rejects(
    api.create(configMap(ns.name, "cm")),
    isApiError((e) => e.isAlreadyExists() && !e.isConflict()),
  );
  assert.equal(await api.find("missing", { namespace: ns.name }), undefined);
  await assert.rejects(
    api.get("missing", { namespace: ns.name }),
    isApiError((e) => e.isNotFound()),
  );

  const replaced = await api.replace({ ...created, data: { a: "2" } });
  assert.deepEqual(replaced.data, { a: "2" });
  await assert.rejects(
    api.replace({ ...created, data: { a: "stale" } }),
    isApiError((e) => e.isConflict() && e.status === 409),
    "a PUT with a stale resourceVersion is a conflict",
  );

  const merged = await api.mergePatch("cm", { data: { b: "3" } }, {
    namespace: ns.name,
  });
  assert.deepEqual(merged.data, { a: "2", b: "3" });
  const patched = await api.jsonPatch("cm", [
    { op: "test", path: "/data/a", value: "2" },
    { op: "replace", path: "/data/a", value: "4" },
  ], { namespace: ns.name });
  assert.deepEqual(patched.data, { a: "4", b: "3" });
  await assert.rejects(
    api.jsonPatch("cm", [{ op: "test", path: "/data/a", value: "2" }], {
      namespace: ns.name,
    }),
    KubeApiError,
    "a failed test op rejects the patch",
  );

  const applied = await api.apply(configMap(ns.name, "cm", { c: "5" }), {
    fieldManager: "tester",
  });
  assert.equal(applied.data?.["c"], "5");
  await assert.rejects(
    api.apply(configMap(ns.name, "cm", { c: "6" }), { fieldManager: "other" }),
    isApiError((e) => e.isConflict()),
    "another manager's field is a conflict without force",
  );
  const forced = await api.apply(configMap(ns.name, "cm", { c: "6" }), {
    fieldManager: "other",
    force: true,
  });
  assert.equal(forced.data?.["c"], "6");

  await assert.rejects(
    api.delete("cm", {
      namespace: ns.name,
      preconditions: { uid: "00000000-0000-0000-0000-000000000000" },
    }),
    isApiError((e) => e.isConflict()),
  );
  await api.delete("cm", {
    namespace: ns.name,
    preconditions: { uid: created.metadata.uid! },
  });
  assert.equal(await api.find("cm", { namespace: ns.name }), undefined);
});

Deno.test("retryOnConflict re-runs a read-modify-write that lost a race", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-conflict");
  using client = await clientFor(plane.kubeconfigPath);
  const api = configMapApi(client);
  await api.create(configMap(ns.name, "counter", { n: "0" }));
  let attempts = 0;
  await retryOnConflict(async () => {
    attempts++;
    const current = await api.get("counter", { namespace: ns.name });
    if (attempts === 1) {
      // Someone else writes between our read and our write.
      await api.mergePatch("counter", { data: { other: "x" } }, {
        namespace: ns.name,
      });
    }
    const n = Number(current.data?.["n"] ?? "0");
    return await api.replace({
      ...current,
      data: { ...current.data, n: String(n + 1) },
    });
  });
  const final = await api.get("counter", { namespace: ns.name });
  assert.equal(attempts, 2);
  assert.deepEqual(final.data, { n: "1", other: "x" }, "neither write is lost");
});

Deno.test("ResourceApi pages through a list with continue tokens", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-paging");
  using client = await clientFor(plane.kubeconfigPath);
  const api = configMapApi(client);
  for (let i = 0; i < 23; i++) {
    await api.create(configMap(ns.name, `cm-${i}`, {}, { paged: "yes" }));
  }
  await api.create(configMap(ns.name, "unlabelled"));
  const sizes: number[] = [];
  const versions = new Set<string>();
  for await (
    const page of api.pages({
      namespace: ns.name,
      labelSelector: "paged=yes",
      limit: 10,
    })
  ) {
    sizes.push(page.items.length);
    versions.add(page.resourceVersion);
  }
  assert.deepEqual(sizes, [10, 10, 3]);
  assert.equal(versions.size, 1, "every page belongs to one snapshot");
  const all = await api.listAll({
    namespace: ns.name,
    labelSelector: "paged=yes",
    limit: 7,
  });
  assert.deepEqual(
    all.items.map((o) => o.metadata.name).sort(),
    Array.from({ length: 23 }, (_, i) => `cm-${i}`).sort(),
  );
  const byField = await api.listAll({
    namespace: ns.name,
    fieldSelector: "metadata.name=unlabelled",
  });
  assert.deepEqual(byField.items.map((o) => o.metadata.name), ["unlabelled"]);
});

Deno.test("status writes go through the subresource and leave spec and generation alone", async () => {
  const plane = await sharedControlPlane();
  await installWidgetCrd(plane);
  await using ns = await createTestNamespace(plane, "kube-status");
  using client = await clientFor(plane.kubeconfigPath);
  const api = widgetApi(client);
  const created = await api.create({
    metadata: { name: "w", namespace: ns.name },
    spec: { size: 1 },
    status: { phase: "ignored" },
  });
  assert.equal(created.status, undefined, "status is dropped on create");
  const generation = created.metadata.generation;

  const replaced = await api.replace(
    { ...created, spec: { size: 99 }, status: { phase: "Ready" } },
    { subresource: "status" },
  );
  assert.deepEqual(replaced.status, { phase: "Ready" });
  assert.deepEqual(
    replaced.spec,
    { size: 1 },
    "spec changes through /status are ignored",
  );
  assert.equal(replaced.metadata.generation, generation);

  const merged = await api.mergePatch("w", { status: { phase: "Degraded" } }, {
    namespace: ns.name,
    subresource: "status",
  });
  assert.equal(merged.status?.phase, "Degraded");
  const applied = await api.apply(
    {
      apiVersion: "kube-test.example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: ns.name },
      status: { phase: "Applied" },
    },
    { fieldManager: "status-writer", subresource: "status", force: true },
  );
  assert.equal(applied.status?.phase, "Applied");
  const viaStatus = await api.get("w", {
    namespace: ns.name,
    subresource: "status",
  });
  assert.equal(viaStatus.status?.phase, "Applied");
  assert.equal(
    viaStatus.metadata.generation,
    generation,
    "status writes never bump generation",
  );

  const specChange = await api.mergePatch("w", {
    spec: { size: 2 },
    status: { phase: "X" },
  }, { namespace: ns.name });
  assert.equal(
    specChange.status?.phase,
    "Applied",
    "status changes through the main resource are ignored",
  );
  assert.equal(specChange.metadata.generation, (generation ?? 0) + 1);
});

Deno.test("ResourceApi.watch streams typed events from a resourceVersion", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-watch");
  using client = await clientFor(plane.kubeconfigPath);
  const api = configMapApi(client);
  const { resourceVersion } = await api.listAll({ namespace: ns.name });
  const abort = new AbortController();
  const seen: string[] = [];
  const watching = (async () => {
    for await (
      const event of api.watch({
        namespace: ns.name,
        resourceVersion,
        timeoutSeconds: 60,
        signal: abort.signal,
      })
    ) {
      if (event.type === "BOOKMARK" || event.type === "ERROR") continue;
      seen.push(
        `${event.type} ${event.object.metadata.name} ${
          event.object.data?.["v"] ?? ""
        }`,
      );
      if (event.type === "DELETED") break;
    }
  })();
  await api.create(configMap(ns.name, "w", { v: "1" }));
  await api.mergePatch("w", { data: { v: "2" } }, { namespace: ns.name });
  await api.delete("w", { namespace: ns.name });
  await watching;
  abort.abort();
  assert.deepEqual(seen, ["ADDED w 1", "MODIFIED w 2", "DELETED w 2"]);
});

Deno.test("KubeClient waits out 429 Too Many Requests and gives up after its retries", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-throttle");
  const clock = new FakeClock(Date.now());
  using client = await clientFor(plane.kubeconfigPath, { clock });
  const base = `/api/v1/namespaces/${ns.name}`;
  // A running pod guarded by a disruption budget that no controller has processed yet:
  // its eviction is refused with 429 until the budget goes away.
  for (const name of ["first", "second"]) {
    await client.request({
      method: "POST",
      path: `${base}/pods`,
      body: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, labels: { app: "guarded" } },
        spec: { containers: [{ name: "c", image: "registry.invalid/none" }] },
      },
    });
    await client.request({
      method: "PATCH",
      path: `${base}/pods/${name}/status`,
      contentType: "application/merge-patch+json",
      body: { status: { phase: "Running" } },
    });
  }
  const budget = `/apis/policy/v1/namespaces/${ns.name}/poddisruptionbudgets`;
  await client.request({
    method: "POST",
    path: budget,
    body: {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "guard" },
      spec: { minAvailable: 2, selector: { matchLabels: { app: "guarded" } } },
    },
  });
  const evict = (name: string) =>
    client.request({
      method: "POST",
      path: `${base}/pods/${name}/eviction`,
      body: {
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name, namespace: ns.name },
      },
    });

  // The server asks for 10 s (Retry-After). Refused four times (the first try and three
  // retries), then the 429 is surfaced.
  let outcome: unknown = "pending";
  evict("first").then(() => outcome = "evicted", (e) => outcome = e);
  for (let wait = 0; wait < 3; wait++) {
    await until(
      () => clock.pendingTimers === 1,
      "the client to wait before retrying",
    );
    await clock.advance(10_000);
  }
  await until(() => outcome !== "pending", "the eviction to give up");
  assert.ok(
    outcome instanceof KubeApiError && outcome.isTooManyRequests(),
    String(outcome),
  );
  assert.equal(outcome.retryAfterSeconds, 10);

  // Retried after the budget is removed: the same request then succeeds.
  outcome = "pending";
  evict("second").then(() => outcome = "evicted", (e) => outcome = e);
  await until(
    () => clock.pendingTimers === 1,
    "the client to wait before retrying",
  );
  const removed = await plane.request("DELETE", `${budget}/guard`);
  assert.equal(removed.status, 200);
  await clock.advance(10_000);
  await until(() => outcome !== "pending", "the retried eviction");
  assert.equal(outcome, "evicted");
});
