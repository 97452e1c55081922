// The inline policy of an APIMAPI (spec.policy): applied once the API is registered, re-applied after resets, reported in PolicyApplied.
import type { ApimApi } from "../crd/apim_api.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { apimApis } from "../crd/resources.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { findCondition } from "../reconcile/conditions.ts";
import { type StatedCondition, writeApiCondition } from "./api_condition.ts";
import {
  type Controller,
  type Enqueue,
  jittered,
  LOCKED_RETRY_MS,
  makeController,
  recordEvent,
} from "./controller.ts";
import { describeFailure, ReportedFailure } from "./failure.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  importInFlight,
  inboundPoliciesOf,
  POLICY_WAIT_MS,
  restoreDefaultPolicy,
  syncPolicy,
} from "./policy_sync.ts";
import {
  lookupService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";

/** The APIMAPI condition that reports its inline policy. */
export const POLICY_CONDITION = "PolicyApplied";

/** Builds the controller of APIMAPIs' inline policies. */
export function apimApiPolicyController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  const cache = ctx.caches.apimApis;

  const event = (
    api: ApimApi,
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ) => recordEvent(ctx, apimApis, api, { type, reason, note });

  /** Writes the condition and announces a change of its status or reason. */
  async function state(
    api: ApimApi,
    condition: Omit<StatedCondition, "type">,
    signal: AbortSignal,
  ): Promise<void> {
    const before = findCondition(api.status?.conditions, POLICY_CONDITION);
    await writeApiCondition(
      ctx,
      api,
      { type: POLICY_CONDITION, ...condition },
      signal,
    );
    if (
      before?.status !== condition.status || before.reason !== condition.reason
    ) {
      await event(
        api,
        condition.status === "True" ? "Normal" : "Warning",
        condition.reason,
        condition.message,
      );
    }
  }

  /** The APIMInboundPolicy that sets the API-scope policy of `api`'s API, if any. */
  function policyResource(api: ApimApi, service: ApimService | undefined) {
    if (!service) return undefined;
    return inboundPoliciesOf(ctx, serviceIdentity(service), api.spec.APIID)
      .find((policy) => policy.spec.operationId === undefined);
  }

  /** spec.policy was removed: restore the default where this controller had applied one. */
  async function withdraw(api: ApimApi, signal: AbortSignal): Promise<Outcome> {
    const condition = findCondition(api.status?.conditions, POLICY_CONDITION);
    if (!condition) return DONE;
    const service = lookupService(
      ctx,
      api.metadata.namespace,
      api.spec.apimService,
    );
    const registered = api.status?.registeredApi;
    if (
      condition.status === "True" && registered &&
      !policyResource(api, service)
    ) {
      const outcome = await restoreDefaultPolicy(ctx, {
        api: {
          service: {
            subscriptionId: registered.subscription,
            resourceGroup: registered.resourceGroup,
            serviceName: registered.service,
          },
          apiId: registered.apiId,
        },
      });
      if (outcome === "restored") {
        await event(
          api,
          "Normal",
          "DefaultRestored",
          `spec.policy was removed: restored the default policy (<base />) of API "${registered.apiId}"`,
        );
      }
    }
    await writeApiCondition(
      ctx,
      api,
      { type: POLICY_CONDITION, remove: true },
      signal,
    );
    return DONE;
  }

  async function converge(api: ApimApi, signal: AbortSignal): Promise<Outcome> {
    const inline = api.spec.policy;
    if (!inline) return await withdraw(api, signal);
    const service = lookupService(
      ctx,
      api.metadata.namespace,
      api.spec.apimService,
    );
    if (!service) {
      await state(api, {
        status: "False",
        reason: "APIMServiceNotFound",
        message:
          `APIMService "${api.spec.apimService}" was not found; the policy is applied once the API is registered`,
      }, signal);
      return DONE;
    }
    const other = policyResource(api, service);
    if (other) {
      await state(api, {
        status: "False",
        reason: "PolicyConflict",
        message: `APIMInboundPolicy "${
          objectKey(other)
        }" also sets the policy of API "${api.spec.APIID}"; remove spec.policy or that resource`,
      }, signal);
      return DONE;
    }
    if (api.status?.appliedHash === undefined) {
      await state(api, {
        status: "False",
        reason: "WaitingForAPI",
        message:
          `API "${api.spec.APIID}" is not registered yet; the policy is applied once it is`,
      }, signal);
      return DONE;
    }
    const before = findCondition(api.status?.conditions, POLICY_CONDITION);
    const importing = importInFlight(api);
    if (importing) {
      // An import keeps the API's policy: a policy in place stays reported as applied meanwhile.
      if (before?.status !== "True") {
        await state(api, { status: "False", ...importing }, signal);
      }
      return requeueAfter(POLICY_WAIT_MS);
    }
    const result = await syncPolicy(ctx, {
      service: serviceRef(service),
      apiId: api.spec.APIID,
    }, { content: inline.policyContent, format: inline.format });
    if (
      result.applied && before?.status === "True" &&
      before.observedGeneration === api.metadata.generation
    ) {
      ctx.metrics.countDriftCorrection("policy");
      await event(
        api,
        "Normal",
        "PolicyDriftCorrected",
        `Applied spec.policy of API "${api.spec.APIID}" again: it was changed or reset in API Management (an import, a new revision, or an edit)`,
      );
    }
    await state(api, {
      status: result.inSync ? "True" : "False",
      reason: result.verdict.reason,
      message: result.verdict.message,
    }, signal);
    return result.inSync
      ? requeueAfter(jittered(ctx.settings.resyncPeriodMs, ctx.random))
      : requeueAfter(POLICY_WAIT_MS);
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const api = cache.get(namespace, name);
    if (!api || api.metadata.deletionTimestamp) return DONE;
    if (
      !api.spec.policy &&
      !findCondition(api.status?.conditions, POLICY_CONDITION)
    ) {
      return DONE;
    }
    // Never beside a registration, drift or deletion pass of the same API.
    return await ctx.apiLocks.tryRun(
      key,
      requeueAfter(LOCKED_RETRY_MS),
      async () => {
        try {
          return await converge(api, signal);
        } catch (error) {
          const failure = describeFailure(error);
          await state(api, {
            status: "False",
            reason: failure.reason,
            message: failure.message,
          }, signal).catch(() => {});
          throw new ReportedFailure(failure);
        }
      },
    );
  }

  /** What in an APIMAPI concerns its inline policy (not the condition this controller writes). */
  function signature(api: ApimApi | undefined): string {
    const s = api?.status;
    return JSON.stringify([
      api?.metadata.generation,
      api?.metadata.deletionTimestamp !== undefined,
      s?.importedAt,
      s?.currentRevision,
      s?.appliedHash,
      s?.pendingOperation !== undefined,
    ]);
  }

  function enqueueApisOf(apiId: string, enqueue: Enqueue): void {
    for (const api of cache.list()) {
      if (api.spec.APIID.toLowerCase() === apiId.toLowerCase()) {
        enqueue(objectKey(api));
      }
    }
  }

  return makeController(ctx, {
    name: "apimapipolicy",
    workers,
    reconcile,
    primary: cache,
    watch: (enqueue) => [
      cache.subscribe(({ previous, current }) => {
        if (current && signature(previous) !== signature(current)) {
          enqueue(objectKey(current));
        }
      }),
      // An APIMInboundPolicy of the same API appearing or going decides the conflict again.
      ctx.caches.apimInboundPolicies.subscribe(({ previous, current }) => {
        const policy = current ?? previous;
        const changed = !previous || !current ||
          previous.metadata.generation !== current.metadata.generation ||
          previous.metadata.deletionTimestamp !==
            current.metadata.deletionTimestamp;
        if (policy && changed) enqueueApisOf(policy.spec.apiId, enqueue);
      }),
      ctx.caches.apimServices.subscribe(({ current }) => {
        if (!current) return;
        for (const api of cache.list()) {
          if (api.spec.apimService === current.metadata.name) {
            enqueue(objectKey(api));
          }
        }
      }),
    ],
  });
}
