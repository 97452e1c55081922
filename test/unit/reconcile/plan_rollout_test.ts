// Unit tests for the rollout planner: when the watcher creates, updates or leaves an APIMAPIDeployment.
import assert from "node:assert/strict";
import type { ApimApiDeploymentSpec } from "../../../src/crd/apim_api_deployment.ts";
import {
  planRollout,
  type RolloutInputs,
} from "../../../src/reconcile/plan_rollout.ts";
import type {
  ReplicaSetView,
  WorkloadState,
} from "../../../src/reconcile/workload_readiness.ts";

const DOC_URL = "https://orders.example.com/swagger.json";
const SERVICE_URL = "https://orders.example.com";

function replicaSet(name = "orders-7d9f", uid = `uid-${name}`): ReplicaSetView {
  return {
    name,
    uid,
    ownerUid: "deploy-uid",
    revision: 3,
    creationTimestamp: "2026-01-01T00:00:00Z",
    desiredReplicas: 2,
    readyReplicas: 2,
    images: ["registry.example.com/orders:1.2.3", "sidecar:9"],
  };
}

const ready: WorkloadState = {
  state: "Ready",
  workloads: [],
  ready: [replicaSet()],
};

function inputs(overrides: Partial<RolloutInputs> = {}): RolloutInputs {
  return {
    apiName: "orders",
    generation: 2,
    workload: ready,
    documentUrl: DOC_URL,
    serviceUrl: SERVICE_URL,
    ...overrides,
  };
}

/** The spec the watcher writes for replicaSet() at generation 2. */
const expectedSpec: ApimApiDeploymentSpec = {
  apimApiName: "orders",
  replicaSet: {
    name: "orders-7d9f",
    uid: "uid-orders-7d9f",
    images: ["registry.example.com/orders:1.2.3", "sidecar:9"],
  },
  readyReplicaSets: [{ name: "orders-7d9f", uid: "uid-orders-7d9f" }],
  apimApiGeneration: 2,
  openApiDefinitionUrl: DOC_URL,
  serviceUrl: SERVICE_URL,
};

Deno.test("planRollout() creates a deployment for a ready rollout that was never registered", () => {
  assert.deepEqual(planRollout(inputs()), {
    deployment: { action: "create", spec: expectedSpec },
  });
});

Deno.test("planRollout() creates nothing when the same ReplicaSet and generation are registered", () => {
  assert.deepEqual(
    planRollout(inputs({
      registered: { uid: "uid-orders-7d9f", generation: 2 },
    })),
    { deployment: { action: "none" } },
  );
});

Deno.test("planRollout() creates a deployment when the registered ReplicaSet is the same but the generation changed", () => {
  assert.deepEqual(
    planRollout(inputs({
      generation: 3,
      registered: { uid: "uid-orders-7d9f", generation: 2 },
    })),
    {
      deployment: {
        action: "create",
        spec: { ...expectedSpec, apimApiGeneration: 3 },
      },
    },
  );
});

Deno.test("planRollout() creates a deployment when a new ReplicaSet rolled out at a registered generation", () => {
  const plan = planRollout(inputs({
    registered: { uid: "uid-orders-old", generation: 2 },
  }));
  assert.deepEqual(plan, {
    deployment: { action: "create", spec: expectedSpec },
  });
});

Deno.test("planRollout() creates a deployment when the status names a generation but no ReplicaSet", () => {
  assert.deepEqual(planRollout(inputs({ registered: { generation: 2 } })), {
    deployment: { action: "create", spec: expectedSpec },
  });
});

Deno.test("planRollout() leaves a deployment for the same ReplicaSet, generation and URLs alone", () => {
  assert.deepEqual(
    planRollout(inputs({ deployment: { spec: expectedSpec } })),
    { deployment: { action: "none" } },
  );
});

const staleDeployments: [string, ApimApiDeploymentSpec][] = [
  ["another ReplicaSet", {
    ...expectedSpec,
    replicaSet: { name: "orders-old", uid: "uid-orders-old", images: [] },
  }],
  [
    "no ReplicaSet",
    (() => {
      const { replicaSet: _rs, ...rest } = expectedSpec;
      return rest;
    })(),
  ],
  ["an older generation", { ...expectedSpec, apimApiGeneration: 1 }],
  [
    "no generation",
    (() => {
      const { apimApiGeneration: _g, ...rest } = expectedSpec;
      return rest;
    })(),
  ],
  ["another document URL", {
    ...expectedSpec,
    openApiDefinitionUrl: "https://orders.example.com/v2/swagger.json",
  }],
  ["another service URL", {
    ...expectedSpec,
    serviceUrl: "https://orders-v2.example.com",
  }],
];

