// APIMAPI controller: owns the finalizer (deletion: ApiDeletion) and corrects drift periodically.
import { getApi, updateApi } from "../azure/apim_apis.ts";
import type { ApiRef } from "../azure/apim_paths.ts";
import { addApiToProduct, listProductApis } from "../azure/apim_products.ts";
import {
  assignTagToApi,
  listApiTags,
  listTagApis,
} from "../azure/apim_tags.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { apimApis } from "../crd/resources.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import {
  CONDITION_LIMITS,
  findCondition,
  truncated,
} from "../reconcile/conditions.ts";
import type { OwnerRef } from "../reconcile/desired_api.ts";
import { decideDrift } from "../reconcile/plan_drift.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import {
  type Controller,
  involvedObject,
  jittered,
  LOCKED_RETRY_MS,
  makeController,
} from "./controller.ts";
import { ApiDeletion } from "./api_deletion.ts";
import { describeFailure } from "./failure.ts";
import { addFinalizer, hasFinalizer } from "./finalizers.ts";
import type { OperatorContext } from "./operator_context.ts";
import { observedApi } from "./observed_api.ts";
import {
  requireService,
  resolvesTo,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";
import { MembershipSnapshots } from "./membership_snapshots.ts";
import { patchStatusRetrying } from "./status_patch.ts";

/** How a Ready message starts while the last drift check failed. */
const DRIFT_FAILED = "The drift check failed";

/** How soon a drift check whose failure could not be written to status runs again. */
const STATUS_RETRY_MS = 5_000;

/** APIs whose APIMService went or came back are checked within this spread (not all at once). */
const SERVICE_CHANGE_SPREAD_MS = 5_000;

/** The api-version that lists a tag's APIs (`tags/{tagId}/apiLinks`). */
const TAG_API_LINKS_SINCE = "2024-05-01";

/** The APIMAPI's current generation is registered and no rollout of it is in flight. */
function isRegistered(ctx: OperatorContext, api: ApimApi): boolean {
  const status = api.status;
  return status?.appliedHash !== undefined &&
    status.registeredReplicaSet?.generation === api.metadata.generation &&
    status.pendingOperation === undefined &&
    !ctx.caches.apimApiDeployments.get(
      api.metadata.namespace,
      api.metadata.name,
    );
}

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

function ownerOf(api: ApimApi): OwnerRef {
  return { namespace: api.metadata.namespace ?? "", name: api.metadata.name };
}

/** Builds the APIMAPI controller. */
export function apimApiController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  const { caches, kinds } = ctx;
  /** When each API's next drift check is due (in memory: spread over the period after a start). */
  const nextCheck = new Map<string, number>();
  /** Product and tag memberships, listed once per period for all APIs (reads are ARM budget). */
  const memberships = new MembershipSnapshots(
    ctx.settings.resyncPeriodMs,
    ctx.clock,
  );

  function event(
    api: ApimApi,
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ) {
    return ctx.events.record(involvedObject(apimApis, api), {
      type,
      reason,
      note,
    });
  }

  /** The deletion, on the APIMAPI as the API server has it now (a pass may have just recorded an operation). */
  async function finalize(api: ApimApi, signal: AbortSignal): Promise<Outcome> {
    const fresh = await kinds.apimApis.find(api.metadata.name, {
      namespace: api.metadata.namespace,
      signal,
    });
    if (!fresh || !hasFinalizer(fresh)) return DONE;
    const outcome = await new ApiDeletion(ctx, fresh, signal).run();
    if (outcome.kind === "done") nextCheck.delete(objectKey(api));
    return outcome;
  }

  /**
   * Whether the API is still a member of `key` (a product's APIs, a tag's APIs, or the API's
   * tags): a shared recent list first, and a gap confirmed by a list taken now.
   */
  async function isMember(
    key: string,
    id: string,
    list: () => Promise<readonly string[]>,
  ): Promise<boolean> {
    const recent = await memberships.members(key, list);
    if (recent.has(id) || recent.fresh) return recent.has(id);
    const now = await memberships.members(key, list, {
      listedSince: ctx.clock.now(),
    });
    return now.has(id);
  }

  /** Links the API again to the products and tags its spec names that lost it; says which. */
  async function restoreLinks(
    api: ApimApi,
    ref: ApiRef,
    identity: string,
  ): Promise<string[]> {
    const restored: string[] = [];
    const apiId = ref.apiId;
    for (const productId of api.spec.productIds) {
      const key = `${identity}/products/${productId.toLowerCase()}`;
      const product = { service: ref.service, productId };
      const linked = await isMember(
        key,
        apiId,
        async () =>
          (await listProductApis(ctx.arm, product)).map((a) => a.name),
      );
      if (linked) continue;
      await addApiToProduct(ctx.arm, { product, apiId });
      memberships.add(key, apiId);
      restored.push(`product "${productId}"`);
    }
    // Tags list their APIs since 2024-05-01; before, each API lists its tags.
    const byTag = ctx.arm.apiVersion >= TAG_API_LINKS_SINCE;
    for (const tagId of api.spec.tagIds) {
      const tag = { service: ref.service, tagId };
      // Either the tag's list of APIs, or this API's list of tags.
      const { key, member, list } = byTag
        ? {
          key: `${identity}/tags/${tagId.toLowerCase()}`,
          member: apiId,
          list: () => listTagApis(ctx.arm, tag),
        }
        : {
          key: `${identity}/apis/${apiId.toLowerCase()}/tags`,
          member: tagId,
          list: async () =>
            (await listApiTags(ctx.arm, ref)).map((t) => t.name),
        };
      if (await isMember(key, member, list)) continue;
      await assignTagToApi(ctx.arm, { api: ref, tagId });
      memberships.add(key, member);
      restored.push(`tag "${tagId}"`);
    }
    return restored;
  }

  async function checkDrift(
    api: ApimApi,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const key = objectKey(api);
    const now = ctx.clock.now();
    const due = nextCheck.get(key);
    if (due === undefined || now < due) {
      const at = due ??
        now + Math.round(ctx.random() * ctx.settings.resyncPeriodMs);
      nextCheck.set(key, at);
      return requeueAfter(at - now);
    }
    nextCheck.set(key, now + jittered(ctx.settings.resyncPeriodMs, ctx.random));
    const status = api.status;
    if (!isRegistered(ctx, api) || !status?.appliedHash) {
      return requeueAfter((nextCheck.get(key) ?? now) - now);
    }
    const next = (nextCheck.get(key) ?? now) - now;
    try {
      // A registered API whose APIMService went away cannot be checked: that is shown, not Ready.
      const service = requireService(
        ctx,
        api.metadata.namespace,
        api.spec.apimService,
      );
      await correctDrift(api, service, status.appliedHash, signal);
    } catch (error) {
      // The error is shown; the next check comes at its time, or sooner when ARM asked for a
      // wait or the status could not be written.
      const failed = describeFailure(error);
      ctx.logger.warn("Drift check failed", {
        controller: "apimapi",
        namespace: api.metadata.namespace,
        name: api.metadata.name,
        reason: failed.reason,
        message: failed.message,
      });
      await event(api, "Warning", "DriftCheckFailed", failed.message);
      const shown = await reportApiVerdict(
        ctx,
        api,
        {
          state: "progressing",
          reason: failed.reason,
          message: `${DRIFT_FAILED}: ${failed.message}`,
          problem: true,
        },
        {
          lastError: {
            code: failed.reason,
            message: truncated(failed.message, CONDITION_LIMITS.message),
            at: new Date(now).toISOString(),
          },
        },
        signal,
        (fresh) => fresh.metadata.generation === api.metadata.generation,
      ).then(
        () => true,
        () => false,
      );
      const soon = failed.decision.kind === "retryAfter"
        ? failed.decision.delayMs
        : shown
        ? next
        : STATUS_RETRY_MS;
      if (soon < next) {
        nextCheck.set(key, now + soon);
        return requeueAfter(soon);
      }
    }
    return requeueAfter(next);
  }

  async function correctDrift(
    api: ApimApi,
    service: ApimService,
    appliedHash: string,
    signal: AbortSignal,
  ): Promise<void> {
    const ref = { service: serviceRef(service), apiId: api.spec.APIID };
    const current = await getApi(ctx.arm, ref);
    const decision = decideDrift(
      api.spec,
      appliedHash,
      observedApi(current?.entity, current?.etag),
      ownerOf(api),
    );
    switch (decision.action) {
      case "reregister":
        ctx.metrics.countDriftCorrection(decision.reason);
        await event(api, "Warning", "DriftDetected", decision.message);
        await reportApiVerdict(
          ctx,
          api,
          {
            state: "progressing",
            reason: decision.reason,
            message: decision.message,
          },
          { registeredReplicaSet: null },
          signal,
        );
        break;
      case "conflict":
        await reportApiVerdict(
          ctx,
          api,
          {
            state: "stalled",
            reason: "OwnedByAnotherAPIMAPI",
            message: decision.message,
          },
          {},
          signal,
        );
        break;
      case "patch":
        await updateApi(ctx.arm, {
          api: ref,
          properties: decision.changes,
          ifMatch: decision.ifMatch,
        });
        ctx.metrics.countDriftCorrection("api-properties");
        await event(api, "Normal", "DriftCorrected", decision.message);
        break;
      case "none": {
        const relinked = await restoreLinks(api, ref, serviceIdentity(service));
        if (relinked.length > 0) {
          ctx.metrics.countDriftCorrection("links");
          await event(
            api,
            "Normal",
            "DriftCorrected",
            `Restored the link(s) of API "${api.spec.APIID}" to ${
              relinked.join(", ")
            }, removed outside Kubernetes`,
          );
        }
      }
    }
    ctx.logger.debug("Checked the API for drift", {
      controller: "apimapi",
      namespace: api.metadata.namespace,
      name: api.metadata.name,
      apiId: api.spec.APIID,
      drift: decision.action,
    });
    if (decision.action !== "none" && decision.action !== "patch") return;
    // API Management holds the applied state now: an unchanged rollout may rely on that for a
    // period. A check that found nothing wrong also clears an earlier check's failure.
    const verified = { verifiedAt: new Date(ctx.clock.now()).toISOString() };
    const accept = (fresh: ApimApi) =>
      fresh.metadata.generation === api.metadata.generation &&
      fresh.status?.appliedHash === appliedHash;
    const ready = findCondition(api.status?.conditions, "Ready");
    if (ready?.message.startsWith(DRIFT_FAILED) === true) {
      await reportApiVerdict(
        ctx,
        api,
        {
          state: "ready",
          reason: "Registered",
          message:
            `API "${api.spec.APIID}" is registered in API Management at ${
              api.status?.apiHost ?? ""
            }`,
        },
        { ...verified, lastError: null },
        signal,
        accept,
      );
    } else {
      await patchStatusRetrying(kinds.apimApis, api, () => verified, {
        signal,
        accept,
      });
    }
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const api = caches.apimApis.get(namespace, name);
    if (!api) {
      nextCheck.delete(key);
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
          : checkDrift(api, signal),
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
          nextCheck.set(objectKey(api), ctx.clock.now() + delay);
          enqueue(objectKey(api));
        }
      }),
    ],
  });
}
