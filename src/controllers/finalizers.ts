// Adds and removes our finalizer with JSON patches guarded by the finalizer list they were decided on, and the
// reconcile skeleton of finalized objects.
import type { KubeObject } from "../kube/kube_object.ts";
import type { ResourceApi } from "../kube/resource_api.ts";
import { DONE, type Outcome } from "../kube/run_controller.ts";
import {
  deletionFailure,
  describeFailure,
  type Failure,
  ReportedFailure,
} from "./failure.ts";

/** The finalizer that makes deletions wait for API Management. */
export const FINALIZER = "apim.operator.io/finalizer";

/** Whether the object carries our finalizer. */
export function hasFinalizer(object: KubeObject): boolean {
  return object.metadata?.finalizers?.includes(FINALIZER) ?? false;
}

/**
 * A `test` of the finalizer list as read (null when absent): other changes to the object (status
 * writes) do not make the patch fail, a concurrent change of the finalizers does.
 */
function guard(object: KubeObject) {
  return {
    op: "test" as const,
    path: "/metadata/finalizers",
    value: object.metadata?.finalizers ?? null,
  };
}

/** Adds the finalizer (a concurrent change makes the patch fail, and the next pass decides again). */
export async function addFinalizer<T extends KubeObject>(
  api: ResourceApi<T>,
  object: T,
  signal: AbortSignal,
): Promise<void> {
  const finalizers = object.metadata?.finalizers;
  await api.jsonPatch(object.metadata?.name ?? "", [
    guard(object),
    finalizers
      ? { op: "add", path: "/metadata/finalizers/-", value: FINALIZER }
      : { op: "add", path: "/metadata/finalizers", value: [FINALIZER] },
  ], { namespace: object.metadata?.namespace, signal });
}

/** Removes the finalizer, letting the API server finish the deletion. */
export async function removeFinalizer<T extends KubeObject>(
  api: ResourceApi<T>,
  object: T,
  signal: AbortSignal,
): Promise<void> {
  const remaining = (object.metadata?.finalizers ?? []).filter((f) =>
    f !== FINALIZER
  );
  await api.jsonPatch(object.metadata?.name ?? "", [
    guard(object),
    { op: "replace", path: "/metadata/finalizers", value: remaining },
  ], { namespace: object.metadata?.namespace, signal });
}

/** The steps of {@linkcode reconcileWithFinalizer}. */
export interface FinalizedLifecycle<T extends KubeObject> {
  api: ResourceApi<T>;
  /** The object is being deleted and still holds our finalizer. */
  finalize(object: T): Promise<Outcome>;
  /** The object is live and holds our finalizer. */
  converge(object: T): Promise<Outcome>;
  /** Reports a failed step in the object's status (its own errors are swallowed). */
  reportFailure(object: T, failure: Failure): Promise<void>;
}

/**
 * One reconcile of an object whose deletion waits for API Management: finalize it when it is being
 * deleted, add the finalizer before anything else, converge otherwise. A failure is reported on the
 * object and rethrown as a {@linkcode ReportedFailure} carrying its retry decision (a deletion's is
 * never terminal: {@linkcode deletionFailure}).
 */
export async function reconcileWithFinalizer<T extends KubeObject>(
  object: T,
  steps: FinalizedLifecycle<T>,
  signal: AbortSignal,
): Promise<Outcome> {
  try {
    if (object.metadata?.deletionTimestamp) {
      return hasFinalizer(object) ? await steps.finalize(object) : DONE;
    }
    if (!hasFinalizer(object)) {
      await addFinalizer(steps.api, object, signal);
      return DONE;
    }
    return await steps.converge(object);
  } catch (error) {
    const failure = object.metadata?.deletionTimestamp
      ? deletionFailure(describeFailure(error))
      : describeFailure(error);
    await steps.reportFailure(object, failure).catch(() => {});
    throw new ReportedFailure(failure);
  }
}
