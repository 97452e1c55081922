// What the schedule generator knows of the user's side while it draws actions (pure; no I/O).
import type { Action, ApiSpecChoice, ScheduleConfig } from "./actions.ts";

/** One Deployment of an app. */
export interface OwnerModel {
  name: string;
  /** Current image tag, `<document key>-b<build>` (document key `d<n>` valid, `x<n>` invalid). */
  image: string;
  /** Images it ran, oldest first (rollback targets). */
  history: string[];
  replicas: 0 | 1;
  /** A rollout whose pods are not ready yet. */
  pending: boolean;
}

/** One app: its Deployments, the APIMAPI (if created) and counters for new images. */
export interface AppModel {
  name: string;
  owners: OwnerModel[];
  api: ApiSpecChoice | null;
  /** Document key served now (of the last rollout made ready). */
  served: string;
  nextDocument: number;
  nextBuild: number;
}

/** The generator's world. */
export interface WorldModel {
  apps: AppModel[];
  products: Map<string, boolean>;
  tags: Map<string, boolean>;
  serviceLive: boolean;
  replicas: 1 | 2;
}

/** The document key of an image tag (`d3-b7` → `d3`). */
export function documentKeyOf(image: string): string {
  return image.split("-b")[0] ?? image;
}

/** The world every schedule starts from: each owner ready on image `d1-b1`, entities created, no APIMAPIs. */
export function initialModel(config: ScheduleConfig): WorldModel {
  return {
    apps: config.apps.map((app) => ({
      name: app.name,
      owners: app.owners.map((name) => ({
        name,
        image: "d1-b1",
        history: ["d1-b1"],
        replicas: 1,
        pending: false,
      })),
      api: null,
      served: "d1",
      nextDocument: 2,
      nextBuild: 2,
    })),
    products: new Map(config.products.map((p) => [p, true])),
    tags: new Map(config.tags.map((t) => [t, true])),
    serviceLive: true,
    replicas: config.replicas,
  };
}

function app(model: WorldModel, name: string): AppModel {
  const found = model.apps.find((a) => a.name === name);
  if (!found) throw new Error(`No app "${name}" in the model`);
  return found;
}

function owner(model: WorldModel, appName: string, name: string): OwnerModel {
  const found = app(model, appName).owners.find((o) => o.name === name);
  if (!found) throw new Error(`No owner "${name}" of app "${appName}"`);
  return found;
}

function setImage(o: OwnerModel, image: string): void {
  o.image = image;
  if (!o.history.includes(image)) o.history.push(image);
}

/** Applies a user action to the model (faults and portal changes leave it as it is). */
export function applyAction(model: WorldModel, action: Action): void {
  switch (action.kind) {
    case "createApi":
      app(model, action.app).api = structuredClone(action.spec);
      return;
    case "editApi": {
      const api = app(model, action.app).api;
      if (api) Object.assign(api, { [action.edit.field]: action.edit.value });
      return;
    }
    case "deleteApi":
      app(model, action.app).api = null;
      return;
    case "rollout": {
      const a = app(model, action.app);
      const o = owner(model, action.app, action.owner);
      setImage(o, action.image);
      a.nextBuild++;
      if (action.document !== "unchanged") a.nextDocument++;
      o.pending = !action.ready;
      if (action.ready) a.served = documentKeyOf(action.image);
      return;
    }
    case "rollback": {
      const o = owner(model, action.app, action.owner);
      setImage(o, action.image);
      o.pending = false;
      app(model, action.app).served = documentKeyOf(action.image);
      return;
    }
    case "markReady": {
      const o = owner(model, action.app, action.owner);
      if (o.pending && o.replicas > 0) {
        o.pending = false;
        app(model, action.app).served = documentKeyOf(o.image);
      }
      return;
    }
    case "scale":
      owner(model, action.app, action.owner).replicas = action.replicas;
      return;
    case "createEntity":
    case "deleteEntity":
      (action.entity === "product" ? model.products : model.tags).set(
        action.id,
        action.kind === "createEntity",
      );
      return;
    case "deleteService":
    case "recreateService":
      model.serviceLive = action.kind === "recreateService";
      return;
    default:
      return;
  }
}
