// Unit tests for the trimmed ReplicaSet and Ingress records the watcher caches.
import assert from "node:assert/strict";
import type { Ingress } from "kubernetes-types/networking/v1.d.ts";
import type { ReplicaSet } from "kubernetes-types/apps/v1.d.ts";
import {
  decodeIngressRecord,
  decodeReplicaSetRecord,
  ingressView,
  replicaSetView,
} from "../../../src/controllers/workload_records.ts";

/** A ReplicaSet as the API server returns it for a Deployment's rollout. */
function apiServerReplicaSet(): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: "orders-7d9f8b6c5",
      namespace: "shop",
      uid: "rs-uid-1",
      resourceVersion: "4711",
      generation: 3,
      creationTimestamp: "2026-01-02T03:04:05Z",
      labels: {
        "app.kubernetes.io/name": "orders",
        "pod-template-hash": "7d9f8b6c5",
      },
      annotations: {
        "deployment.kubernetes.io/desired-replicas": "2",
        "deployment.kubernetes.io/max-replicas": "3",
        "deployment.kubernetes.io/revision": "4",
        "kubectl.kubernetes.io/last-applied-configuration": '{"big":true}',
      },
      ownerReferences: [
        {
          apiVersion: "example.com/v1",
          kind: "Rollout",
          name: "not-the-controller",
          uid: "other-owner-uid",
        },
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: "orders",
          uid: "deploy-uid",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      managedFields: [{
        manager: "kube-controller-manager",
        operation: "Update",
        apiVersion: "apps/v1",
        time: "2026-01-02T03:04:05Z",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:status": {} },
      }],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { "app.kubernetes.io/name": "orders" } },
      template: {
        metadata: { labels: { "app.kubernetes.io/name": "orders" } },
        spec: {
          initContainers: [{ name: "migrate", image: "orders-migrate:1.0" }],
          containers: [
            {
              name: "app",
              image: "registry.example.com/orders:1.2.3",
              env: [{ name: "SECRET_NAME", value: "orders-db" }],
              ports: [{ containerPort: 8080 }],
            },
            { name: "proxy", image: "envoy:1.30" },
          ],
        },
      },
    },
    status: {
      replicas: 2,
      fullyLabeledReplicas: 2,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: 3,
    },
  };
}

Deno.test("decodeReplicaSetRecord() keeps only the fields the readiness decision needs", () => {
  assert.deepEqual(decodeReplicaSetRecord(apiServerReplicaSet()), {
    metadata: {
      name: "orders-7d9f8b6c5",
      namespace: "shop",
      resourceVersion: "4711",
      labels: {
        "app.kubernetes.io/name": "orders",
        "pod-template-hash": "7d9f8b6c5",
      },
    },
    uid: "rs-uid-1",
    ownerUid: "deploy-uid",
    ownerKind: "Deployment",
    ownerName: "orders",
    revision: 4,
    creationTimestamp: "2026-01-02T03:04:05Z",
    desiredReplicas: 2,
    readyReplicas: 1,
    images: ["registry.example.com/orders:1.2.3", "envoy:1.30"],
  });
});

Deno.test("decodeReplicaSetRecord() keeps no annotation, template or managed field text", () => {
  const text = JSON.stringify(decodeReplicaSetRecord(apiServerReplicaSet()));
  for (
    const dropped of [
      '"annotations"',
      "desired-replicas",
      "last-applied-configuration",
      '"managedFields"',
      '"template"',
      "SECRET_NAME",
      '"containerPort"',
      "orders-migrate",
      "other-owner-uid",
      '"selector"',
      '"ownerReferences"',
    ]
  ) {
    assert.ok(!text.includes(dropped), `record still holds ${dropped}`);
  }
});

Deno.test("decodeReplicaSetRecord() takes the owner uid from the controller owner only", () => {
  const rs = apiServerReplicaSet();
  rs.metadata!.ownerReferences = [{
    apiVersion: "apps/v1",
    kind: "Deployment",
    name: "orders",
    uid: "deploy-uid",
    controller: false,
  }];
  assert.equal(decodeReplicaSetRecord(rs).ownerUid, undefined);
  delete rs.metadata!.ownerReferences;
  assert.equal(decodeReplicaSetRecord(rs).ownerUid, undefined);
});

