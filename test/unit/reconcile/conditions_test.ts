// Unit tests for the Ready/Reconciling/Stalled condition builder.
import assert from "node:assert/strict";
import {
  conditionsFor,
  findCondition,
  sameConditions,
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

Deno.test("conditionsFor() stamps observedGeneration on every condition it writes", () => {
  const c = conditionsFor(undefined, {
    state: "stalled",
    reason: "InvalidOpenAPI",
    message: "m",
  }, { generation: 7, now: t0 });
  assert.deepEqual(c.map((x) => [x.type, x.observedGeneration]), [
    ["Ready", 7],
    ["Stalled", 7],
  ]);
});

Deno.test("conditionsFor() leaves observedGeneration out when the generation is unknown", () => {
  const c = conditionsFor(undefined, {
    state: "ready",
    reason: "R",
    message: "m",
  }, { generation: undefined, now: t0 });
  assert.equal(
    "observedGeneration" in (findCondition(c, "Ready") ?? {}),
    false,
  );
});

Deno.test("conditionsFor() writes only Ready=True when ready", () => {
  const c = conditionsFor(undefined, {
    state: "ready",
    reason: "Registered",
    message: "API registered",
  }, { generation: 2, now: t0 });
  assert.deepEqual(c, [{
    type: "Ready",
    status: "True",
    reason: "Registered",
    message: "API registered",
    observedGeneration: 2,
    lastTransitionTime: t0,
  }]);
});

Deno.test("conditionsFor() writes Stalled=True and Ready=False, without Reconciling, when stalled", () => {
  const c = conditionsFor(undefined, {
    state: "stalled",
    reason: "APIIDConflict",
    message: "taken",
  }, { generation: 1, now: t0 });
  assert.deepEqual(c.map((x) => [x.type, x.status, x.reason]), [
    ["Ready", "False", "APIIDConflict"],
    ["Stalled", "True", "APIIDConflict"],
  ]);
});

Deno.test("conditionsFor() drops Reconciling and flips Ready when progressing turns ready", () => {
  const progressing = conditionsFor(undefined, {
    state: "progressing",
    reason: "Importing",
    message: "importing",
  }, { generation: 4, now: t0 });
  const ready = conditionsFor(progressing, {
    state: "ready",
    reason: "Registered",
    message: "ok",
  }, { generation: 4, now: t1 });
  assert.equal(findCondition(ready, "Reconciling"), undefined);
  assert.equal(findCondition(ready, "Ready")?.status, "True");
  assert.equal(findCondition(ready, "Ready")?.lastTransitionTime, t1);
});

Deno.test("conditionsFor() drops Reconciling when progressing turns stalled and keeps Ready's transition time", () => {
  const progressing = conditionsFor(undefined, {
    state: "progressing",
    reason: "Importing",
    message: "importing",
  }, { generation: 4, now: t0 });
  const stalled = conditionsFor(progressing, {
    state: "stalled",
    reason: "ImportTimedOut",
    message: "budget exceeded",
  }, { generation: 4, now: t1 });
  assert.equal(findCondition(stalled, "Reconciling"), undefined);
  assert.equal(findCondition(stalled, "Stalled")?.lastTransitionTime, t1);
  // Ready stayed False: its transition time is the one of the first pass.
  assert.equal(findCondition(stalled, "Ready")?.lastTransitionTime, t0);
  assert.equal(findCondition(stalled, "Ready")?.reason, "ImportTimedOut");
});

Deno.test("sameConditions() ignores transition times and order", () => {
  const a = conditionsFor(undefined, {
    state: "stalled",
    reason: "A",
    message: "a",
  }, { generation: 1, now: t0 });
  const b = conditionsFor(undefined, {
    state: "stalled",
    reason: "A",
    message: "a",
  }, { generation: 1, now: t1 });
  assert.equal(sameConditions(a, [...b].reverse()), true);
  assert.equal(sameConditions([...a].reverse(), b), true);
});

Deno.test("sameConditions() tells apart status, reason, message and observedGeneration", () => {
  const base = conditionsFor(undefined, {
    state: "progressing",
    reason: "A",
    message: "a",
  }, { generation: 1, now: t0 });
  const variants = [
    conditionsFor(undefined, { state: "stalled", reason: "A", message: "a" }, {
      generation: 1,
      now: t0,
    }),
    conditionsFor(undefined, {
      state: "progressing",
      reason: "B",
      message: "a",
    }, { generation: 1, now: t0 }),
    conditionsFor(undefined, {
      state: "progressing",
      reason: "A",
      message: "b",
    }, { generation: 1, now: t0 }),
    conditionsFor(undefined, {
      state: "progressing",
      reason: "A",
      message: "a",
    }, { generation: 2, now: t0 }),
  ];
  for (const variant of variants) {
    assert.equal(sameConditions(base, variant), false);
  }
  assert.equal(sameConditions(undefined, []), true);
  assert.equal(sameConditions(undefined, base), false);
});

Deno.test("findCondition() finds nothing in an absent list", () => {
  assert.equal(findCondition(undefined, "Ready"), undefined);
});
