// The invariants over hand-made snapshots: each one fires on the state it is about and stays quiet otherwise.
import assert from "node:assert/strict";
import { checkAll } from "../../../chaos/check/check_all.ts";
import { formatResult } from "../../../chaos/report.ts";
import { generateSchedule } from "../../../chaos/schedule/generate.ts";
import type {
  ApimApiView,
  ApiObject,
  Snapshot,
  Violation,
} from "../../../chaos/check/snapshot.ts";
import { documentFor } from "../../../chaos/world/documents.ts";
import type {
  OperationRecord,
  RequestLogEntry,
} from "../../../test/sim/apim_simulator.ts";

const T0 = 1_800_000_000_000;
const DOC = documentFor("app-a", "d2");
const OLD_DOC = documentFor("app-a", "d1");

function apiObject(overrides: Partial<ApiObject> = {}): ApiObject {
  return {
    name: "app-a",
    uid: "uid-a",
    generation: 2,
    deleting: false,
    spec: {
      apiId: "app-a",
      serviceUrl: "http://127.0.0.1:1/app-a",
      routePrefix: "/app-a",
      productIds: ["gold"],
      tagIds: [],
      subscriptionRequired: true,
      revisionMode: "InPlace",
      keep: 2,
      deletionPolicy: "Delete",
    },
    conditions: [{
      type: "Ready",
      status: "True",
      reason: "Registered",
      message: "registered",
      observedGeneration: 2,
    }],
    documentDigest: DOC.digest,
    currentRevision: "1",
    ...overrides,
  };
}

function apimApi(overrides: Partial<ApimApiView> = {}): ApimApiView {
  return {
    name: "app-a",
    currentRevision: "1",
    revisions: [{
      revision: "1",
      isCurrent: true,
      serviceUrl: "http://127.0.0.1:1/app-a",
      path: "app-a",
      subscriptionRequired: true,
      operations: DOC.operations,
      description: "Managed by azure-apim-operator; owner=ns/app-a; hash=ab",
    }],
    productIds: ["gold"],
    tagIds: [],
    ...overrides,
  };
}

function request(overrides: Partial<RequestLogEntry> = {}): RequestLogEntry {
  return {
    method: "GET",
    path:
      "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/x/apis/app-a",
    query: "",
    status: 200,
    at: T0,
    apiVersion: "2024-05-01",
    kind: "read",
    throttled: false,
    retryAfter: null,
    asyncId: null,
    errorCode: null,
    injected: false,
    answerLost: false,
    userAgent: null,
    ...overrides,
  };
}

function importOp(overrides: Partial<OperationRecord> = {}): OperationRecord {
  return {
    id: "op1",
    kind: "import",
    service: "x",
    apiRoot: "app-a",
    revision: "1",
    content: "c1",
    startedAt: T0,
    endedAt: T0 + 2500,
    succeeded: true,
    errorCode: null,
    ...overrides,
  };
}

/** A converged world: APIMAPI app-a Ready with document d2, product gold. */
function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    takenAt: T0 + 60_000,
    apim: {
      apis: [apimApi()],
      products: [{ id: "gold", displayName: "gold" }],
      tags: [],
    },
    requests: [],
    operations: [importOp()],
    kube: {
      apis: [apiObject()],
      products: [{
        kind: "APIMProduct",
        name: "gold",
        uid: "uid-gold",
        id: "gold",
        displayName: "gold",
        deleting: false,
        generation: 1,
        conditions: [{
          type: "Ready",
          status: "True",
          reason: "Synced",
          message: "in sync",
          observedGeneration: 1,
        }],
      }],
      tags: [],
      uids: ["uid-a", "uid-gold"],
      serviceExists: true,
      events: [],
    },
    documents: [{
      app: "app-a",
      key: DOC.key,
      valid: true,
      digest: DOC.digest,
      operations: DOC.operations,
    }],
    marks: [],
    deletions: [],
    serviceAbsent: [],
    incidents: [],
    ...overrides,
  };
}

/** `s` with its APIMAPIs also listing product "ghost", which has no APIMProduct. */
function withGhostProduct(s: Snapshot): Snapshot {
  return {
    ...s,
    kube: {
      ...s.kube,
      apis: s.kube.apis.map((o) => ({
        ...o,
        spec: { ...o.spec, productIds: ["gold", "ghost"] },
      })),
    },
  };
}

function summary(violations: Violation[]): string[] {
  return violations.map((v) => `${v.invariant} ${v.subject}`);
}

Deno.test("a converged world violates nothing", () => {
  assert.deepEqual(checkAll(snapshot()), []);
});

