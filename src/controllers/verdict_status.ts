// Writes a verdict into an object's status (the condition trio, observedGeneration) and announces changes as Events.
import type { Condition } from "../crd/meta.ts";
import type { KubeObject } from "../kube/kube_object.ts";
import type { ResourceDescriptor } from "../kube/resource.ts";
import type { ResourceApi } from "../kube/resource_api.ts";
import {
  conditionsFor,
  eventTypeOf,
  findCondition,
  type StatusVerdict,
} from "../reconcile/conditions.ts";
import { involvedObject } from "./controller.ts";
import type { Failure } from "./failure.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  patchStatus,
  patchStatusRetrying,
  type StatusPatch,
} from "./status_patch.ts";

/** An object of ours: metadata plus a status with conditions. */
export type ReportedObject = KubeObject & {
  status?: { conditions?: Condition[] | undefined } | undefined;
};

/** Where a verdict is written. */
export interface VerdictTarget<T extends ReportedObject> {
  api: ResourceApi<T>;
  resource: ResourceDescriptor;
}

/** The verdict of a failure: stalled when retrying cannot help, else progressing (both Warnings). */
export function failureVerdict(failure: Failure): StatusVerdict {
  return {
    state: failure.decision.kind === "terminal" ? "stalled" : "progressing",
    reason: failure.reason,
    message: failure.message,
    problem: failure.expected !== true,
  };
}

/**
 * Patches `verdict` and `fields` into the object's status (guarded by its resourceVersion). When
 * the Ready condition's status or reason changes, the Event goes out first: a write that lands
 * while the process dies or its answer is lost would otherwise leave a condition nobody announced
 * (the next pass finds it unchanged). Only Ready=True is announced alongside its write: a lost
 * announcement of success leaves nothing unexplained, and the wait would delay every registration.
 * A repeat joins the Event's series; a change only the fresher read of a retried write shows is
 * announced after it. Returns the updated object.
 * With `accept`, a conflict with a concurrent write is retried on a fresh read that `accept` approves.
 */
export async function reportVerdict<T extends ReportedObject>(
  ctx: OperatorContext,
  target: VerdictTarget<T>,
  object: T,
  verdict: StatusVerdict,
  fields: StatusPatch,
  signal: AbortSignal,
  accept?: (fresh: T) => boolean,
): Promise<T> {
  const conditions = (current: T): Condition[] =>
    conditionsFor(current.status?.conditions, verdict, {
      generation: current.metadata?.generation,
      now: new Date(ctx.clock.now()).toISOString(),
    });
  let base = object;
  const build = (current: T): StatusPatch => {
    base = current;
    return {
      ...fields,
      observedGeneration: current.metadata?.generation ?? null,
      conditions: conditions(current),
    };
  };
  const changesReady = (current: T): boolean => {
    const before = findCondition(current.status?.conditions, "Ready");
    const after = findCondition(conditions(current), "Ready");
    return before?.status !== after?.status || before?.reason !== after?.reason;
  };
  const announce = () =>
    ctx.events.record(involvedObject(target.resource, object), {
      type: eventTypeOf(verdict),
      reason: verdict.reason,
      note: verdict.message,
    });
  const announced = changesReady(object);
  const announcing = announced ? announce() : undefined;
  if (verdict.state !== "ready") await announcing;
  let updated: T;
  try {
    updated = accept
      ? await patchStatusRetrying(target.api, object, build, { accept, signal })
      : await patchStatus(target.api, object, build(object), signal);
  } finally {
    // Settled before the caller goes on, even when the write failed: a later Event of the pass
    // then never lands before this one.
    await announcing;
  }
  // Written over a fresher read than the one announced from (another writer changed Ready).
  if (!announced && changesReady(base)) await announce();
  return updated;
}
