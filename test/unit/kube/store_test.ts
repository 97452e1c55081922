// Unit tests of Store: lookups by namespace and labels, listeners, and atomic replace with synthesised deletes.

import assert from "node:assert/strict";
import type { KubeObject } from "../../../src/kube/kube_object.ts";
import { Store, type StoreChange } from "../../../src/kube/store.ts";

function obj(
  namespace: string,
  name: string,
  resourceVersion: string,
  labels?: Record<string, string>,
): KubeObject {
  return {
    metadata: {
      namespace,
      name,
      resourceVersion,
      ...(labels ? { labels } : {}),
    },
  };
}

function recorder(store: Store<KubeObject>): StoreChange<KubeObject>[] {
  const changes: StoreChange<KubeObject>[] = [];
  store.subscribe((change) => changes.push(change));
  return changes;
}

function summary(changes: StoreChange<KubeObject>[]): string[] {
  return changes.map((c) =>
    `${c.key} ${c.previous?.metadata?.resourceVersion ?? "-"}->${
      c.current?.metadata?.resourceVersion ?? "-"
    }`
  ).sort();
}

Deno.test("Store finds objects by namespace, name and labels", () => {
  const store = new Store<KubeObject>();
  store.apply(obj("a", "x", "1", { app: "web", tier: "front" }));
  store.apply(obj("a", "y", "2", { app: "db" }));
  store.apply(obj("b", "x", "3", { app: "web" }));
  store.apply({ metadata: { name: "cluster-wide", resourceVersion: "4" } });
  assert.equal(store.size, 4);
  assert.equal(store.get("a", "x")?.metadata?.resourceVersion, "1");
  assert.equal(
    store.get(undefined, "cluster-wide")?.metadata?.resourceVersion,
    "4",
  );
  assert.equal(store.get("c", "x"), undefined);
  assert.deepEqual(store.list("a").map((o) => o.metadata?.name).sort(), [
    "x",
    "y",
  ]);
  assert.equal(store.list().length, 4);
  assert.deepEqual(
    store.list(undefined, { matchLabels: { app: "web" } }).map((o) =>
      o.metadata?.namespace
    ).sort(),
    ["a", "b"],
  );
  assert.deepEqual(
    store.list("a", { matchExpressions: [{ key: "tier", operator: "Exists" }] })
      .map((o) => o.metadata?.name),
    ["x"],
  );
});

Deno.test("Store tells listeners the old and the new object", () => {
  const store = new Store<KubeObject>();
  const changes = recorder(store);
  store.apply(obj("a", "x", "1"));
  store.apply(obj("a", "x", "2"));
  store.delete(obj("a", "x", "3"));
  store.delete(obj("a", "missing", "4"));
  assert.deepEqual(summary(changes), ["a/x -->1", "a/x 1->2", "a/x 2->-"]);
  assert.equal(store.size, 0);
});

Deno.test("Store replace reports additions, changes and deletions that happened unseen", () => {
  const store = new Store<KubeObject>();
  store.apply(obj("a", "kept", "1"));
  store.apply(obj("a", "changed", "1"));
  store.apply(obj("a", "gone", "1"));
  const changes = recorder(store);
  store.replace([
    obj("a", "kept", "1"),
    obj("a", "changed", "7"),
    obj("a", "new", "8"),
  ]);
  assert.deepEqual(summary(changes), [
    "a/changed 1->7",
    "a/gone 1->-",
    "a/new -->8",
  ]);
  assert.deepEqual(store.list("a").map((o) => o.metadata?.name).sort(), [
    "changed",
    "kept",
    "new",
  ]);
  assert.equal(store.size, 3);
});

Deno.test("Store replace of one namespace leaves the others alone", () => {
  const store = new Store<KubeObject>();
  store.apply(obj("a", "x", "1"));
  store.apply(obj("b", "x", "1"));
  const changes = recorder(store);
  store.replace([obj("a", "y", "2")], "a");
  assert.deepEqual(summary(changes), ["a/x 1->-", "a/y -->2"]);
  assert.equal(store.get("b", "x")?.metadata?.resourceVersion, "1");
  assert.equal(store.size, 2);
  store.replace([], "c");
  assert.equal(store.size, 2);
});