Deno.test("an older document in API Management under Ready=True breaks convergence and honest status", () => {
  const stale = snapshot({
    apim: {
      apis: [apimApi({
        revisions: [{
          ...apimApi().revisions[0]!,
          operations: OLD_DOC.operations,
        }],
      })],
      products: [{ id: "gold", displayName: "gold" }],
      tags: [],
    },
    kube: {
      ...snapshot().kube,
      apis: [apiObject({ documentDigest: OLD_DOC.digest })],
    },
  });
  const violations = checkAll(stale);
  assert.deepEqual(summary(violations), [
    "convergence APIMAPI app-a",
    "honest-status APIMAPI app-a",
  ]);
  assert.deepEqual(
    violations[0]?.diffs?.map((d) => d.field),
    ["operations (document)", "status.documentDigest"],
  );
});

Deno.test("an APIMAPI with a missing product is not expected to converge, but must say so with an Event", () => {
  const ghost = apiObject({
    spec: { ...apiObject().spec, productIds: ["gold", "ghost"] },
    conditions: [{
      type: "Ready",
      status: "False",
      reason: "ProductNotFound",
      message: 'Product "ghost" does not exist',
      observedGeneration: 2,
    }],
  });
  const world = snapshot({ kube: { ...snapshot().kube, apis: [ghost] } });
  assert.deepEqual(summary(checkAll(world)), ["nothing-lost APIMAPI app-a"]);
  const announced = snapshot({
    kube: {
      ...snapshot().kube,
      apis: [ghost],
      events: [{
        kind: "APIMAPI",
        name: "app-a",
        type: "Warning",
        reason: "ProductNotFound",
      }],
    },
  });
  assert.deepEqual(checkAll(announced), []);
  const lying = snapshot({
    kube: {
      ...snapshot().kube,
      apis: [{ ...ghost, conditions: apiObject().conditions }],
    },
  });
  assert.deepEqual(summary(checkAll(lying)), ["honest-status APIMAPI app-a"]);
});

Deno.test("a Ready condition of an older generation is not honest", () => {
  const old = apiObject({
    generation: 3,
    conditions: [{
      type: "Ready",
      status: "False",
      reason: "ProductNotFound",
      message: "missing",
      observedGeneration: 2,
    }],
    spec: { ...apiObject().spec, productIds: ["gold", "ghost"] },
  });
  const violations = checkAll(snapshot({
    kube: {
      ...snapshot().kube,
      apis: [old],
      events: [{
        kind: "APIMAPI",
        name: "app-a",
        type: "Warning",
        reason: "ProductNotFound",
      }],
    },
  }));
  assert.deepEqual(summary(violations), ["honest-status APIMAPI app-a"]);
  assert.match(
    violations[0]?.message ?? "",
    /generation 2, the object is at 3/,
  );
});

Deno.test("an API nobody claims is an orphan unless Retain or a missing APIMService kept it", () => {
  const leftover = snapshot({
    apim: {
      ...snapshot().apim,
      apis: [apimApi(), apimApi({ name: "app-b" })],
    },
  });
  assert.deepEqual(summary(checkAll(leftover)), ["no-orphans API app-b"]);
  const deletion = {
    kind: "APIMAPI" as const,
    name: "app-b",
    uid: "uid-b",
    at: T0 + 10_000,
    apiId: "app-b",
    retain: false,
  };
  assert.deepEqual(
    summary(checkAll({ ...leftover, deletions: [deletion] })),
    ["no-orphans API app-b"],
  );
  assert.deepEqual(
    checkAll({ ...leftover, deletions: [{ ...deletion, retain: true }] }),
    [],
  );
  assert.deepEqual(
    checkAll({
      ...leftover,
      deletions: [deletion],
      serviceAbsent: [{ from: T0 + 5_000, to: T0 + 20_000 }],
    }),
    [],
  );
});

