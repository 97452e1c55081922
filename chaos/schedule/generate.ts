// Draws a schedule from a seed: the world it runs in, then a sequence of valid user actions, faults and portal edits (pure).
import { Random } from "../random.ts";
import type {
  Action,
  ApiEdit,
  ApiSpecChoice,
  ArmTarget,
  Schedule,
  ScheduleConfig,
  Step,
} from "./actions.ts";
import {
  applyAction,
  type AppModel,
  documentKeyOf,
  initialModel,
  type WorldModel,
} from "./model.ts";

/** Options of {@linkcode generateSchedule}. */
export interface GenerateOptions {
  /** Random steps after the APIMAPIs are created (default 12). */
  actions?: number;
}

const APP_NAMES = ["app-a", "app-b", "app-c"];
const PRODUCTS = ["gold", "silver"];
const TAGS = ["blue", "green"];
const GHOST_PRODUCT = "ghost";
const ARM_TARGETS: readonly ArmTarget[] = [
  "import",
  "apis",
  "links",
  "entities",
  "writes",
];

function drawConfig(random: Random, seed: number): ScheduleConfig {
  const count = random.weighted([[2, 3], [3, 2]] as const);
  const apps = APP_NAMES.slice(0, count).map((name, i) => ({
    name,
    // The first app often has a second Deployment sharing its name label (a canary).
    owners: i === 0 && random.chance(0.6) ? [name, `${name}-canary`] : [name],
  }));
  return {
    seed,
    apps,
    replicas: random.chance(0.5) ? 2 : 1,
    products: PRODUCTS,
    tags: TAGS,
    ghostProduct: GHOST_PRODUCT,
  };
}

function drawSpec(random: Random, config: ScheduleConfig): ApiSpecChoice {
  return {
    apiIdV2: false,
    backend: random.chance(0.7) ? 0 : 1,
    route: random.chance(0.7) ? 0 : 1,
    productIds: drawProducts(random, config),
    tagIds: random.subset(config.tags, 0.4),
    subscriptionRequired: random.chance(0.7),
    revisionMode: random.chance(0.7) ? "InPlace" : "NewRevision",
    deletionPolicy: random.chance(0.8) ? "Delete" : "Retain",
  };
}

function drawProducts(random: Random, config: ScheduleConfig): string[] {
  const ids = random.subset(config.products, 0.4);
  return random.chance(0.05) ? [...ids, config.ghostProduct] : ids;
}

function drawEdit(
  random: Random,
  config: ScheduleConfig,
  api: ApiSpecChoice,
): ApiEdit {
  const field = random.weighted(
    [
      ["backend", 2],
      ["route", 2],
      ["productIds", 3],
      ["tagIds", 2],
      ["subscriptionRequired", 1],
      ["revisionMode", 2],
      ["deletionPolicy", 1],
      ["apiIdV2", api.apiIdV2 ? 0 : 0.5],
    ] as const,
  );
  switch (field) {
    case "backend":
    case "route":
      return { field, value: api[field] === 0 ? 1 : 0 };
    case "productIds":
      return { field, value: drawProducts(random, config) };
    case "tagIds":
      return { field, value: random.subset(config.tags, 0.5) };
    case "subscriptionRequired":
      return { field, value: !api.subscriptionRequired };
    case "revisionMode":
      return {
        field,
        value: api.revisionMode === "InPlace" ? "NewRevision" : "InPlace",
      };
    case "deletionPolicy":
      return {
        field,
        value: api.deletionPolicy === "Delete" ? "Retain" : "Delete",
      };
    case "apiIdV2":
      return { field, value: true };
  }
}

/** Every action that makes sense now, with its weight; drawn lazily so only the chosen one consumes randomness. */
type Candidate = [() => Action, number];

