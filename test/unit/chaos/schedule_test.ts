// Schedules drawn from seeds: reproducible, and every step valid in the state the previous steps leave.
import assert from "node:assert/strict";
import { Random } from "../../../chaos/random.ts";
import {
  type Action,
  categorize,
  describeAction,
  type Schedule,
} from "../../../chaos/schedule/actions.ts";
import { generateSchedule } from "../../../chaos/schedule/generate.ts";
import {
  applyAction,
  initialModel,
  type WorldModel,
} from "../../../chaos/schedule/model.ts";

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

Deno.test("Random is a pure function of its seed", () => {
  const draw = (seed: number) => {
    const random = new Random(seed);
    return Array.from({ length: 20 }, () => random.int(0, 1000));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const random = new Random(1);
  for (let i = 0; i < 1000; i++) {
    const n = random.int(3, 5);
    assert.ok(n >= 3 && n <= 5);
  }
  assert.equal(new Random(3).weighted([["never", 0], ["always", 1]]), "always");
});

Deno.test("a seed always gives the same schedule, and different seeds different ones", () => {
  assert.deepEqual(generateSchedule(42), generateSchedule(42));
  assert.notDeepEqual(generateSchedule(42), generateSchedule(43));
  assert.equal(
    generateSchedule(5, { actions: 20 }).steps.length,
    20 + generateSchedule(5, { actions: 0 }).steps.length,
  );
});

/** Why `action` is not valid in `model` (undefined when it is). */
function invalidity(model: WorldModel, action: Action): string | undefined {
  const app = "app" in action
    ? model.apps.find((a) => a.name === action.app)
    : undefined;
  if ("app" in action && !app) return "unknown app";
  const owner = "owner" in action
    ? app?.owners.find((o) => o.name === action.owner)
    : undefined;
  if ("owner" in action && !owner) return "unknown owner";
  switch (action.kind) {
    case "createApi":
      return app?.api ? "the app already has an APIMAPI" : undefined;
    case "editApi":
    case "deleteApi":
      return app?.api ? undefined : "the app has no APIMAPI";
    case "rollout":
      return owner?.replicas === 0 ? "owner scaled to zero" : undefined;
    case "rollback":
      return owner?.history.includes(action.image) &&
          owner.image !== action.image
        ? undefined
        : "not an earlier image";
    case "markReady":
      return owner?.pending && owner.replicas > 0
        ? undefined
        : "nothing pending";
    case "scale":
      return owner?.replicas === action.replicas ? "no change" : undefined;
    case "createEntity":
    case "deleteEntity": {
      const live = (action.entity === "product" ? model.products : model.tags)
        .get(action.id);
      return live === (action.kind === "deleteEntity")
        ? undefined
        : "wrong state";
    }
    case "recreateService":
      return model.serviceLive ? "the service exists" : undefined;
    case "deleteService":
      return model.serviceLive ? undefined : "the service is gone";
    case "pauseLeader":
      return model.replicas === 2 ? undefined : "one replica only";
    default:
      return undefined;
  }
}

function replay(schedule: Schedule): string[] {
  const model = initialModel(schedule.config);
  const problems: string[] = [];
  for (const [i, step] of schedule.steps.entries()) {
    const problem = invalidity(model, step.action);
    if (problem) {
      problems.push(`#${i} ${describeAction(step.action)}: ${problem}`);
    }
    applyAction(model, step.action);
  }
  return problems;
}

Deno.test("every step of 300 schedules is valid where it stands", () => {
  for (const seed of SEEDS) {
    assert.deepEqual(replay(generateSchedule(seed)), [], `seed ${seed}`);
  }
});

Deno.test("a schedule creates every app's APIMAPI first, then mixes all four kinds of step", () => {
  const categories = new Set<string>();
  const kinds = new Set<string>();
  for (const seed of SEEDS) {
    const schedule = generateSchedule(seed);
    const apps = schedule.config.apps.length;
    assert.deepEqual(
      schedule.steps.slice(0, apps).map((s) => s.action.kind),
      Array(apps).fill("createApi"),
    );
    for (const { action } of schedule.steps) {
      categories.add(categorize(action).category);
      kinds.add(action.kind);
    }
  }
  assert.deepEqual([...categories].sort(), [
    "arm",
    "operator",
    "portal",
    "user",
  ]);
  for (
    const kind of [
      "rollout",
      "rollback",
      "markReady",
      "scale",
      "stealLease",
      "pauseLeader",
      "breakWatches",
      "throttleStorm",
      "unknownOutcome",
      "slowImports",
      "lateDeleteFailure",
      "portalDeleteApi",
      "recreateService",
    ]
  ) {
    assert.ok(kinds.has(kind), `some schedule has a ${kind}`);
  }
});
