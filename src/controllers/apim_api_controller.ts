// APIMAPI controller: owns the finalizer (deletion: ApiDeletion) and corrects drift periodically (ApiDrift).
import type { ApimApi } from "../crd/apim_api.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { ApiDeletion } from "./api_deletion.ts";
import { ApiDrift } from "./api_drift.ts";
import {
  type Controller,
  LOCKED_RETRY_MS,
  makeController,
} from "./controller.ts";
import { addFinalizer, hasFinalizer } from "./finalizers.ts";
import type { OperatorContext } from "./operator_context.ts";
import { resolvesTo } from "./service_lookup.ts";

/** APIs whose APIMService went or came back are checked within this spread (not all at once). */
const SERVICE_CHANGE_SPREAD_MS = 5_000;

/**
 * Whether a change of an APIMAPI asks for a pass of this controller now: a new object, a deletion
 * that starts, a finalizer added or removed, or, while deleting, the registration's recorded
 * import or prune settled or a spec edit (`deletionPolicy: Retain` lets go of a deletion Azure
 * keeps refusing). The deletion's own writes do not (its record, its failures): while a delete is
 * refused, each of them would otherwise run the next attempt at once, past its backoff.
 */
export function changeNeedsPass(
  previous: ApimApi | undefined,
  current: ApimApi,
): boolean {
  if (!previous) return true;
  const deleting = current.metadata.deletionTimestamp !== undefined;
  const startedDeleting = deleting &&
    previous.metadata.deletionTimestamp === undefined;
  const finalizerChanged = hasFinalizer(current) !== hasFinalizer(previous);
  // The registration's import or prune settled; the deletion's own record does not count.
  const before = previous.status?.pendingOperation;
  const registrationSettled = before !== undefined &&
    before.kind !== "delete" &&
    JSON.stringify(before) !==
      JSON.stringify(current.status?.pendingOperation);
  const specChanged = current.metadata.generation !==
    previous.metadata.generation;
  return startedDeleting || finalizerChanged ||
    (deleting && (registrationSettled || specChanged));
}

/** Builds the APIMAPI controller. */
export function apimApiController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  const { caches, kinds } = ctx;
  const drift = new ApiDrift(ctx);

  /** The deletion, on the APIMAPI as the API server has it now (a pass may have just recorded an operation). */
  async function finalize(api: ApimApi, signal: AbortSignal): Promise<Outcome> {
    const fresh = await kinds.apimApis.find(api.metadata.name, {
      namespace: api.metadata.namespace,
      signal,
    });
    if (!fresh || !hasFinalizer(fresh)) return DONE;
    const outcome = await new ApiDeletion(ctx, fresh, signal).run();
    if (outcome.kind === "done") drift.forget(objectKey(api));
    return outcome;
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const api = caches.apimApis.get(namespace, name);
    if (!api) {
      drift.forget(key);
      return DONE;
    }
    if (api.metadata.deletionTimestamp && !hasFinalizer(api)) return DONE;
    if (!api.metadata.deletionTimestamp && !hasFinalizer(api)) {
      await addFinalizer(kinds.apimApis, api, signal);
      return DONE;
    }
    // One pass at a time per API: a registration in flight finishes (and records its write) first.
    return await ctx.apiLocks.tryRun(
      key,
      requeueAfter(LOCKED_RETRY_MS),
      () =>
        api.metadata.deletionTimestamp
          ? finalize(api, signal)
          : drift.check(api, signal),
    );
  }

  return makeController(ctx, {
    name: "apimapi",
    workers,
    reconcile,
    primary: caches.apimApis,
    watch: (enqueue) => [
      caches.apimApis.subscribe(({ previous, current }) => {
        if (current && changeNeedsPass(previous, current)) {
          enqueue(objectKey(current));
        }
      }),
      // An APIMService that goes or comes back is checked for soon by the APIs that resolve to it.
      caches.apimServices.subscribe(({ previous, current }) => {
        const service = current ?? previous;
        if (!service || (previous === undefined) === (current === undefined)) {
          return;
        }
        for (const api of caches.apimApis.list()) {
          if (!resolvesTo(ctx, api, service)) continue;
          const delay = Math.round(ctx.random() * SERVICE_CHANGE_SPREAD_MS);
          drift.dueIn(objectKey(api), delay);
          enqueue(objectKey(api));
        }
      }),
    ],
  });
}
