// APIMAPI controller: owns the finalizer and the deletion in API Management, and corrects drift periodically.
import { deleteApi, getApi, updateApi } from "../azure/apim_apis.ts";
import type { ApiRef } from "../azure/apim_paths.ts";
import { addApiToProduct, listProductApis } from "../azure/apim_products.ts";
import {
  assignTagToApi,
  listApiTags,
  listTagApis,
} from "../azure/apim_tags.ts";
import { ArmError } from "../azure/arm_error.ts";
import { pendingOperationSchema, pollOperation } from "../azure/operation.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import { apimApis } from "../crd/resources.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import {
  markerOwnedBy,
  type OwnerRef,
  parseOwnerMarker,
} from "../reconcile/desired_api.ts";
import { decideDrift } from "../reconcile/plan_drift.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import {
  type Controller,
  involvedObject,
  jittered,
  makeController,
} from "./controller.ts";
import { addFinalizer, hasFinalizer, removeFinalizer } from "./finalizers.ts";
import type { OperatorContext } from "./operator_context.ts";
import { observedApi } from "./observed_api.ts";
import {
  lookupService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";
import { MembershipSnapshots } from "./membership_snapshots.ts";
import { patchStatus } from "./status_patch.ts";

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

  /** Logs and records why the deletion may finish, then removes the finalizer. */
  async function release(
    api: ApimApi,
    outcome: { type: "Normal" | "Warning"; reason: string; note: string },
    signal: AbortSignal,
  ): Promise<Outcome> {
    const fields = {
      controller: "apimapi",
      namespace: api.metadata.namespace,
      name: api.metadata.name,
      apiId: api.spec.APIID,
      reason: outcome.reason,
    };
    if (outcome.type === "Warning") ctx.logger.warn(outcome.note, fields);
    else ctx.logger.info(outcome.note, fields);
    await event(api, outcome.type, outcome.reason, outcome.note);
    await removeFinalizer(kinds.apimApis, api, signal);
    nextCheck.delete(objectKey(api));
    return DONE;
  }

  async function finalize(api: ApimApi, signal: AbortSignal): Promise<Outcome> {
    const apiId = api.spec.APIID;
    const deleted = {
      type: "Normal" as const,
      reason: "Deleted",
      note: `Deleted API "${apiId}" and its revisions from API Management`,
    };
    if (api.spec.deletionPolicy === "Retain") {
      return await release(api, {
        type: "Normal",
        reason: "Retained",
        note: `Left API "${apiId}" in API Management (deletionPolicy Retain)`,
      }, signal);
    }
    const service = lookupService(
      ctx,
      api.metadata.namespace,
      api.spec.apimService,
    );
    if (!service) {
      return await release(api, {
        type: "Warning",
        reason: "APIMServiceNotFound",
        note:
          `APIMService "${api.spec.apimService}" is gone; released the finalizer without deleting API "${apiId}"`,
      }, signal);
    }
    const ref = { service: serviceRef(service), apiId };
    const pending = api.status?.pendingOperation;
    if (pending?.kind === "delete") {
      const op = pendingOperationSchema.parse(pending);
      const result = await pollOperation(ctx.arm, op, { signal });
      if (result.state === "running") return requeueAfter(result.retryAfterMs);
      if (result.state === "failed") throw result.error;
      return await release(api, deleted, signal);
    }
    let current;
    try {
      current = await getApi(ctx.arm, ref);
    } catch (error) {
      // The instance or its resource group is gone: nothing is left to delete.
      if (!(error instanceof ArmError && error.status === 404)) throw error;
    }
    if (!current) {
      return await release(api, {
        type: "Normal",
        reason: "AlreadyGone",
        note: `API "${apiId}" no longer exists in API Management`,
      }, signal);
    }
    const marker = parseOwnerMarker(
      current.entity.properties.apiRevisionDescription ?? undefined,
    );
    if (!marker || !markerOwnedBy(marker, ownerOf(api))) {
      return await release(api, {
        type: "Warning",
        reason: "NotOwned",
        note:
          `API "${apiId}" in API Management is not owned by this APIMAPI; left it in place`,
      }, signal);
    }
    const start = await deleteApi(ctx.arm, {
      api: ref,
      ifMatch: "*",
      deleteRevisions: true,
    });
    if (start.state === "pending") {
      await patchStatus(kinds.apimApis, api, {
        pendingOperation: { ...start.operation },
      }, signal);
      return requeueAfter(start.retryAfterMs);
    }
    return await release(api, deleted, signal);
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
    const service = lookupService(
      ctx,
      api.metadata.namespace,
      api.spec.apimService,
    );
    if (!isRegistered(ctx, api) || !service || !status?.appliedHash) {
      return requeueAfter((nextCheck.get(key) ?? now) - now);
    }
    const ref = { service: serviceRef(service), apiId: api.spec.APIID };
    const current = await getApi(ctx.arm, ref);
    const decision = decideDrift(
      api.spec,
      status.appliedHash,
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
    return requeueAfter((nextCheck.get(key) ?? now) - now);
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const api = caches.apimApis.get(namespace, name);
    if (!api) {
      nextCheck.delete(key);
      return DONE;
    }
    if (api.metadata.deletionTimestamp) {
      return hasFinalizer(api) ? await finalize(api, signal) : DONE;
    }
    if (!hasFinalizer(api)) {
      await addFinalizer(kinds.apimApis, api, signal);
      return DONE;
    }
    return await checkDrift(api, signal);
  }

  return makeController(ctx, {
    name: "apimapi",
    workers,
    reconcile,
    primary: caches.apimApis,
    watch: (enqueue) => [
      caches.apimApis.subscribe(({ previous, current }) => {
        if (!current) return;
        const deleting = current.metadata.deletionTimestamp !== undefined;
        const finalizerChanged =
          hasFinalizer(current) !== (previous && hasFinalizer(previous));
        if (!previous || deleting || finalizerChanged) {
          enqueue(objectKey(current));
        }
      }),
    ],
  });
}
