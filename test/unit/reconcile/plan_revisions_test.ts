// Unit tests for the new-revision rollout decisions.
import assert from "node:assert/strict";
import {
  nextRevision,
  releaseId,
  releaseNotes,
  revisionApiId,
  revisionsToPrune,
} from "../../../src/reconcile/plan_revisions.ts";

const revs = (current: string, ...names: string[]) =>
  names.map((apiRevision) => ({
    apiRevision,
    isCurrent: apiRevision === current,
  }));

Deno.test("nextRevision() is one past the highest number", () => {
  assert.equal(nextRevision([]), 1);
  assert.equal(nextRevision(revs("2", "1", "2", "7")), 8);
  assert.equal(nextRevision(revs("1", "1", "manual")), 2);
});

Deno.test("revisionsToPrune() deletes the oldest non-current revisions beyond keep", () => {
  assert.deepEqual(revisionsToPrune(revs("4", "1", "2", "3", "4"), 2), [
    "1",
    "2",
  ]);
  assert.deepEqual(
    revisionsToPrune(revs("1", "1", "2", "3"), 2),
    ["2"],
    "the current one stays",
  );
  assert.deepEqual(revisionsToPrune(revs("3", "1", "2", "3"), 3), []);
  assert.deepEqual(
    revisionsToPrune(revs("2", "1", "2", "manual"), 1),
    ["1"],
    "hand-made ones stay",
  );
  assert.deepEqual(
    revisionsToPrune(revs("2", "1", "2"), 0),
    ["1"],
    "at least the current one stays",
  );
});

Deno.test("revisionApiId(), releaseId() and releaseNotes() name the revision and the rollout", () => {
  assert.equal(revisionApiId("orders", 3), "orders;rev=3");
  assert.equal(releaseId(3), "azure-apim-operator-rev-3");
  assert.ok(releaseId(123456789).length <= 80);
  assert.equal(
    releaseNotes({
      replicaSet: "orders-7d9f",
      owner: "Deployment/orders",
      images: ["orders:2"],
    }),
    'Released by azure-apim-operator for ReplicaSet "orders-7d9f" of Deployment/orders (orders:2)',
  );
  assert.equal(
    releaseNotes({}),
    "Released by azure-apim-operator for a spec change",
  );
});
