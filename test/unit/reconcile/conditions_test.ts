// Unit tests for the Ready/Reconciling/Stalled condition builder.
import assert from "node:assert/strict";
import {
  conditionsFor,
  findCondition,
} from "../../../src/reconcile/conditions.ts";

const t0 = "2026-01-01T00:00:00Z";
const t1 = "2026-01-01T00:05:00Z";

Deno.test("conditionsFor() sets Ready and Reconciling while progressing", () => {
  const c = conditionsFor(undefined, {
    state: "progressing",
    reason: "Importing",
    message: "m",
  }, {
    generation: 3,
    now: t0,
  });
  assert.equal(findCondition(c, "Ready")?.status, "False");
  assert.equal(findCondition(c, "Reconciling")?.status, "True");
  assert.equal(findCondition(c, "Stalled"), undefined);
  assert.equal(findCondition(c, "Ready")?.observedGeneration, 3);
});

Deno.test("conditionsFor() keeps lastTransitionTime while the status stays the same", () => {
  const first = conditionsFor(undefined, {
    state: "stalled",
    reason: "A",
    message: "a",
  }, {
    generation: 1,
    now: t0,
  });
  const second = conditionsFor(first, {
    state: "stalled",
    reason: "B",
    message: "b",
  }, {
    generation: 1,
    now: t1,
  });
  assert.equal(findCondition(second, "Stalled")?.lastTransitionTime, t0);
  assert.equal(findCondition(second, "Ready")?.reason, "B");
  const ready = conditionsFor(second, {
    state: "ready",
    reason: "Registered",
    message: "ok",
  }, {
    generation: 1,
    now: t1,
  });
  assert.equal(findCondition(ready, "Ready")?.lastTransitionTime, t1);
  assert.equal(findCondition(ready, "Stalled"), undefined);
});

Deno.test("conditionsFor() keeps conditions of other types", () => {
  const other = {
    type: "OperationIdsComplete",
    status: "False" as const,
    reason: "MissingOperationIds",
    message: "GET /pets",
    lastTransitionTime: t0,
  };
  const c = conditionsFor([other], {
    state: "ready",
    reason: "R",
    message: "m",
  }, {
    generation: 1,
    now: t1,
  });
  assert.deepEqual(findCondition(c, "OperationIdsComplete"), other);
});
