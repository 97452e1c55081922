// What a schedule is made of: user actions, operator and API-server faults, ARM faults and portal edits.

/** The APIMAPI settings a schedule varies (rendered into a manifest by the executor). */
export interface ApiSpecChoice {
  /** APIID is the app name, or the app name + "-v2" after an APIID edit. */
  apiIdV2: boolean;
  /** serviceUrl variant: `<doc server>/<app>` or `<doc server>/<app>/v2`. */
  backend: 0 | 1;
  /** routePrefix variant: `/<app>` or `/<app>/v2`. */
  route: 0 | 1;
  productIds: string[];
  tagIds: string[];
  subscriptionRequired: boolean;
  revisionMode: "InPlace" | "NewRevision";
  deletionPolicy: "Delete" | "Retain";
}

/** One field of an APIMAPI a user edits. */
export type ApiEdit =
  | { field: "backend"; value: 0 | 1 }
  | { field: "route"; value: 0 | 1 }
  | { field: "productIds"; value: string[] }
  | { field: "tagIds"; value: string[] }
  | { field: "subscriptionRequired"; value: boolean }
  | { field: "revisionMode"; value: "InPlace" | "NewRevision" }
  | { field: "deletionPolicy"; value: "Delete" | "Retain" }
  | { field: "apiIdV2"; value: boolean };

/** Which document a rollout serves: a new one, the one served now, or one that is not OpenAPI. */
export type RolloutDocument = "changed" | "unchanged" | "invalid";

/** Things a user does in Kubernetes. */
export type UserAction =
  | { kind: "createApi"; app: string; spec: ApiSpecChoice }
  | { kind: "editApi"; app: string; edit: ApiEdit }
  | { kind: "deleteApi"; app: string }
  | {
    kind: "rollout";
    app: string;
    owner: string;
    /** The image's document key (`d<n>` valid, `x<n>` invalid) and build number. */
    image: string;
    document: RolloutDocument;
    ready: boolean;
  }
  | { kind: "rollback"; app: string; owner: string; image: string }
  | { kind: "markReady"; app: string; owner: string }
  | { kind: "scale"; app: string; owner: string; replicas: 0 | 1 }
  | { kind: "createEntity"; entity: "product" | "tag"; id: string }
  | {
    kind: "editEntity";
    entity: "product" | "tag";
    id: string;
    displayName: string;
  }
  | { kind: "deleteEntity"; entity: "product" | "tag"; id: string }
  | { kind: "deleteService" }
  | { kind: "recreateService" };

/** Faults of the operator's processes, its Lease and its connection to the API server. */
export type OperatorFault =
  | {
    kind: "stopOperator";
    target: "leader" | "any";
    signal: "SIGKILL" | "SIGTERM";
    /** How long the replica stays down before it is started again. */
    downMs: number;
  }
  | { kind: "stealLease"; holdMs: number }
  | { kind: "releaseLease" }
  | { kind: "pauseLeader"; pauseMs: number }
  | { kind: "breakWatches"; mode: "expire" | "restart"; downMs: number };

/** Which ARM requests an ARM fault hits. */
export type ArmTarget = "import" | "apis" | "links" | "entities" | "writes";

/** Faults of Azure Resource Manager (the simulator). */
export type ArmFault =
  | { kind: "throttleStorm"; cls: "reads" | "writes"; seconds: number }
  | {
    kind: "serverErrors";
    status: 500 | 503;
    target: ArmTarget;
    times: number;
  }
  | {
    kind: "unknownOutcome";
    target: ArmTarget;
    times: number;
    delayMs: number;
  }
  | { kind: "conflictLock"; app: string; ms: number }
  | { kind: "deleteLock"; ms: number }
  | { kind: "slowImports"; ms: number; importMs: number }
  | { kind: "lateImportFailure" }
  | { kind: "lateDeleteFailure" };

/** Changes made in API Management itself, "in the portal". */
export type PortalChange =
  | { kind: "portalDeleteApi"; app: string }
  | {
    kind: "portalEditApi";
    app: string;
    field: "serviceUrl" | "path" | "subscriptionRequired";
  }
  | { kind: "portalUnlink"; app: string; entity: "product" | "tag" }
  | { kind: "portalDeleteRevision"; app: string };

/** Any step of a schedule. */
export type Action = UserAction | OperatorFault | ArmFault | PortalChange;

/** A step and the pause before it. */
export interface Step {
  pauseMs: number;
  action: Action;
}

/** One application: its name (= the APIMAPI name and the `app.kubernetes.io/name` label) and its Deployments. */
export interface AppConfig {
  name: string;
  /** Deployment names; several owners share the name label. */
  owners: string[];
}

