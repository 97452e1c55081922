// Table tests of the registration decision: given what a pass knows, the next step.
import assert from "node:assert/strict";
import { apimApiSpecSchema } from "../../../src/crd/apim_api.ts";
import { desiredApi, ownerMarker } from "../../../src/reconcile/desired_api.ts";
import type { ObservedApi } from "../../../src/reconcile/plan_import.ts";
import {
  describeDuration,
  nextRegistrationStep,
  readySetKey,
} from "../../../src/reconcile/plan_registration.ts";
import type {
  OperationFacts,
  RegistrationFacts,
  RegistrationStep,
} from "../../../src/reconcile/registration_facts.ts";

const NOW = Date.parse("2026-12-04T12:00:00Z");
const owner = { namespace: "shop", name: "orders" };
const spec = apimApiSpecSchema.parse({
  APIID: "orders",
  serviceUrl: "https://orders.example.com",
  routePrefix: "/orders",
  openApiDefinitionUrl: "/openapi.json",
  apimService: "apim",
});
const desired = desiredApi(spec, {
  digest: "sha256:v2",
  format: "openapi+json",
  title: "Orders",
}, owner);
const older = desiredApi(
  spec,
  { digest: "sha256:v1", format: "openapi+json", title: "Orders" },
  owner,
);
const trigger = { replicaSetUid: "rs-2", generation: 3 };
/** Version v2 in a version set. */
const inSet = desiredApi(
  apimApiSpecSchema.parse({ ...spec, versionSet: "orders", apiVersion: "v2" }),
  { digest: "sha256:v2", format: "openapi+json", title: "Orders" },
  owner,
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apiVersionSets/orders",
);

function base(overrides: Partial<RegistrationFacts> = {}): RegistrationFacts {
  return {
    now: NOW,
    limits: {
      importBudgetMs: 30 * 60_000,
      unknownOutcomeSettleMs: 60_000,
      unknownOutcomeRecheckMs: 5_000,
      serviceWaitMs: 10_000,
    },
    owner,
    apiId: "orders",
    trigger,
    mode: "InPlace",
    adoptionAllowed: false,
    ...overrides,
  };
}

function op(overrides: Partial<OperationFacts> = {}): OperationFacts {
  return {
    kind: "import",
    url: "https://management.azure.com/poll?asyncId=1",
    startedAt: NOW - 10_000,
    desiredHash: desired.hash,
    created: false,
    trigger,
    ...overrides,
  };
}

function api(
  hash: string | undefined,
  extra: Partial<ObservedApi> = {},
): ObservedApi {
  return {
    exists: true,
    etag: '"e1"',
    path: "orders",
    serviceUrl: "https://orders.example.com",
    subscriptionRequired: true,
    ...(hash === undefined
      ? {}
      : { revisionDescription: ownerMarker(owner, hash) }),
    ...extra,
  } as ObservedApi;
}

const applied = {
  desiredHash: desired.hash,
  trigger,
  imported: true,
  created: false,
};