Deno.test("decodeReplicaSetRecord() applies Kubernetes defaults to a bare ReplicaSet", () => {
  const record = decodeReplicaSetRecord({ metadata: { name: "bare" } });
  assert.equal(record.uid, "");
  assert.equal(record.creationTimestamp, "");
  assert.equal(record.desiredReplicas, 1);
  assert.equal(record.readyReplicas, 0);
  assert.deepEqual(record.images, []);
  assert.equal(record.revision, undefined);
  assert.deepEqual(record.metadata, { name: "bare" });
});

Deno.test("decodeReplicaSetRecord() keeps a scale-to-zero ReplicaSet at zero replicas", () => {
  const rs = apiServerReplicaSet();
  rs.spec!.replicas = 0;
  delete rs.status!.readyReplicas;
  const record = decodeReplicaSetRecord(rs);
  assert.equal(record.desiredReplicas, 0);
  assert.equal(record.readyReplicas, 0);
});

Deno.test("decodeReplicaSetRecord() skips containers without an image", () => {
  const record = decodeReplicaSetRecord({
    metadata: { name: "rs" },
    spec: {
      template: { spec: { containers: [{ name: "a" }, { image: "b:1" }] } },
    },
  });
  assert.deepEqual(record.images, ["b:1"]);
});

Deno.test("decodeReplicaSetRecord() rejects a ReplicaSet without a name", () => {
  assert.throws(() => decodeReplicaSetRecord({ metadata: {} }));
  assert.throws(() => decodeReplicaSetRecord({}));
});

Deno.test("decodeReplicaSetRecord() rejects a non-integer replica count", () => {
  assert.throws(() =>
    decodeReplicaSetRecord({
      metadata: { name: "rs" },
      spec: { replicas: "2" },
    })
  );
});

Deno.test("replicaSetView() carries the readiness facts of a record", () => {
  assert.deepEqual(
    replicaSetView(decodeReplicaSetRecord(apiServerReplicaSet())),
    {
      name: "orders-7d9f8b6c5",
      uid: "rs-uid-1",
      owner: "Deployment/orders",
      ownerUid: "deploy-uid",
      revision: 4,
      creationTimestamp: "2026-01-02T03:04:05Z",
      desiredReplicas: 2,
      readyReplicas: 1,
      images: ["registry.example.com/orders:1.2.3", "envoy:1.30"],
    },
  );
});

Deno.test("replicaSetView() leaves out a missing owner and a revision that is not a number", () => {
  const rs = apiServerReplicaSet();
  delete rs.metadata!.ownerReferences;
  rs.metadata!.annotations = { "deployment.kubernetes.io/revision": "four" };
  const view = replicaSetView(decodeReplicaSetRecord(rs));
  assert.equal("ownerUid" in view, false);
  assert.equal("revision" in view, false);
});

Deno.test("replicaSetView() leaves out the revision when the annotation is absent", () => {
  const rs = apiServerReplicaSet();
  rs.metadata!.annotations = { "other": "1" };
  assert.equal("revision" in replicaSetView(decodeReplicaSetRecord(rs)), false);
});

// ---- Ingress --------------------------------------------------------------------------------

function apiServerIngress(): Ingress {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: "orders",
      namespace: "shop",
      uid: "ing-uid",
      resourceVersion: "99",
      labels: { app: "orders" },
      annotations: { "nginx.ingress.kubernetes.io/rewrite-target": "/" },
    },
    spec: {
      ingressClassName: "nginx",
      tls: [{ hosts: ["orders.example.com"], secretName: "orders-tls" }],
      rules: [
        {
          host: "orders.example.com",
          http: {
            paths: [{
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: "orders", port: { number: 80 } } },
            }],
          },
        },
        { http: { paths: [] } },
        { host: "*.shop.example.com" },
      ],
    },
  };
}

Deno.test("decodeIngressRecord() keeps the name and the rule hosts", () => {
  assert.deepEqual(decodeIngressRecord(apiServerIngress()), {
    metadata: { name: "orders", namespace: "shop", resourceVersion: "99" },
    hosts: ["orders.example.com", "*.shop.example.com"],
  });
});

Deno.test("decodeIngressRecord() finds no hosts in an Ingress without rules", () => {
  const ingress = apiServerIngress();
  delete ingress.spec!.rules;
  assert.deepEqual(decodeIngressRecord(ingress).hosts, []);
  assert.deepEqual(decodeIngressRecord({ metadata: { name: "x" } }).hosts, []);
});

Deno.test("ingressView() carries the name and hosts of a record", () => {
  assert.deepEqual(ingressView(decodeIngressRecord(apiServerIngress())), {
    name: "orders",
    hosts: ["orders.example.com", "*.shop.example.com"],
  });
});