function userCandidates(
  random: Random,
  model: WorldModel,
  config: ScheduleConfig,
): Candidate[] {
  const out: Candidate[] = [];
  const withApi = model.apps.filter((a) => a.api);
  const withoutApi = model.apps.filter((a) => !a.api);
  const ownersOf = (apps: AppModel[]) =>
    apps.flatMap((a) => a.owners.map((o) => ({ app: a, owner: o })));
  const live = ownersOf(model.apps).filter(({ owner }) => owner.replicas > 0);
  const pending = live.filter(({ owner }) => owner.pending);
  const scaledDown = ownersOf(model.apps).filter(({ owner }) =>
    owner.replicas === 0
  );
  const rollbackable = live.filter(({ owner }) =>
    owner.history.some((image) => image !== owner.image)
  );
  out.push([() => {
    const app = random.pick(withoutApi);
    return {
      kind: "createApi",
      app: app.name,
      spec: drawSpec(random, config),
    };
  }, withoutApi.length > 0 ? 6 : 0]);
  out.push([() => {
    const app = random.pick(withApi);
    return {
      kind: "editApi",
      app: app.name,
      edit: drawEdit(random, config, app.api as ApiSpecChoice),
    };
  }, withApi.length > 0 ? 14 : 0]);
  out.push([() => ({
    kind: "deleteApi",
    app: random.pick(withApi).name,
  }), withApi.length > 0 ? 3 : 0]);
  out.push([() => {
    const { app, owner } = random.pick(live);
    const document = random.weighted(
      [
        ["changed", 6],
        ["unchanged", 3],
        ["invalid", 0.4],
      ] as const,
    );
    const key = document === "changed"
      ? `d${app.nextDocument}`
      : document === "invalid"
      ? `x${app.nextDocument}`
      : app.served;
    return {
      kind: "rollout",
      app: app.name,
      owner: owner.name,
      image: `${key}-b${app.nextBuild}`,
      document,
      ready: random.chance(0.65),
    };
  }, live.length > 0 ? 16 : 0]);
  out.push([() => {
    const { app, owner } = random.pick(pending);
    return { kind: "markReady", app: app.name, owner: owner.name };
  }, pending.length > 0 ? 6 : 0]);
  out.push([() => {
    const { app, owner } = random.pick(rollbackable);
    const earlier = owner.history.filter((i) => i !== owner.image);
    return {
      kind: "rollback",
      app: app.name,
      owner: owner.name,
      image: random.pick(earlier),
    };
  }, rollbackable.length > 0 ? 3 : 0]);
  out.push([() => {
    const { app, owner } = random.pick(live);
    return { kind: "scale", app: app.name, owner: owner.name, replicas: 0 };
  }, live.length > 1 ? 2 : 0]);
  out.push([() => {
    const { app, owner } = random.pick(scaledDown);
    return { kind: "scale", app: app.name, owner: owner.name, replicas: 1 };
  }, scaledDown.length > 0 ? 5 : 0]);
  for (const entity of ["product", "tag"] as const) {
    const table = entity === "product" ? model.products : model.tags;
    const liveIds = [...table].filter(([, l]) => l).map(([id]) => id);
    const goneIds = [...table].filter(([, l]) => !l).map(([id]) => id);
    out.push([() => ({
      kind: "createEntity",
      entity,
      id: random.pick(goneIds),
    }), goneIds.length > 0 ? 3 : 0]);
    out.push([() => ({
      kind: "editEntity",
      entity,
      id: random.pick(liveIds),
      displayName: `${entity} ${random.int(1, 999)}`,
    }), liveIds.length > 0 ? 2 : 0]);
    out.push([() => ({
      kind: "deleteEntity",
      entity,
      id: random.pick(liveIds),
    }), liveIds.length > 0 ? 1.5 : 0]);
  }
  out.push([() => ({ kind: "deleteService" }), model.serviceLive ? 1.5 : 0]);
  out.push([() => ({ kind: "recreateService" }), model.serviceLive ? 0 : 6]);
  return out;
}