/** What a schedule runs against. */
export interface ScheduleConfig {
  seed: number;
  apps: AppConfig[];
  /** Operator replicas (leader election is always on). */
  replicas: 1 | 2;
  products: string[];
  tags: string[];
  /** A product that never gets an APIMProduct (bad input when named). */
  ghostProduct: string;
}

/** A whole schedule. */
export interface Schedule {
  config: ScheduleConfig;
  steps: Step[];
}

const OPERATOR_FAULTS: ReadonlySet<string> = new Set([
  "stopOperator",
  "stealLease",
  "releaseLease",
  "pauseLeader",
  "breakWatches",
]);
const ARM_FAULTS: ReadonlySet<string> = new Set([
  "throttleStorm",
  "serverErrors",
  "unknownOutcome",
  "conflictLock",
  "deleteLock",
  "slowImports",
  "lateImportFailure",
  "lateDeleteFailure",
]);

/** An action with its category, so that each handler receives only its kind. */
export type Categorized =
  | { category: "user"; action: UserAction }
  | { category: "operator"; action: OperatorFault }
  | { category: "arm"; action: ArmFault }
  | { category: "portal"; action: PortalChange };

function isOperatorFault(action: Action): action is OperatorFault {
  return OPERATOR_FAULTS.has(action.kind);
}

function isArmFault(action: Action): action is ArmFault {
  return ARM_FAULTS.has(action.kind);
}

function isPortalChange(action: Action): action is PortalChange {
  return action.kind.startsWith("portal");
}

/** Whether an action is a user action, an operator fault, an ARM fault or a portal change. */
export function categorize(action: Action): Categorized {
  if (isOperatorFault(action)) return { category: "operator", action };
  if (isArmFault(action)) return { category: "arm", action };
  if (isPortalChange(action)) return { category: "portal", action };
  return { category: "user", action };
}

function value(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(",")}]` : String(v);
}

/** One line per action for traces: `rollout app-a/app-a-canary image=d3-b4 (changed, ready)`. */
export function describeAction(action: Action): string {
  switch (action.kind) {
    case "createApi": {
      const s = action.spec;
      return `createApi ${action.app} backend=${s.backend} route=${s.route} products=${
        value(s.productIds)
      } tags=${
        value(s.tagIds)
      } subscriptionRequired=${s.subscriptionRequired} ${s.revisionMode} ${s.deletionPolicy}${
        s.apiIdV2 ? " apiId=v2" : ""
      }`;
    }
    case "editApi":
      return `editApi ${action.app} ${action.edit.field}=${
        value(action.edit.value)
      }`;
    case "rollout":
      return `rollout ${action.app}/${action.owner} image=${action.image} (${action.document}, ${
        action.ready ? "ready" : "not ready yet"
      })`;
    case "rollback":
      return `rollback ${action.app}/${action.owner} to image=${action.image}`;
    case "markReady":
      return `markReady ${action.app}/${action.owner}`;
    case "scale":
      return `scale ${action.app}/${action.owner} replicas=${action.replicas}`;
    case "createEntity":
    case "deleteEntity":
      return `${action.kind} ${action.entity} ${action.id}`;
    case "editEntity":
      return `editEntity ${action.entity} ${action.id} displayName="${action.displayName}"`;
    case "stopOperator":
      return `stopOperator ${action.target} ${action.signal}, down ${action.downMs}ms`;
    case "stealLease":
      return `stealLease for ${action.holdMs}ms`;
    case "pauseLeader":
      return `pauseLeader (SIGSTOP) for ${action.pauseMs}ms`;
    case "breakWatches":
      return `breakWatches ${action.mode}${
        action.mode === "restart" ? `, down ${action.downMs}ms` : ""
      }`;
    case "throttleStorm":
      return `throttleStorm ${action.cls} for ${action.seconds}s`;
    case "serverErrors":
      return `serverErrors ${action.status} on ${action.target} x${action.times}`;
    case "unknownOutcome":
      return `unknownOutcome on ${action.target} x${action.times} after ${action.delayMs}ms`;
    case "conflictLock":
      return `conflictLock (409) on ${action.app} for ${action.ms}ms`;
    case "deleteLock":
      return `deleteLock (ScopeLocked) for ${action.ms}ms`;
    case "slowImports":
      return `slowImports ${action.importMs}ms each for ${action.ms}ms`;
    case "portalEditApi":
      return `portalEditApi ${action.app} ${action.field}`;
    case "portalUnlink":
      return `portalUnlink ${action.app} ${action.entity}`;
    case "deleteApi":
    case "portalDeleteApi":
    case "portalDeleteRevision":
      return `${action.kind} ${action.app}`;
    case "deleteService":
    case "recreateService":
    case "releaseLease":
    case "lateImportFailure":
    case "lateDeleteFailure":
      return action.kind;
  }
}
