// Unit tests for the workload readiness decision.
import assert from "node:assert/strict";
import {
  decideWorkloadState,
  ingressHostMatches,
  isClusterLocalHost,
  type ReplicaSetView,
  type WorkloadInputs,
} from "../../../src/reconcile/workload_readiness.ts";

function rs(
  name: string,
  overrides: Partial<ReplicaSetView> = {},
): ReplicaSetView {
  return {
    name,
    uid: `uid-${name}`,
    ownerUid: "deploy-1",
    creationTimestamp: "2026-01-01T00:00:00Z",
    desiredReplicas: 2,
    readyReplicas: 2,
    images: ["my-api:latest"],
    ...overrides,
  };
}

function ownerless(view: ReplicaSetView): ReplicaSetView {
  const { ownerUid: _owner, ...rest } = view;
  return rest;
}

function inputs(overrides: Partial<WorkloadInputs>): WorkloadInputs {
  return {
    namespace: "default",
    replicaSets: [],
    ingresses: [{ name: "my-api", hosts: ["my-api.example.com"] }],
    serviceUrl: "https://my-api.example.com",
    skipIngressCheck: false,
    ...overrides,
  };
}

Deno.test("decideWorkloadState() reports NoMatch without ReplicaSets", () => {
  assert.equal(decideWorkloadState(inputs({})).state, "NoMatch");
});

Deno.test("decideWorkloadState() is Ready when the newest ReplicaSet is ready and old ones drained", () => {
  const state = decideWorkloadState(inputs({
    replicaSets: [
      rs("old", { revision: 1, desiredReplicas: 0, readyReplicas: 0 }),
      rs("new", { revision: 2 }),
    ],
  }));
  assert.equal(state.state, "Ready");
  assert.deepEqual(
    state.state === "Ready" && state.ready.map((r) => r.name),
    ["new"],
  );
});

Deno.test("decideWorkloadState() waits while the newest ReplicaSet is not fully ready", () => {
  const state = decideWorkloadState(inputs({
    replicaSets: [
      rs("new", { revision: 2, readyReplicas: 1 }),
      rs("old", { revision: 1 }),
    ],
  }));
  assert.equal(state.state, "NotReady");
  assert.match(
    state.state === "NotReady" ? state.message : "",
    /1 of 2 replicas ready/,
  );
});

Deno.test("decideWorkloadState() waits while an older ReplicaSet of the same owner has ready pods", () => {
  const state = decideWorkloadState(inputs({
    replicaSets: [
      rs("new", { revision: 3 }),
      rs("old", { revision: 2, readyReplicas: 1 }),
    ],
  }));
  assert.equal(state.state, "NotReady");
  assert.match(state.state === "NotReady" ? state.message : "", /"old"/);
});

/** Two Deployments sharing the name label (a Helm chart's api and worker). */
function owners(
  api: Partial<ReplicaSetView>[],
  worker: Partial<ReplicaSetView>[],
): ReplicaSetView[] {
  const of = (owner: string, sets: Partial<ReplicaSetView>[]) =>
    sets.map((o, i) =>
      rs(`${owner}-${i + 1}`, {
        ownerUid: `uid-${owner}`,
        owner: `Deployment/${owner}`,
        revision: i + 1,
        ...o,
      })
    );
  return [...of("api", api), ...of("worker", worker)];
}

const ownerRows: {
  what: string;
  api: Partial<ReplicaSetView>[];
  worker: Partial<ReplicaSetView>[];
  state: string;
  ready: string[];
}[] = [
  {
    what:
      "a worker at a higher revision does not outrank the api's new rollout",
    api: [{ readyReplicas: 0 }, {}],
    worker: [{ readyReplicas: 0 }, { readyReplicas: 0 }, {}],
    state: "Ready",
    ready: ["api-2", "worker-3"],
  },
  {
    what: "a worker scaled to zero does not block the api",
    api: [{}],
    worker: [{ desiredReplicas: 0, readyReplicas: 0 }],
    state: "Ready",
    ready: ["api-1"],
  },
  {
    what: "a worker mid-rollout does not block the api",
    api: [{}],
    worker: [{}, { readyReplicas: 1 }],
    state: "Ready",
    ready: ["api-1"],
  },
  {
    what: "the api draining its old ReplicaSet is judged on its own",
    api: [{ readyReplicas: 1 }, {}],
    worker: [{ desiredReplicas: 0, readyReplicas: 0 }],
    state: "NotReady",
    ready: [],
  },
];