const rows: {
  what: string;
  facts: Partial<RegistrationFacts>;
  step: RegistrationStep["step"];
  check?: (step: RegistrationStep) => void;
}[] = [
  // An operation in flight decides first.
  {
    what: "a recorded operation is polled before anything else",
    facts: { operation: op() },
    step: "poll",
  },
  {
    what: "a running import waits for its Retry-After",
    facts: { operation: op(), poll: { state: "running", retryAfterMs: 3_000 } },
    step: "wait",
    check: (s) => assert.equal(s.step === "wait" && s.delayMs, 3_000),
  },
  {
    what:
      "a running import past its budget is reported stalled and still watched, slowly",
    facts: {
      operation: op({ startedAt: NOW - 31 * 60_000 }),
      poll: { state: "running", retryAfterMs: 3_000 },
    },
    step: "wait",
    check: (s) => {
      assert.equal(s.step === "wait" && s.verdict?.state, "stalled");
      assert.equal(s.step === "wait" && s.verdict?.reason, "ImportTimedOut");
      assert.match(
        s.step === "wait" ? s.verdict?.message ?? "" : "",
        / within 30m \(started /,
      );
      assert.equal(s.step === "wait" && s.delayMs, 60_000);
    },
  },
  {
    what:
      "an import that finished while the operator was down past its budget is polled, not timed out",
    facts: {
      operation: op({ startedAt: NOW - 3 * 60 * 60_000 }),
      poll: { state: "succeeded" },
    },
    step: "applied",
  },
  {
    what: "a failed import is reported",
    facts: { operation: op(), poll: { state: "failed" } },
    step: "operationFailed",
  },
  {
    what: "an import whose answer was lost is looked up first",
    facts: { operation: op({ url: undefined }) },
    step: "readTarget",
  },
  {
    what: "an import whose answer was lost and that landed counts as applied",
    facts: { operation: op({ url: undefined }), target: api(desired.hash) },
    step: "applied",
  },
  {
    what:
      "an import whose answer was lost and that has not landed yet is waited for",
    facts: { operation: op({ url: undefined }), target: api(older.hash) },
    step: "wait",
  },
  {
    what:
      "an import whose answer was lost long ago and never landed is given up",
    facts: {
      operation: op({ url: undefined, startedAt: NOW - 120_000 }),
      target: { exists: false },
    },
    step: "forgetOperation",
  },
  {
    what: "an expired poll URL (404) leads to a read, never to a failure",
    facts: { operation: op(), poll: { state: "gone" } },
    step: "readTarget",
  },
  {
    what:
      "an import recorded in this pass is sent, fenced by the ETag it was decided on",
    facts: {
      operation: op({ url: undefined }),
      intentRecorded: true,
      observed: api(older.hash),
    },
    step: "sendImport",
    check: (s) => assert.equal(s.step === "sendImport" && s.ifMatch, '"e1"'),
  },
  {
    what: "a new revision is sent to its own id",
    facts: {
      operation: op({ url: undefined, revision: "4" }),
      intentRecorded: true,
      observed: api(older.hash),
    },
    step: "sendImport",
    check: (s) => {
      assert.equal(s.step === "sendImport" && s.targetApiId, "orders;rev=4");
      assert.equal(s.step === "sendImport" && s.ifMatch, undefined);
    },
  },
  {
    what:
      "a new revision keeps the current API's name, description, path and version",
    facts: {
      operation: op({ url: undefined, revision: "4" }),
      intentRecorded: true,
      observed: api(older.hash, {
        displayName: "Orders",
        description: "All orders",
        apiVersion: "v1",
      }),
    },
    step: "sendImport",
    check: (s) =>
      assert.deepEqual(s.step === "sendImport" && s.pinned, {
        displayName: "Orders",
        description: "All orders",
        path: "orders",
        apiVersion: "v1",
      }),
  },
  // Applied: finish, unless a newer rollout or spec arrived meanwhile.
  { what: "an applied import is linked", facts: { applied }, step: "link" },
  {
    what: "a linked import finishes",
    facts: { applied, linked: true },
    step: "finish",
  },
  {
    what: "an import that served an older rollout is decided again",
    facts: {
      applied: {
        ...applied,
        trigger: { replicaSetUid: "rs-1", generation: 3 },
      },
    },
    step: "decideAgain",
  },
  {
    what: "an import that served an older spec generation is decided again",
    facts: {
      applied: {
        ...applied,
        trigger: { replicaSetUid: "rs-2", generation: 2 },
      },
    },
    step: "decideAgain",
  },
  {
    what:
      "an import whose rollout became ready beside another workload's is decided again",
    facts: {
      trigger: { ...trigger, readySet: "rs-2+rs-9" },
      applied: { ...applied, trigger: { ...trigger, readySet: "rs-2" } },
    },
    step: "decideAgain",
  },
  {
    what:
      "an import decided before a rollout and the rollback to its ReplicaSet is decided again (chaos seed 59)",
    facts: {
      trigger: { ...trigger, signal: "dep-1/3" },
      applied: { ...applied, trigger: { ...trigger, signal: "dep-1/1" } },
    },
    step: "decideAgain",
  },
  {
    what: "an import decided for the current signal finishes",
    facts: {
      trigger: { ...trigger, signal: "dep-1/3" },
      applied: { ...applied, trigger: { ...trigger, signal: "dep-1/3" } },
      linked: true,
    },
    step: "finish",
  },
  {
    what:
      "an import recorded before signals were recorded serves its rollout's trigger",
    facts: {
      trigger: { ...trigger, signal: "dep-1/3" },
      applied,
      linked: true,
    },
    step: "finish",
  },
  {
    what:
      "an import recorded before ready sets were recorded serves its rollout's trigger",
    facts: {
      trigger: { ...trigger, readySet: "rs-2" },
      applied,
      linked: true,
    },
    step: "finish",
  },
  {
    what:
      "an import for an earlier rollout stands when the current document wants the same import",
    facts: {
      desired,
      earlierImport: {
        ...applied,
        revision: "4",
        trigger: { replicaSetUid: "rs-1", generation: 2 },
      },
    },
    step: "applied",
    check: (s) =>
      assert.deepEqual(s.step === "applied" && s.applied, {
        ...applied,
        revision: "4",
        trigger,
      }),
  },
  {
    what: "an import for an earlier rollout of another document is not reused",
    facts: {
      desired,
      earlierImport: {
        ...applied,
        desiredHash: older.hash,
        trigger: { replicaSetUid: "rs-1", generation: 3 },
      },
    },
    step: "readApi",
  },
  {
    what: "a new revision gets the API's policies first",
    facts: { applied: { ...applied, revision: "4" } },
    step: "carryPolicies",
  },
  {
    what: "a new revision is released before links",
    facts: { applied: { ...applied, revision: "4" }, policiesCarried: true },
    step: "release",
  },
  {
    what:
      "after the release, the version the new revision had to keep is patched",
    facts: {
      applied: { ...applied, desiredHash: inSet.hash, revision: "4" },
      policiesCarried: true,
      released: true,
      desired: inSet,
      observed: api(inSet.hash, {
        displayName: "Orders",
        apiVersion: "v1",
      }),
    },
    step: "patchApi",
    check: (s) =>
      assert.deepEqual(s.step === "patchApi" && s.changes, {
        apiVersion: "v2",
      }),
  },
  // No operation: fetch, read, decide.
  {
    what: "an APIMService that is not ready is waited for",
    facts: { serviceProblem: 'APIMService "apim" is not ready' },
    step: "wait",
  },
  {
    what: "a version set that is not in API Management yet is waited for",
    facts: {
      versionSetProblem: {
        retry: "wait",
        reason: "WaitingForVersionSet",
        message: "not ready",
      },
    },
    step: "wait",
  },
  {
    what: "a version set of another instance is refused",
    facts: {
      versionSetProblem: {
        retry: "refuse",
        reason: "VersionSetInAnotherInstance",
        message: "elsewhere",
      },
    },
    step: "fail",
  },
  {
    what: "a claim conflict is refused",
    facts: { claimConflict: { reason: "PathConflict", message: "taken" } },
    step: "fail",
  },
  { what: "the document comes first", facts: {}, step: "fetchDocument" },
  {
    what: "a document that fails pre-flight is refused",
    facts: {
      preflightError: { reason: "DuplicateOperations", message: "dup" },
    },
    step: "fail",
  },
  { what: "then the API is read", facts: { desired }, step: "readApi" },
  {
    what:
      "an unchanged document seen in API Management within the drift period needs no ARM request",
    facts: { desired, recentlyVerifiedHash: desired.hash },
    step: "applied",
    check: (s) =>
      assert.equal(s.step === "applied" && s.applied.confirmedRecently, true),
  },
  {
    what:
      "a changed document is read and imported even after a recent verification",
    facts: { desired, recentlyVerifiedHash: older.hash },
    step: "readApi",
  },
  {
    what: "a recently confirmed API finishes without listing its links",
    facts: {
      applied: { ...applied, imported: false, confirmedRecently: true },
    },
    step: "finish",
  },
  {
    what: "a missing API is recorded before it is imported",
    facts: { desired, observed: { exists: false } },
    step: "recordIntent",
    check: (s) => {
      assert.equal(s.step === "recordIntent" && s.operation.created, true);
      assert.deepEqual(
        s.step === "recordIntent" && s.operation.trigger,
        trigger,
      );
    },
  },
  {
    what: "an API in sync is applied without writing",
    facts: { desired, observed: api(desired.hash) },
    step: "applied",
    check: (s) =>
      assert.equal(s.step === "applied" && s.applied.imported, false),
  },
  {
    what: "an API with our older document is imported again",
    facts: { desired, observed: api(older.hash) },
    step: "recordIntent",
  },
  {
    what: "an API with drifted fields is patched",
    facts: {
      desired,
      observed: api(desired.hash, { serviceUrl: "https://old.example.com" }),
    },
    step: "patchApi",
  },
  {
    what: "an API another APIMAPI owns is refused",
    facts: {
      desired,
      observed: api(undefined, {
        revisionDescription: ownerMarker(
          { namespace: "x", name: "y" },
          older.hash,
        ),
      }),
    },
    step: "fail",
    check: (s) =>
      assert.equal(s.step === "fail" && s.reason, "OwnedByAnotherAPIMAPI"),
  },
  {
    what: "an API without a marker is not adopted unless asked",
    facts: { desired, observed: api(undefined) },
    step: "fail",
    check: (s) =>
      assert.equal(s.step === "fail" && s.reason, "UnmanagedAPIExists"),
  },
  {
    what: "an API without a marker is adopted when asked",
    facts: { desired, observed: api(undefined), adoptionAllowed: true },
    step: "recordIntent",
    check: (s) => assert.equal(s.step === "recordIntent" && s.adopting, true),
  },
  // Migration: an API the original operator imported, and its record of the document it imported.
  {
    what:
      "an adopted API holding the document the original operator imported is claimed, not imported",
    facts: {
      desired,
      observed: api(undefined),
      adoptionAllowed: true,
      knownDocumentDigest: "sha256:v2",
    },
    step: "claimApi",
    check: (s) =>
      assert.deepEqual(s.step === "claimApi" && s, {
        step: "claimApi",
        changes: {},
        marker: ownerMarker(owner, desired.hash, {
          adopted: true,
          doc: desired.importHash,
        }),
        ifMatch: '"e1"',
      }),
  },
  {
    what: "a claim sets the drifted fields too",
    facts: {
      desired,
      observed: api(undefined, { serviceUrl: "https://old.example.com" }),
      adoptionAllowed: true,
      knownDocumentDigest: "sha256:v2",
    },
    step: "claimApi",
    check: (s) =>
      assert.deepEqual(s.step === "claimApi" && s.changes, {
        serviceUrl: "https://orders.example.com",
      }),
  },
  {
    what: "in new-revision mode the claim needs no new revision",
    facts: {
      desired,
      observed: api(undefined),
      adoptionAllowed: true,
      knownDocumentDigest: "sha256:v2",
      mode: "NewRevision",
    },
    step: "claimApi",
  },
  {
    what: "a claimed API is applied without an import",
    facts: {
      desired,
      observed: api(undefined),
      adoptionAllowed: true,
      knownDocumentDigest: "sha256:v2",
      claimed: true,
    },
    step: "applied",
    check: (s) =>
      assert.equal(s.step === "applied" && s.applied.imported, false),
  },
  {
    what:
      "an adopted API whose document changed since the original operator imported it is imported",
    facts: {
      desired,
      observed: api(undefined),
      adoptionAllowed: true,
      knownDocumentDigest: "sha256:v1",
    },
    step: "recordIntent",
    check: (s) => assert.equal(s.step === "recordIntent" && s.adopting, true),
  },
  {
    what: "the original operator's record does not stand for adoption",
    facts: {
      desired,
      observed: api(undefined),
      knownDocumentDigest: "sha256:v2",
    },
    step: "fail",
    check: (s) =>
      assert.equal(s.step === "fail" && s.reason, "UnmanagedAPIExists"),
  },
  {
    what:
      "an API of ours with another hash is imported whatever the original operator recorded",
    facts: {
      desired,
      observed: api(older.hash),
      adoptionAllowed: true,
      knownDocumentDigest: "sha256:v2",
    },
    step: "recordIntent",
  },
  {
    what:
      "an API joining a version set is imported even with the same document",
    facts: {
      desired: inSet,
      observed: api(undefined),
      adoptionAllowed: true,
      knownDocumentDigest: "sha256:v2",
    },
    step: "recordIntent",
  },
  {
    what: "new-revision mode lists the revisions first",
    facts: { desired, observed: api(older.hash), mode: "NewRevision" },
    step: "listRevisions",
  },
  {
    what: "new-revision mode imports into the next revision",
    facts: {
      desired,
      observed: api(older.hash),
      mode: "NewRevision",
      revisions: [{ apiRevision: "1", isCurrent: false }, {
        apiRevision: "3",
        isCurrent: true,
      }],
    },
    step: "recordIntent",
    check: (s) =>
      assert.equal(s.step === "recordIntent" && s.operation.revision, "4"),
  },
];

for (const row of rows) {
  Deno.test(`nextRegistrationStep(): ${row.what}`, () => {
    const step = nextRegistrationStep(base(row.facts));
    assert.equal(step.step, row.step, JSON.stringify(step));
    row.check?.(step);
  });
}

Deno.test("describeDuration() writes durations the way the flags take them", () => {
  assert.equal(describeDuration(10_000), "10s");
  assert.equal(describeDuration(30 * 60_000), "30m");
  assert.equal(describeDuration(90 * 60_000 + 5_000), "1h30m5s");
  assert.equal(describeDuration(0), "0s");
});

Deno.test("readySetKey() names a set of ReplicaSets whatever their order", () => {
  const a = { uid: "a" };
  const b = { uid: "b" };
  assert.equal(readySetKey([a, b]), readySetKey([b, a]));
  assert.notEqual(readySetKey([a, b]), readySetKey([a]));
  assert.equal(readySetKey(undefined), undefined);
});