Deno.test("links and revisions beyond the spec are orphans; a deletion that never finished is not convergence", () => {
  const extra = snapshot({
    apim: {
      ...snapshot().apim,
      apis: [apimApi({ tagIds: ["blue"] })],
      tags: [{ id: "blue", displayName: "blue" }],
    },
  });
  assert.deepEqual(summary(checkAll(extra)), [
    "convergence APIMAPI app-a",
    "no-orphans API app-a",
    "no-orphans tag blue",
    "honest-status APIMAPI app-a",
  ]);
  const stuck = snapshot({
    deletions: [{ kind: "APIMProduct", name: "gold", uid: "uid-gold", at: T0 }],
  });
  assert.deepEqual(summary(checkAll(stuck)), ["convergence APIMProduct gold"]);
  const revisions = snapshot({
    kube: {
      ...snapshot().kube,
      apis: [apiObject({
        spec: { ...apiObject().spec, revisionMode: "NewRevision" },
        currentRevision: "3",
      })],
    },
    apim: {
      ...snapshot().apim,
      apis: [apimApi({
        currentRevision: "3",
        revisions: ["1", "2", "3"].map((revision) => ({
          ...apimApi().revisions[0]!,
          revision,
          isCurrent: revision === "3",
        })),
      })],
    },
  });
  assert.deepEqual(summary(checkAll(revisions)), ["no-orphans API app-a"]);
  // The APIMService is gone: the operator cannot reach the API's links or revisions.
  const unreachable = (s: Snapshot) =>
    summary(checkAll({ ...s, serviceAbsent: [{ from: T0, to: null }] }))
      .filter((v) => v === "no-orphans API app-a");
  assert.deepEqual(unreachable(extra), []);
  assert.deepEqual(unreachable(revisions), []);
  // A missing product stops the rollout that would prune: the extra revision waits for it.
  const blocked = withGhostProduct(revisions);
  assert.deepEqual(
    summary(checkAll(blocked)).filter((v) => v.startsWith("no-orphans")),
    [],
  );
  // An invalid document stops the whole registration: the links stay as they were meanwhile.
  const linkOrphans = (s: Snapshot) =>
    summary(checkAll(s)).filter((v) => v === "no-orphans API app-a");
  const invalid = {
    ...extra,
    documents: extra.documents.map((d) => ({ ...d, valid: false })),
  };
  assert.deepEqual(linkOrphans(invalid), []);
  // A missing product stops only its own link: the tag the spec dropped is still an orphan.
  const missingProduct = withGhostProduct(extra);
  assert.deepEqual(linkOrphans(missingProduct), ["no-orphans API app-a"]);
});

Deno.test("a second import PUT during a running import is an overlap unless something hid the first", () => {
  const overlap = snapshot({
    operations: [importOp({ endedAt: T0 + 5_000 })],
    requests: [request({
      method: "PUT",
      kind: "write",
      status: 409,
      errorCode: "PessimisticConcurrencyConflict",
      at: T0 + 1_000,
    })],
  });
  assert.deepEqual(summary(checkAll(overlap)), ["no-overlap API app-a"]);
  assert.deepEqual(
    checkAll({ ...overlap, marks: [{ at: T0 + 500, kind: "operator" }] }),
    [],
  );
  const injected = {
    ...overlap,
    requests: overlap.requests.map((r) => ({ ...r, injected: true })),
  };
  assert.deepEqual(checkAll(injected), []);
});

Deno.test("the same content imported twice in a row is a repeat unless it was removed or edited in between", () => {
  const twice = snapshot({
    operations: [
      importOp(),
      importOp({ id: "op2", startedAt: T0 + 10_000, endedAt: T0 + 12_000 }),
    ],
  });
  assert.deepEqual(summary(checkAll(twice)), ["no-overlap API app-a"]);
  assert.deepEqual(
    checkAll({
      ...twice,
      marks: [{ at: T0 + 5_000, kind: "portal", subject: "app-a" }],
    }),
    [],
  );
  assert.deepEqual(
    checkAll({
      ...twice,
      operations: [
        ...twice.operations,
        importOp({
          id: "del",
          kind: "delete",
          startedAt: T0 + 6_000,
          content: null,
        }),
      ],
    }),
    [],
  );
  const changed = {
    ...twice,
    operations: [
      importOp(),
      importOp({ id: "op2", startedAt: T0 + 10_000, content: "c2" }),
    ],
  };
  assert.deepEqual(checkAll(changed), []);
});

Deno.test("requests inside a 429's Retry-After, early polls and hot loops are not good citizenship", () => {
  const storm = snapshot({
    requests: [
      request({
        method: "PUT",
        kind: "write",
        status: 429,
        throttled: true,
        retryAfter: 5,
        at: T0,
      }),
      request({
        method: "PUT",
        kind: "write",
        status: 429,
        throttled: true,
        retryAfter: 4,
        at: T0 + 300,
      }),
      request({
        method: "PATCH",
        kind: "write",
        status: 429,
        throttled: true,
        retryAfter: 3,
        at: T0 + 2_000,
      }),
      request({ method: "GET", at: T0 + 2_500 }),
      request({ method: "PUT", kind: "write", status: 200, at: T0 + 5_000 }),
    ],
  });
  const violations = checkAll(storm);
  assert.deepEqual(summary(violations), ["good-citizen ARM writes"]);
  assert.match(violations[0]?.message ?? "", /^1 writes sent/);
  const polls = snapshot({
    requests: [
      ...[0, 300, 600, 900].map((ms) =>
        request({
          kind: "poll",
          status: 202,
          retryAfter: 1,
          asyncId: "a1",
          at: T0 + ms,
        })
      ),
      request({ kind: "poll", status: 200, asyncId: "a1", at: T0 + 1_400 }),
    ],
  });
  assert.deepEqual(summary(checkAll(polls)), ["good-citizen ARM operation a1"]);
  const once = { ...polls, requests: polls.requests.slice(2) };
  assert.deepEqual(checkAll(once), [], "one early look is tolerated");
  const loop = snapshot({
    requests: Array.from(
      { length: 61 },
      (_, i) => request({ at: T0 + i * 500 }),
    ),
  });
  assert.deepEqual(summary(checkAll(loop)), ["good-citizen API app-a"]);
});

