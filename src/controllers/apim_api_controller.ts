// APIMAPI controller: owns the finalizer and the deletion in API Management, and corrects drift periodically.
import { deleteApi, getApi, updateApi } from "../azure/apim_apis.ts";
import { addApiToProduct, listApiProducts } from "../azure/apim_products.ts";
import { assignTagToApi, listApiTags } from "../azure/apim_tags.ts";
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
import { planLinks } from "../reconcile/plan_import.ts";
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
import { lookupService, serviceRef } from "./service_lookup.ts";
import { patchStatus } from "./status_patch.ts";

/**
 * Links (product and tag memberships) cost two list calls per API, so a drift check lists them on
 * the first check and every fourth one after; the API itself is read on every check.
 */
const LINK_CHECK_EVERY = 4;

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
  /** Drift checks done per API; links are listed on every LINK_CHECK_EVERY-th (reads are ARM budget). */
  const checks = new Map<string, number>();

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
    checks.delete(objectKey(api));
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

  async function relink(
    api: ApimApi,
    ref: Parameters<typeof listApiTags>[1],
  ): Promise<number> {
    const [products, tags] = await Promise.all([
      listApiProducts(ctx.arm, ref).then((l) => l.map((p) => p.name)),
      listApiTags(ctx.arm, ref).then((l) => l.map((t) => t.name)),
    ]);
    const missingProducts = planLinks(api.spec.productIds, products, []).add;
    const missingTags = planLinks(api.spec.tagIds, tags, []).add;
    for (const productId of missingProducts) {
      await addApiToProduct(ctx.arm, {
        product: { service: ref.service, productId },
        apiId: ref.apiId,
      });
    }
    for (const tagId of missingTags) {
      await assignTagToApi(ctx.arm, { api: ref, tagId });
    }
    return missingProducts.length + missingTags.length;
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
    const registered = status?.appliedHash !== undefined &&
      status.registeredReplicaSet?.generation === api.metadata.generation &&
      status.pendingOperation === undefined &&
      !caches.apimApiDeployments.get(api.metadata.namespace, api.metadata.name);
    const service = lookupService(
      ctx,
      api.metadata.namespace,
      api.spec.apimService,
    );
    if (!registered || !service || !status?.appliedHash) {
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
        checks.delete(key); // the next check lists the links too
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
        checks.delete(key);
        await event(api, "Normal", "DriftCorrected", decision.message);
        break;
      case "none": {
        const count = checks.get(key) ?? 0;
        checks.set(key, count + 1);
        if (count % LINK_CHECK_EVERY !== 0) break;
        const relinked = await relink(api, ref);
        if (relinked > 0) {
          ctx.metrics.countDriftCorrection("links");
          await event(
            api,
            "Normal",
            "DriftCorrected",
            `Restored ${relinked} product or tag link(s) of API "${api.spec.APIID}" removed outside Kubernetes`,
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
      checks.delete(key);
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
