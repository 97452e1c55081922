// APIMInboundPolicy controller: keeps the policy of an API or operation as its spec says, re-applies it after resets.
import type { PolicyScope } from "../azure/apim_paths.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type {
  ApimInboundPolicy,
  AppliedPolicyTarget,
} from "../crd/apim_inbound_policy.ts";
import { apimInboundPolicies } from "../crd/resources.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { findCondition, type StatusVerdict } from "../reconcile/conditions.ts";
import { policyScopeText } from "../reconcile/plan_policy.ts";
import {
  type Controller,
  type Enqueue,
  jittered,
  makeController,
  recordEvent,
} from "./controller.ts";
import { ReportedFailure } from "./failure.ts";
import {
  hasFinalizer,
  reconcileWithFinalizer,
  removeFinalizer,
} from "./finalizers.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  importInFlight,
  POLICY_WAIT_MS,
  registeringApi,
  restoreDefaultPolicy,
  syncPolicy,
} from "./policy_sync.ts";
import {
  lookupService,
  requireService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";
import type { StatusPatch } from "./status_patch.ts";
import { failureVerdict, reportVerdict } from "./verdict_status.ts";

type Policy = ApimInboundPolicy;

function isReadyNow(policy: Policy): boolean {
  return findCondition(policy.status?.conditions, "Ready")?.status === "True";
}

function scopeText(policy: Policy): string {
  return policyScopeText(policy.spec);
}

/** The scope `status.appliedTo` names (where a deletion restores the default). */
function appliedScope(applied: AppliedPolicyTarget): PolicyScope {
  return {
    api: {
      service: {
        subscriptionId: applied.subscription,
        resourceGroup: applied.resourceGroup,
        serviceName: applied.service,
      },
      apiId: applied.apiId,
    },
    ...(applied.operationName === undefined
      ? {}
      : { operationId: applied.operationName }),
  };
}

/** Whether two API ids name the same API (API Management compares ids ignoring case). */
function sameApiId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Builds the APIMInboundPolicy controller. */
export function apimInboundPolicyController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  const api = ctx.kinds.apimInboundPolicies;
  const cache = ctx.caches.apimInboundPolicies;

  const event = (
    policy: Policy,
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ) => recordEvent(ctx, apimInboundPolicies, policy, { type, reason, note });

  function report(
    policy: Policy,
    verdict: StatusVerdict,
    fields: StatusPatch,
    signal: AbortSignal,
  ): Promise<Policy> {
    // The original operator's phase and message: Created when applied, Error when stalled.
    const seed = verdict.state === "stalled"
      ? { phase: "Error", message: verdict.message }
      : {};
    return reportVerdict(
      ctx,
      { api, resource: apimInboundPolicies },
      policy,
      verdict,
      { ...fields, ...seed },
      signal,
    );
  }

  /** Why another object keeps this policy from being applied: an older policy of the same scope, or an inline one. */
  function conflict(policy: Policy, identity: string): string | undefined {
    const { apiId, operationId } = policy.spec;
    const mine = `${policy.metadata.creationTimestamp ?? ""}|${
      objectKey(policy)
    }`;
    const older = cache.list().find((other) => {
      if (
        objectKey(other) === objectKey(policy) ||
        other.metadata.deletionTimestamp ||
        !sameApiId(other.spec.apiId, apiId) ||
        (other.spec.operationId ?? "").toLowerCase() !==
          (operationId ?? "").toLowerCase()
      ) return false;
      const service = lookupService(
        ctx,
        other.metadata.namespace,
        other.spec.apimService,
      );
      return service !== undefined && serviceIdentity(service) === identity &&
        `${other.metadata.creationTimestamp ?? ""}|${objectKey(other)}` < mine;
    });
    if (older) {
      return `APIMInboundPolicy "${
        objectKey(older)
      }" already sets the policy of ${
        scopeText(policy)
      } in this API Management instance`;
    }
    const inline = operationId === undefined
      ? registeringApi(ctx, identity, apiId)
      : undefined;
    if (inline?.spec.policy && !inline.metadata.deletionTimestamp) {
      return `APIMAPI "${
        objectKey(inline)
      }" sets the policy of API "${apiId}" inline (spec.policy); remove one of the two`;
    }
    return undefined;
  }

  async function finalize(
    policy: Policy,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const applied = policy.status?.appliedTo;
    const retained = policy.spec.deletionPolicy === "Retain";
    let note = `Left the policy of ${scopeText(policy)} in API Management`;
    let reason = "Retained";
    if (!retained && applied) {
      const outcome = await restoreDefaultPolicy(ctx, appliedScope(applied));
      reason = outcome === "restored" ? "DefaultRestored" : "AlreadyGone";
      note = outcome === "restored"
        ? `Restored the default policy (<base />) of ${scopeText(policy)}`
        : `The ${
          applied.operationName === undefined ? "API" : "operation"
        } of the policy no longer exists; nothing to restore`;
    } else if (!retained) {
      reason = "NeverApplied";
      note = `The policy of ${scopeText(policy)} was never applied`;
    }
    ctx.logger.info(note, {
      controller: "apiminboundpolicy",
      namespace: policy.metadata.namespace,
      name: policy.metadata.name,
      reason,
    });
    await event(policy, "Normal", reason, note);
    await removeFinalizer(api, policy, signal);
    return DONE;
  }

  async function converge(
    policy: Policy,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const service = requireService(
      ctx,
      policy.metadata.namespace,
      policy.spec.apimService,
    );
    const identity = serviceIdentity(service);
    const blocked = conflict(policy, identity);
    if (blocked) {
      throw new ReportedFailure({
        decision: { kind: "terminal" },
        reason: "PolicyConflict",
        message: blocked,
      });
    }
    const importing = importInFlight(
      registeringApi(ctx, identity, policy.spec.apiId),
    );
    if (importing) {
      // An import keeps the API's policy: a policy in place stays Ready meanwhile.
      if (!isReadyNow(policy)) await report(policy, importing, {}, signal);
      return requeueAfter(POLICY_WAIT_MS);
    }
    const ref = serviceRef(service);
    const result = await syncPolicy(ctx, {
      service: ref,
      apiId: policy.spec.apiId,
      operationId: policy.spec.operationId,
      knownOperationName: policy.status?.operationName,
    }, { content: policy.spec.policyContent, format: policy.spec.format });
    if (!result.inSync) {
      await report(policy, result.verdict, {}, signal);
      return requeueAfter(POLICY_WAIT_MS);
    }
    const appliedTo: AppliedPolicyTarget = {
      subscription: ref.subscriptionId,
      resourceGroup: ref.resourceGroup,
      service: ref.serviceName,
      apiId: policy.spec.apiId,
      ...(result.operationName === undefined
        ? {}
        : { operationName: result.operationName }),
    };
    // Applied again for the same generation: API Management's copy was changed or reset.
    if (
      result.applied && policy.status?.appliedTo !== undefined &&
      policy.metadata.generation === policy.status.observedGeneration
    ) {
      ctx.metrics.countDriftCorrection("policy");
      await event(
        policy,
        "Normal",
        "DriftCorrected",
        `Applied the policy of ${
          scopeText(policy)
        } again: it was changed or reset in API Management (an import, a new revision, or an edit)`,
      );
    }
    await report(policy, result.verdict, {
      phase: "Created",
      message: policy.spec.operationId === undefined
        ? "APIM Inbound Policy created or updated"
        : `APIM Inbound Policy created or updated for operation ${policy.spec.operationId}`,
      appliedTo,
      ...(result.operationName === undefined
        ? {}
        : { operationName: result.operationName }),
      ...(result.applied
        ? { appliedAt: new Date(ctx.clock.now()).toISOString() }
        : {}),
    }, signal);
    return requeueAfter(jittered(ctx.settings.resyncPeriodMs, ctx.random));
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const policy = cache.get(namespace, name);
    if (!policy) return DONE;
    return await reconcileWithFinalizer(policy, {
      api,
      finalize: (p) => finalize(p, signal),
      converge: (p) => converge(p, signal),
      reportFailure: async (p, failure) =>
        void await report(p, failureVerdict(failure), {}, signal),
    }, signal);
  }

  /** Enqueues the policies of API `apiId` (any instance: the pass sorts it out). */
  function enqueuePoliciesOf(apiId: string, enqueue: Enqueue): void {
    for (const policy of cache.list()) {
      if (sameApiId(policy.spec.apiId, apiId)) enqueue(objectKey(policy));
    }
  }

  /** What in an APIMAPI says its API may have lost or changed its policies, or changed hands. */
  function apiSignature(api: ApimApi | undefined): string {
    if (!api) return "";
    const s = api.status;
    return JSON.stringify([
      api.metadata.deletionTimestamp !== undefined,
      api.spec.policy !== undefined,
      s?.importedAt,
      s?.currentRevision,
      s?.appliedHash,
      s?.pendingOperation !== undefined,
    ]);
  }

  return makeController(ctx, {
    name: "apiminboundpolicy",
    workers,
    reconcile,
    primary: cache,
    watch: (enqueue) => [
      cache.subscribe(({ previous, current }) => {
        const object = current ?? previous;
        if (!object) return;
        const specChanged = !previous || !current ||
          previous.metadata.generation !== current.metadata.generation;
        const lifecycle = current?.metadata.deletionTimestamp !== undefined ||
          hasFinalizer(current ?? object) !== hasFinalizer(previous ?? object);
        if (current && (specChanged || lifecycle)) enqueue(objectKey(current));
        // A policy that goes or changes scope may unblock a newer one of the same scope.
        if (specChanged || lifecycle) {
          enqueuePoliciesOf(object.spec.apiId, enqueue);
        }
      }),
      ctx.caches.apimServices.subscribe(({ current }) => {
        if (!current) return;
        for (const policy of cache.list()) {
          if (policy.spec.apimService === current.metadata.name) {
            enqueue(objectKey(policy));
          }
        }
      }),
      // An import, a new revision or a recreated API may have reset the policy: look again.
      ctx.caches.apimApis.subscribe(({ previous, current }) => {
        const object = current ?? previous;
        if (object && apiSignature(previous) !== apiSignature(current)) {
          enqueuePoliciesOf(object.spec.APIID, enqueue);
        }
      }),
    ],
  });
}
