// Periodic drift check of registered APIMAPIs: when each is due, what API Management holds, and the correction.
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
import { objectKey } from "../kube/kube_object.ts";
import { type Outcome, requeueAfter } from "../kube/run_controller.ts";
import {
  CONDITION_LIMITS,
  findCondition,
  truncated,
} from "../reconcile/conditions.ts";
import type { OwnerRef } from "../reconcile/desired_api.ts";
import { decideDrift } from "../reconcile/plan_drift.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import { involvedObject, jittered } from "./controller.ts";
import { describeFailure } from "./failure.ts";
import { MembershipSnapshots } from "./membership_snapshots.ts";
import { observedApi } from "./observed_api.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  requireService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";
import { patchStatusRetrying } from "./status_patch.ts";

/** How a Ready message starts while the last drift check failed. */
const DRIFT_FAILED = "The drift check failed";

/** How soon a drift check whose failure could not be written to status runs again. */
const STATUS_RETRY_MS = 5_000;

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

/**
 * The drift checks of one operator: when each API's next check is due (in memory: spread over the
 * period after a start) and the product and tag membership lists the checks share.
 */
export class ApiDrift {
  readonly #ctx: OperatorContext;
  /** When each API's next drift check is due. */
  readonly #nextCheck = new Map<string, number>();
  /** Product and tag memberships, listed once per period for all APIs (reads are ARM budget). */
  readonly #memberships: MembershipSnapshots;

  constructor(ctx: OperatorContext) {
    this.#ctx = ctx;
    this.#memberships = new MembershipSnapshots(
      ctx.settings.resyncPeriodMs,
      ctx.clock,
    );
  }

  /** Forgets the schedule of an API that is gone. */
  forget(key: string): void {
    this.#nextCheck.delete(key);
  }

  /** Makes the check of an API due in `delayMs`. */
  dueIn(key: string, delayMs: number): void {
    this.#nextCheck.set(key, this.#ctx.clock.now() + delayMs);
  }

  #event(
    api: ApimApi,
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ): Promise<void> {
    return this.#ctx.events.record(involvedObject(apimApis, api), {
      type,
      reason,
      note,
    });
  }

  /**
   * Whether the API is still a member of `key` (a product's APIs, a tag's APIs, or the API's
   * tags): a shared recent list first, and a gap confirmed by a list taken now.
   */
  async #isMember(
    key: string,
    id: string,
    list: () => Promise<readonly string[]>,
  ): Promise<boolean> {
    const recent = await this.#memberships.members(key, list);
    if (recent.has(id) || recent.fresh) return recent.has(id);
    const now = await this.#memberships.members(key, list, {
      listedSince: this.#ctx.clock.now(),
    });
    return now.has(id);
  }

  /** Links the API again to the products and tags its spec names that lost it; says which. */
  async #restoreLinks(
    api: ApimApi,
    ref: ApiRef,
    identity: string,
  ): Promise<string[]> {
    const ctx = this.#ctx;
    const restored: string[] = [];
    const apiId = ref.apiId;
    for (const productId of api.spec.productIds) {
      const key = `${identity}/products/${productId.toLowerCase()}`;
      const product = { service: ref.service, productId };
      const linked = await this.#isMember(
        key,
        apiId,
        async () =>
          (await listProductApis(ctx.arm, product)).map((a) => a.name),
      );
      if (linked) continue;
      await addApiToProduct(ctx.arm, { product, apiId });
      this.#memberships.add(key, apiId);
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
      if (await this.#isMember(key, member, list)) continue;
      await assignTagToApi(ctx.arm, { api: ref, tagId });
      this.#memberships.add(key, member);
      restored.push(`tag "${tagId}"`);
    }
    return restored;
  }

  /** Checks a registered API once its check is due; the outcome requeues it for the next one. */
  async check(
    api: ApimApi,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const ctx = this.#ctx;
    const key = objectKey(api);
    const now = ctx.clock.now();
    const due = this.#nextCheck.get(key);
    if (due === undefined || now < due) {
      const at = due ??
        now + Math.round(ctx.random() * ctx.settings.resyncPeriodMs);
      this.#nextCheck.set(key, at);
      return requeueAfter(at - now);
    }
    this.#nextCheck.set(
      key,
      now + jittered(ctx.settings.resyncPeriodMs, ctx.random),
    );
    const status = api.status;
    if (!isRegistered(ctx, api) || !status?.appliedHash) {
      return requeueAfter((this.#nextCheck.get(key) ?? now) - now);
    }
    const next = (this.#nextCheck.get(key) ?? now) - now;
    try {
      // A registered API whose APIMService went away cannot be checked: that is shown, not Ready.
      const service = requireService(
        ctx,
        api.metadata.namespace,
        api.spec.apimService,
      );
      await this.#correctDrift(api, service, status.appliedHash, signal);
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
      await this.#event(api, "Warning", "DriftCheckFailed", failed.message);
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
        this.#nextCheck.set(key, now + soon);
        return requeueAfter(soon);
      }
    }
    return requeueAfter(next);
  }

  /** Compares API Management with what was applied and corrects what drifted; records a clean check. */
  async #correctDrift(
    api: ApimApi,
    service: ApimService,
    appliedHash: string,
    signal: AbortSignal,
  ): Promise<void> {
    const ctx = this.#ctx;
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
        await this.#event(api, "Warning", "DriftDetected", decision.message);
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
        await this.#event(api, "Normal", "DriftCorrected", decision.message);
        break;
      case "none": {
        const relinked = await this.#restoreLinks(
          api,
          ref,
          serviceIdentity(service),
        );
        if (relinked.length > 0) {
          ctx.metrics.countDriftCorrection("links");
          await this.#event(
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
      await patchStatusRetrying(ctx.kinds.apimApis, api, () => verified, {
        signal,
        accept,
      });
    }
  }
}
