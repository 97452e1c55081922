// Cache against the real kube-apiserver: initial sync, following changes, selectors, namespaces, transform.

import assert from "node:assert/strict";
import { Cache } from "../../../src/kube/cache.ts";
import type { StoreChange } from "../../../src/kube/store.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../../controlplane/shared.ts";
import {
  clientFor,
  configMap,
  configMapApi,
  type ConfigMapObject,
  until,
} from "./kube_fixtures.ts";

/** What the controller keeps of a ConfigMap: identity and one data key. */
interface TrimmedConfigMap {
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
  };
  keep: string | undefined;
}

function trim(cm: ConfigMapObject): TrimmedConfigMap {
  const { name, namespace, resourceVersion, labels } = cm.metadata;
  return {
    metadata: {
      ...(name ? { name } : {}),
      ...(namespace ? { namespace } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
      ...(labels ? { labels } : {}),
    },
    keep: cm.data?.["keep"],
  };
}

function describe(change: StoreChange<TrimmedConfigMap>): string {
  return `${change.key} ${change.previous?.keep ?? "-"}->${
    change.current?.keep ?? "-"
  }`;
}

Deno.test("Cache syncs, follows creates, updates and deletes, and stores trimmed objects", async () => {
  const plane = await sharedControlPlane();
  await using a = await createTestNamespace(plane, "kube-cache-a");
  await using b = await createTestNamespace(plane, "kube-cache-b");
  await using unwatched = await createTestNamespace(plane, "kube-cache-c");
  using client = await clientFor(plane.kubeconfigPath);
  const api = configMapApi(client);
  const watched = { cached: "yes" };
  await api.create(
    configMap(a.name, "early", { keep: "1", big: "x".repeat(1000) }, watched),
  );
  await api.create(configMap(a.name, "unlabelled", { keep: "1" }));

  const cache = new Cache({
    api,
    namespaces: [a.name, b.name],
    labelSelector: "cached=yes",
    transform: trim,
  });
  const changes: string[] = [];
  cache.subscribe((change) => changes.push(describe(change)));
  const abort = new AbortController();
  const running = cache.run(abort.signal);
  try {
    await cache.waitUntilSynced(AbortSignal.timeout(30_000));
    assert.equal(cache.synced, true);
    assert.deepEqual(
      cache.get(a.name, "early"),
      trim(await api.get("early", { namespace: a.name })),
    );
    assert.equal(
      cache.get(a.name, "unlabelled"),
      undefined,
      "the server-side selector filters",
    );
    assert.deepEqual(changes, [`${a.name}/early -->1`]);

    await api.create(
      configMap(unwatched.name, "elsewhere", { keep: "1" }, watched),
    );
    await api.create(configMap(b.name, "later", { keep: "1" }, watched));
    await until(
      () => cache.get(b.name, "later"),
      "the created ConfigMap in the cache",
    );
    await api.mergePatch("later", { data: { keep: "2" } }, {
      namespace: b.name,
    });
    await until(
      () => cache.get(b.name, "later")?.keep === "2",
      "the update in the cache",
    );
    await api.delete("later", { namespace: b.name });
    await until(
      () => cache.get(b.name, "later") === undefined,
      "the deletion in the cache",
    );
    assert.deepEqual(changes.slice(1), [
      `${b.name}/later -->1`,
      `${b.name}/later 1->2`,
      `${b.name}/later 2->-`,
    ]);
    assert.deepEqual(
      cache.list().map((o) => o.metadata.name),
      ["early"],
      "unwatched namespaces stay out",
    );
    assert.deepEqual(cache.list(a.name, { matchLabels: watched }).length, 1);
  } finally {
    abort.abort();
    await running;
  }
});

Deno.test("Cache over all namespaces honours a field selector", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-cache-all");
  using client = await clientFor(plane.kubeconfigPath);
  const api = configMapApi(client);
  const name = `only-${ns.name}`;
  await api.create(configMap(ns.name, name));
  await api.create(configMap(ns.name, "other"));
  const cache = new Cache({ api, fieldSelector: `metadata.name=${name}` });
  const abort = new AbortController();
  const running = cache.run(abort.signal);
  try {
    await cache.waitUntilSynced(AbortSignal.timeout(30_000));
    assert.deepEqual(
      cache.list().map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
      [`${ns.name}/${name}`],
    );
  } finally {
    abort.abort();
    await running;
  }
});