for (const row of ownerRows) {
  Deno.test(`decideWorkloadState() judges each owner on its own: ${row.what}`, () => {
    const state = decideWorkloadState(inputs({
      replicaSets: owners(row.api, row.worker),
    }));
    assert.equal(state.state, row.state);
    assert.deepEqual(
      state.state === "Ready" ? state.ready.map((r) => r.name).sort() : [],
      row.ready,
    );
    assert.deepEqual(
      state.workloads.map((w) => w.owner),
      ["Deployment/api", "Deployment/worker"],
    );
  });
}

Deno.test("decideWorkloadState() orders one owner's ReplicaSets by creation time when revisions are absent", () => {
  const state = decideWorkloadState(inputs({
    replicaSets: [
      rs("a", {
        creationTimestamp: "2026-01-02T00:00:00Z",
        readyReplicas: 0,
      }),
      rs("b", { creationTimestamp: "2026-01-01T00:00:00Z" }),
    ],
  }));
  assert.equal(state.state, "NotReady");
  assert.equal(state.workloads[0]?.replicaSet.name, "a");
});

Deno.test("decideWorkloadState() treats each ReplicaSet without an owner as its own workload", () => {
  const state = decideWorkloadState(inputs({
    replicaSets: [
      ownerless(rs("a", { readyReplicas: 0 })),
      ownerless(rs("b")),
    ],
  }));
  assert.equal(state.state, "Ready");
  assert.deepEqual(state.workloads.map((w) => w.owner), [
    "ReplicaSet/a",
    "ReplicaSet/b",
  ]);
});

Deno.test("decideWorkloadState() treats a ReplicaSet scaled to zero as not ready", () => {
  const state = decideWorkloadState(inputs({
    replicaSets: [rs("new", { desiredReplicas: 0, readyReplicas: 0 })],
  }));
  assert.equal(state.state, "NotReady");
});

Deno.test("decideWorkloadState() waits for an Ingress serving a public serviceUrl host", () => {
  const state = decideWorkloadState(
    inputs({ replicaSets: [rs("new")], ingresses: [] }),
  );
  assert.equal(state.state, "WaitingForIngress");
  assert.equal(
    state.state === "WaitingForIngress" && state.host,
    "my-api.example.com",
  );
});

Deno.test("decideWorkloadState() skips the Ingress gate for cluster-local hosts and when asked", () => {
  assert.equal(
    decideWorkloadState(inputs({
      replicaSets: [rs("new")],
      ingresses: [],
      serviceUrl: "http://my-api.default.svc.cluster.local:8080",
    })).state,
    "Ready",
  );
  assert.equal(
    decideWorkloadState(
      inputs({
        replicaSets: [rs("new")],
        ingresses: [],
        skipIngressCheck: true,
      }),
    )
      .state,
    "Ready",
  );
});

Deno.test("isClusterLocalHost() recognises cluster DNS names and IPs", () => {
  for (
    const h of [
      "my-api",
      "my-api.default.svc",
      "a.b.svc.cluster.local",
      "10.0.0.7",
      "localhost",
    ]
  ) {
    assert.equal(isClusterLocalHost(h), true, h);
  }
  for (const h of ["my-api.example.com", "api.contoso.net"]) {
    assert.equal(isClusterLocalHost(h), false, h);
  }
});

Deno.test("ingressHostMatches() matches exact and single-label wildcard hosts", () => {
  assert.equal(
    ingressHostMatches("my-api.example.com", "MY-API.example.com"),
    true,
  );
  assert.equal(ingressHostMatches("*.example.com", "my-api.example.com"), true);
  assert.equal(ingressHostMatches("*.example.com", "a.b.example.com"), false);
  assert.equal(
    ingressHostMatches("other.example.com", "my-api.example.com"),
    false,
  );
});