function faultCandidates(random: Random, model: WorldModel): Candidate[] {
  const withApi = model.apps.filter((a) => a.api);
  const revisioned = withApi.filter((a) =>
    a.api?.revisionMode === "NewRevision"
  );
  return [
    [() => ({
      kind: "stopOperator",
      target: random.chance(0.75) ? "leader" : "any",
      signal: random.chance(0.6) ? "SIGKILL" : "SIGTERM",
      downMs: random.weighted([[500, 3], [2000, 3], [5000, 2], [12_000, 1]]),
    }), 6],
    [() => ({ kind: "stealLease", holdMs: random.int(2, 6) * 1000 }), 4],
    [() => ({ kind: "releaseLease" }), model.replicas === 2 ? 2 : 0.5],
    [
      () => ({ kind: "pauseLeader", pauseMs: random.int(5, 7) * 1000 }),
      model.replicas === 2 ? 3 : 0,
    ],
    [() => {
      const mode = random.chance(0.5) ? "expire" : "restart";
      return {
        kind: "breakWatches",
        mode,
        downMs: mode === "restart" ? random.int(0, 3) * 1000 : 0,
      };
    }, 5],
    [() => ({
      kind: "throttleStorm",
      cls: random.chance(0.7) ? "writes" : "reads",
      seconds: random.int(2, 6),
    }), 4],
    [() => ({
      kind: "serverErrors",
      status: random.chance(0.5) ? 500 : 503,
      target: random.pick(ARM_TARGETS),
      times: random.int(1, 4),
    }), 4],
    [() => ({
      kind: "unknownOutcome",
      target: random.pick(ARM_TARGETS),
      times: random.int(1, 2),
      delayMs: random.pick([0, 500, 2000]),
    }), 4],
    [() => ({
      kind: "conflictLock",
      app: random.pick(withApi).name,
      ms: random.int(2, 6) * 1000,
    }), withApi.length > 0 ? 3 : 0],
    [() => ({ kind: "deleteLock", ms: random.int(3, 8) * 1000 }), 2],
    [() => ({
      kind: "slowImports",
      ms: random.int(5, 15) * 1000,
      importMs: random.int(4, 7) * 1000,
    }), 5],
    [() => ({ kind: "lateImportFailure" }), 3],
    [() => ({ kind: "lateDeleteFailure" }), 2],
    [() => ({
      kind: "portalDeleteApi",
      app: random.pick(withApi).name,
    }), withApi.length > 0 ? 3 : 0],
    [() => ({
      kind: "portalEditApi",
      app: random.pick(withApi).name,
      field: random.pick(["serviceUrl", "path", "subscriptionRequired"]),
    }), withApi.length > 0 ? 3 : 0],
    [() => ({
      kind: "portalUnlink",
      app: random.pick(withApi).name,
      entity: random.chance(0.5) ? "product" : "tag",
    }), withApi.length > 0 ? 2 : 0],
    [() => ({
      kind: "portalDeleteRevision",
      app: random.pick(revisioned).name,
    }), revisioned.length > 0 ? 1 : 0],
  ];
}

function pause(random: Random): number {
  return random.weighted([
    [0, 2],
    [random.int(200, 1500), 6],
    [random.int(2000, 4000), 2],
  ]);
}

/**
 * The schedule of a seed: its world (apps, owners, replicas), one `createApi` per app, then
 * `actions` random steps, each valid in the state the previous ones leave.
 */
export function generateSchedule(
  seed: number,
  options: GenerateOptions = {},
): Schedule {
  const random = new Random(seed);
  const config = drawConfig(random, seed);
  const model = initialModel(config);
  const steps: Step[] = [];
  const add = (action: Action) => {
    steps.push({ pauseMs: steps.length === 0 ? 0 : pause(random), action });
    applyAction(model, action);
  };
  for (const app of random.shuffle(model.apps)) {
    add({ kind: "createApi", app: app.name, spec: drawSpec(random, config) });
  }
  for (let i = 0; i < (options.actions ?? 12); i++) {
    const candidates = [
      ...userCandidates(random, model, config),
      ...faultCandidates(random, model),
    ];
    add(random.weighted(candidates)());
  }
  return { config, steps };
}

/** Document keys a schedule's rollouts use, per app (for tests and reports). */
export function documentKeys(schedule: Schedule): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const { action } of schedule.steps) {
    if (action.kind !== "rollout" && action.kind !== "rollback") continue;
    const set = keys.get(action.app) ?? new Set<string>();
    set.add(documentKeyOf(action.image));
    keys.set(action.app, set);
  }
  return keys;
}
