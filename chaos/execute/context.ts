// What every action handler gets: the world, the ledger, the user-side state, and a way to run work in the background.
import type { GenericObject } from "../../src/kube/kube_object.ts";
import type { ResourceApi } from "../../src/kube/resource_api.ts";
import { waitFor } from "../../test/support/wait.ts";
import type { ApiSpecChoice } from "../schedule/actions.ts";
import type { ScheduleWorld } from "../world/world.ts";
import type { Ledger, StepOutcome } from "./ledger.ts";

/** How one step ended. */
export interface StepResult {
  outcome: StepOutcome;
  note?: string;
}

/** The result of a step that did what it said. */
export const DONE: StepResult = { outcome: "ok" };

/** The result of a step that had nothing to act on. */
export function skipped(note: string): StepResult {
  return { outcome: "skipped", note };
}

/** The user's side as the runner left it (what Kubernetes holds may lag behind). */
export interface UserState {
  /** Image tag of each owner. */
  images: Map<string, string>;
  replicas: Map<string, number>;
  /** Owners with a rollout whose pods are not ready yet, in the order they were rolled out. */
  pending: Map<string, { app: string }>;
  /** Clock time until which imports are slow. */
  slowImportsUntil: number;
}

/** Shared by the action handlers of one schedule. */
export interface ExecContext {
  world: ScheduleWorld;
  ledger: Ledger;
  user: UserState;
  /** Aborts when the schedule ends and faults are healed. */
  healed: AbortSignal;
  /** Runs `task` without waiting; quiescence waits for it. */
  background(task: Promise<void>): void;
  /** The step being run (for deterministic choices). */
  step: number;
}

/** The name of the APIMService every object refers to. */
export const SERVICE_REF = "apim";

/** The APIID an app's APIMAPI has with a given choice. */
export function apiIdOf(app: string, v2: boolean): string {
  return v2 ? `${app}-v2` : app;
}

/** The APIMAPI spec for an app and a choice of settings. */
export function apiSpecOf(
  world: ScheduleWorld,
  app: string,
  choice: ApiSpecChoice,
): Record<string, unknown> {
  return {
    APIID: apiIdOf(app, choice.apiIdV2),
    serviceUrl: serviceUrlOf(world, app, choice.backend),
    routePrefix: routePrefixOf(app, choice.route),
    openApiDefinitionUrl: "/openapi.json",
    apimService: SERVICE_REF,
    productIds: choice.productIds,
    tagIds: choice.tagIds,
    subscriptionRequired: choice.subscriptionRequired,
    revisions: { mode: choice.revisionMode, keep: 2 },
    deletionPolicy: choice.deletionPolicy,
  };
}

/** serviceUrl variant `backend` of an app. */
export function serviceUrlOf(
  world: ScheduleWorld,
  app: string,
  backend: 0 | 1,
): string {
  return `${world.documents.url}/${app}${backend === 1 ? "/v2" : ""}`;
}

/** routePrefix variant `route` of an app. */
export function routePrefixOf(app: string, route: 0 | 1): string {
  return `/${app}${route === 1 ? "/v2" : ""}`;
}

/** The APIID an app's live APIMAPI names, or the app name when there is none. */
export async function currentApiId(
  ctx: ExecContext,
  app: string,
): Promise<string> {
  const cr = await ctx.world.apis.apimApis.find(app, {
    namespace: ctx.world.namespace,
  });
  const spec = cr?.["spec"] as { APIID?: string } | undefined;
  return spec?.APIID ?? app;
}

/**
 * Waits (bounded) until no object `name` exists, e.g. before creating it again after a delete;
 * false when one is still there (a finalizer that does not let go).
 */
export async function awaitAbsent(
  api: ResourceApi<GenericObject>,
  namespace: string,
  name: string,
  timeoutMs = 20_000,
): Promise<boolean> {
  try {
    await waitFor(
      async () => (await api.find(name, { namespace })) ? undefined : true,
      { description: `${name} to be gone`, timeoutMs, intervalMs: 250 },
    );
    return true;
  } catch {
    return false;
  }
}
