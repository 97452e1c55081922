// One policy pass against API Management: read the API, the operation and the policy, decide, apply or restore the default.
import { getApi } from "../azure/apim_apis.ts";
import type { ApimServiceRef, PolicyScope } from "../azure/apim_paths.ts";
import {
  createOrUpdatePolicy,
  deletePolicy,
  getApiOperation,
  getPolicy,
  listApiOperations,
} from "../azure/apim_policies.ts";
import { ArmError, InvalidArmRequestError } from "../azure/arm_error.ts";
import { isInstanceGone } from "../azure/classify_arm_error.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type { ApimInboundPolicy } from "../crd/apim_inbound_policy.ts";
import type { StatusVerdict } from "../reconcile/conditions.ts";
import {
  appliedVerdict,
  decidePolicy,
  type PolicyTargetName,
  resolveOperationName,
} from "../reconcile/plan_policy.ts";
import type { PolicyDocument } from "../reconcile/policy_xml.ts";
import type { OperatorContext } from "./operator_context.ts";
import { lookupService, serviceIdentity } from "./service_lookup.ts";

/** How soon a policy waiting for its API, operation or a running import looks again. */
export const POLICY_WAIT_MS = 10_000;

/** Where a policy goes in API Management. */
export interface PolicyTarget extends PolicyTargetName {
  service: ApimServiceRef;
  /** The operation's resource name found last time (tried first). */
  knownOperationName?: string | undefined;
}

/** What a pass did. */
export interface PolicySync {
  verdict: StatusVerdict;
  /** The pass wrote the policy. */
  applied: boolean;
  /** The policy is in API Management as the spec says (applied now or already). */
  inSync: boolean;
  operationName?: string | undefined;
}

async function operationExists(
  ctx: OperatorContext,
  target: PolicyTarget,
  name: string,
): Promise<boolean> {
  try {
    const api = { service: target.service, apiId: target.apiId };
    return await getApiOperation(ctx.arm, api, name) !== undefined;
  } catch (error) {
    // An operationId API Management could never name this way (e.g. with `?`): look it up by list.
    if (error instanceof InvalidArmRequestError) return false;
    throw error;
  }
}

/** The operation's resource name: the one found last time, the operationId itself, else a list. */
async function findOperation(
  ctx: OperatorContext,
  target: PolicyTarget,
  operationId: string,
): Promise<string | null> {
  for (const name of [target.knownOperationName, operationId]) {
    if (name !== undefined && await operationExists(ctx, target, name)) {
      return name;
    }
  }
  const listed = await listApiOperations(ctx.arm, {
    service: target.service,
    apiId: target.apiId,
  });
  return resolveOperationName(operationId, listed.map((o) => o.name)) ?? null;
}

/**
 * Brings the policy of `target` to `desired`: waits (without writing) while the API or the
 * operation does not exist, writes only when API Management's copy means something else (ETag of
 * the read as If-Match). API Management's refusal (400 with the offending element) is thrown as is.
 */
export async function syncPolicy(
  ctx: OperatorContext,
  target: PolicyTarget,
  desired: PolicyDocument,
): Promise<PolicySync> {
  const api = { service: target.service, apiId: target.apiId };
  const apiExists = await getApi(ctx.arm, api) !== undefined;
  const operationName = apiExists && target.operationId !== undefined
    ? await findOperation(ctx, target, target.operationId)
    : undefined;
  const scope: PolicyScope = {
    api,
    ...(operationName ? { operationId: operationName } : {}),
  };
  const readable = apiExists &&
    (target.operationId === undefined || operationName);
  const observed = readable ? await getPolicy(ctx.arm, scope) : undefined;
  const decision = decidePolicy({
    target,
    desired,
    apiExists,
    operationName,
    observed: observed?.entity.properties.value,
  });
  const found = operationName ?? undefined;
  switch (decision.action) {
    case "wait":
      return {
        verdict: decision.verdict,
        applied: false,
        inSync: false,
        operationName: found,
      };
    case "none":
      return {
        verdict: appliedVerdict(target, false),
        applied: false,
        inSync: true,
        operationName: found,
      };
    case "apply":
      await createOrUpdatePolicy(ctx.arm, {
        scope,
        properties: { value: desired.content, format: desired.format },
        ifMatch: observed?.etag,
      });
      return {
        verdict: appliedVerdict(target, true),
        applied: true,
        inSync: true,
        operationName: found,
      };
  }
}

/**
 * Deletes the policy of `scope`, so that it falls back to `<base />`. Says `gone` when the API,
 * the operation or the whole instance no longer exists (nothing to restore).
 */
export async function restoreDefaultPolicy(
  ctx: OperatorContext,
  scope: PolicyScope,
): Promise<"restored" | "gone"> {
  try {
    await deletePolicy(ctx.arm, { scope, ifMatch: "*" });
    return "restored";
  } catch (error) {
    if (isInstanceGone(error)) return "gone";
    if (error instanceof ArmError && error.status === 404) return "gone";
    throw error;
  }
}

/**
 * The APIMInboundPolicies (not being deleted) of API `apiId` in the instance `identity`, at any scope
 * (API Management compares ids ignoring case).
 */
export function inboundPoliciesOf(
  ctx: OperatorContext,
  identity: string,
  apiId: string,
): ApimInboundPolicy[] {
  return ctx.caches.apimInboundPolicies.list().filter((policy) => {
    if (
      policy.metadata.deletionTimestamp ||
      policy.spec.apiId.toLowerCase() !== apiId.toLowerCase()
    ) return false;
    const service = lookupService(
      ctx,
      policy.metadata.namespace,
      policy.spec.apimService,
    );
    return service !== undefined && serviceIdentity(service) === identity;
  });
}

/**
 * The APIMAPI that registers `apiId` in the instance `identity`, if any (APIM compares ids ignoring
 * case); a policy of its API waits while it imports.
 */
export function registeringApi(
  ctx: OperatorContext,
  identity: string,
  apiId: string,
): ApimApi | undefined {
  return ctx.caches.apimApis.list().find((api) => {
    if (api.spec.APIID.toLowerCase() !== apiId.toLowerCase()) return false;
    const service = lookupService(
      ctx,
      api.metadata.namespace,
      api.spec.apimService,
    );
    return service !== undefined && serviceIdentity(service) === identity;
  });
}

/**
 * A wait verdict while the registration of the API has a write recorded: an import (a policy write
 * would meet a 409 from API Management), or the delete of old revisions after a release (the API
 * is locked meanwhile).
 */
export function importInFlight(
  api: ApimApi | undefined,
): StatusVerdict | undefined {
  const pending = api?.status?.pendingOperation;
  if (!api || !pending) return undefined;
  const what = pending.kind === "import"
    ? "is being imported into API Management"
    : "has a write running in API Management (old revisions pruned, or the API deleted)";
  return {
    state: "progressing",
    reason: "WaitingForImport",
    message:
      `API "${api.spec.APIID}" ${what}; the policy is checked once it is done`,
  };
}