Deno.test("a Retry-After binds only the process it was answered to; requests without a caller keep every 429 binding", () => {
  const A = "azure-apim-operator (chaos-replica-0_aaaa) Deno/2";
  const B = "azure-apim-operator (chaos-replica-1_bbbb) Deno/2";
  const rows: Array<{
    name: string;
    throttledCaller: string | null;
    laterCaller: string | null;
    violated: boolean;
  }> = [
    {
      name: "B reads during A's Retry-After",
      throttledCaller: A,
      laterCaller: B,
      violated: false,
    },
    {
      name: "A reads during its own Retry-After",
      throttledCaller: A,
      laterCaller: A,
      violated: true,
    },
    {
      name: "a request without a caller",
      throttledCaller: A,
      laterCaller: null,
      violated: true,
    },
    {
      name: "a 429 answered to no known caller",
      throttledCaller: null,
      laterCaller: B,
      violated: true,
    },
  ];
  for (const row of rows) {
    const storm = snapshot({
      requests: [
        request({
          status: 429,
          throttled: true,
          retryAfter: 5,
          userAgent: row.throttledCaller,
        }),
        request({ at: T0 + 2_000, userAgent: row.laterCaller }),
      ],
    });
    assert.deepEqual(
      summary(checkAll(storm)),
      row.violated ? ["good-citizen ARM reads"] : [],
      row.name,
    );
  }
});

Deno.test("a 429 holds its own class: ARM budgets reads, writes and deletes apart", () => {
  const rows: Array<{ throttled: string; later: string; violated: string[] }> =
    [
      { throttled: "PUT", later: "DELETE", violated: [] },
      { throttled: "DELETE", later: "PUT", violated: [] },
      {
        throttled: "DELETE",
        later: "DELETE",
        violated: ["good-citizen ARM deletes"],
      },
    ];
  for (const row of rows) {
    const storm = snapshot({
      requests: [
        request({
          method: row.throttled,
          kind: "write",
          status: 429,
          throttled: true,
          retryAfter: 5,
        }),
        request({ method: row.later, kind: "write", at: T0 + 2_000 }),
      ],
    });
    assert.deepEqual(
      summary(checkAll(storm)),
      row.violated,
      `${row.throttled} then ${row.later}`,
    );
  }
});

Deno.test("a replica that exits on its own is a lost process", () => {
  const crashed = snapshot({
    incidents: [{ replica: 1, kind: "exit", detail: "exited with code 1" }],
  });
  assert.deepEqual(summary(checkAll(crashed)), [
    "nothing-lost operator replica 1",
  ]);
});

Deno.test("a failure report names the seed, the replay command, the trace and each diff", () => {
  const text = formatResult({
    schedule: { config: { ...generateSchedule(9).config }, steps: [] },
    trace: [{
      step: 0,
      atMs: 1200,
      text: "rollout app-a/app-a image=d2-b2 (changed, ready)",
      outcome: "ok",
    }],
    violations: checkAll(snapshot({
      kube: {
        ...snapshot().kube,
        apis: [apiObject({ conditions: [] })],
      },
    })).concat([{
      invariant: "convergence",
      subject: "APIMAPI app-a",
      message: "differs",
      diffs: [{ field: "path", want: "app-a", got: "app-a/v2" }],
    }]),
    counts: { user: 1, operator: 0, arm: 0, portal: 0 },
    durationMs: 30_000,
    settledMs: null,
  }, { actions: 12 });
  assert.match(
    text,
    /^seed 9: FAILED convergence, honest-status \(3 violation\(s\)\)/,
  );
  assert.match(text, /replay: deno task chaos --seed=9 --actions=12/);
  assert.match(text, /\[\+1\.2s\] #0 rollout app-a\/app-a/);
  assert.match(text, /path: want app-a, got app-a\/v2/);
});