for (const [what, stale] of staleDeployments) {
  Deno.test(`planRollout() updates the deployment when it names ${what}`, () => {
    assert.deepEqual(planRollout(inputs({ deployment: { spec: stale } })), {
      deployment: { action: "update", spec: expectedSpec },
    });
  });
}

Deno.test("planRollout() writes nothing when the rollout is registered even if a deployment names an older generation", () => {
  assert.deepEqual(
    planRollout(inputs({
      registered: { uid: "uid-orders-7d9f", generation: 2 },
      deployment: { spec: { ...expectedSpec, apimApiGeneration: 1 } },
    })),
    { deployment: { action: "none" } },
  );
});

const waiting: [Exclude<WorkloadState, { state: "Ready" }>, string][] = [
  [
    { state: "NoMatch", message: "No ReplicaSet matches", workloads: [] },
    "NoMatchingReplicaSet",
  ],
  [
    { state: "NotReady", workloads: [], message: "1 of 2 replicas ready" },
    "WaitingForReplicaSet",
  ],
  [
    {
      state: "WaitingForIngress",
      workloads: [],
      host: "orders.example.com",
      message: "Waiting for an Ingress",
    },
    "WaitingForIngress",
  ],
];

for (const [workload, reason] of waiting) {
  Deno.test(`planRollout() reports ${reason} when the workload is ${workload.state} and nothing is registered`, () => {
    assert.deepEqual(planRollout(inputs({ workload })), {
      deployment: { action: "none" },
      verdict: {
        state: "progressing",
        reason,
        message: workload.message,
      },
    });
  });

  Deno.test(`planRollout() reports ${reason} when the workload is ${workload.state} and only an older generation is registered`, () => {
    const plan = planRollout(inputs({
      workload,
      registered: { uid: "uid-orders-7d9f", generation: 1 },
    }));
    assert.equal(plan.deployment.action, "none");
    assert.equal(plan.verdict?.reason, reason);
  });

  Deno.test(`planRollout() keeps quiet when the workload is ${workload.state} but the generation is registered`, () => {
    assert.deepEqual(
      planRollout(inputs({
        workload,
        registered: { uid: "uid-orders-old", generation: 2 },
      })),
      { deployment: { action: "none" } },
    );
  });

  Deno.test(`planRollout() reports ${reason} when the workload is ${workload.state} and only the original operator's record exists`, () => {
    // Its persistent record of the last import: no ReplicaSet of ours, no generation.
    const original: ApimApiDeploymentSpec = {
      apimApiName: "orders",
      openApiDefinitionUrl: DOC_URL,
      serviceUrl: SERVICE_URL,
    };
    const plan = planRollout(
      inputs({ workload, deployment: { spec: original } }),
    );
    assert.equal(plan.deployment.action, "none");
    assert.equal(plan.verdict?.reason, reason);
  });

  Deno.test(`planRollout() keeps quiet when the workload is ${workload.state} but a deployment exists`, () => {
    assert.deepEqual(
      planRollout(inputs({ workload, deployment: { spec: expectedSpec } })),
      { deployment: { action: "none" } },
    );
  });
}

Deno.test("planRollout() signals a new ready rollout of any matched workload, naming it", () => {
  const api = { ...replicaSet("api-2"), owner: "Deployment/api" };
  const worker = { ...replicaSet("worker-5"), owner: "Deployment/worker" };
  const plan = planRollout(inputs({
    workload: { state: "Ready", workloads: [], ready: [api, worker] },
    registered: { uid: "uid-worker-5", generation: 2 },
    registeredSet: [{ uid: "uid-worker-5" }, { uid: "uid-api-1" }],
  }));
  const deployment = plan.deployment;
  assert.equal(deployment.action, "create");
  const spec = "spec" in deployment ? deployment.spec : undefined;
  assert.equal(spec?.replicaSet?.name, "api-2");
  assert.equal(spec?.replicaSet?.owner, "Deployment/api");
  assert.deepEqual(spec?.readyReplicaSets?.map((r) => r.name), [
    "api-2",
    "worker-5",
  ]);
});

Deno.test("planRollout() writes nothing once every ready workload's ReplicaSet is registered", () => {
  const api = replicaSet("api-2");
  const worker = replicaSet("worker-5");
  assert.deepEqual(
    planRollout(inputs({
      workload: { state: "Ready", workloads: [], ready: [api, worker] },
      registered: { uid: "uid-api-2", generation: 2 },
      registeredSet: [{ uid: "uid-worker-5" }, { uid: "uid-api-2" }],
    })),
    { deployment: { action: "none" } },
  );
});
