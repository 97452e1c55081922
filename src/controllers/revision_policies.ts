// Puts the policies kept on an API onto its new revision before the release, so that it goes live with them.
//
// A revision imported straight into `{id};rev=n` starts with the default policy, at API and at
// operation scope (hashicorp/terraform-provider-azurerm#28552); policies can be written to a
// revision that is not current (hashicorp/terraform-provider-azurerm#30428, through the ARM API).
// The policies carried are the ones their controllers hold as applied: an APIMInboundPolicy of the
// API that is Ready, and the APIMAPI's inline spec.policy when its PolicyApplied condition is True.
// Their controllers wait while the registration's import is recorded, and find them in sync after.
import { ArmError } from "../azure/arm_error.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type { ApimService } from "../crd/apim_service.ts";
import type { Logger } from "../log.ts";
import { findCondition } from "../reconcile/conditions.ts";
import type { PolicyDocument } from "../reconcile/policy_xml.ts";
import { POLICY_CONDITION } from "./apim_api_policy_controller.ts";
import type { OperatorContext } from "./operator_context.ts";
import { inboundPoliciesOf, syncPolicy } from "./policy_sync.ts";
import { serviceIdentity, serviceRef } from "./service_lookup.ts";

/** A policy kept on the API: where (operation scope or not) and what. */
interface KeptPolicy {
  operationId?: string | undefined;
  knownOperationName?: string | undefined;
  desired: PolicyDocument;
}

function keptPolicies(
  ctx: OperatorContext,
  api: ApimApi,
  service: ApimService,
): KeptPolicy[] {
  const resources = inboundPoliciesOf(
    ctx,
    serviceIdentity(service),
    api.spec.APIID,
  ).filter((policy) =>
    findCondition(policy.status?.conditions, "Ready")?.status === "True"
  ).map((policy) => ({
    operationId: policy.spec.operationId,
    knownOperationName: policy.status?.operationName,
    desired: { content: policy.spec.policyContent, format: policy.spec.format },
  }));
  const inline = api.spec.policy;
  const inlineApplied =
    findCondition(api.status?.conditions, POLICY_CONDITION)?.status === "True";
  return inline && inlineApplied
    ? [...resources, {
      desired: { content: inline.policyContent, format: inline.format },
    }]
    : resources;
}

/**
 * Writes the policies kept on `api` to its revision `revision` (skipping those already there and
 * operations the new document no longer has). A policy API Management refuses (400) is left to its
 * own controller, which reports it; other errors (the API still locked, throttling) are thrown and
 * the pass is tried again.
 */
export async function carryPolicies(
  ctx: OperatorContext,
  target: {
    api: ApimApi;
    service: ApimService;
    revision: string;
    logger: Logger;
  },
): Promise<void> {
  const { api, service, revision, logger } = target;
  for (const kept of keptPolicies(ctx, api, service)) {
    try {
      await syncPolicy(ctx, {
        service: serviceRef(service),
        apiId: `${api.spec.APIID};rev=${revision}`,
        operationId: kept.operationId,
        knownOperationName: kept.knownOperationName,
      }, kept.desired);
    } catch (error) {
      if (!(error instanceof ArmError) || error.status !== 400) throw error;
      logger.warn("A policy was not carried to the new revision", {
        revision,
        operationId: kept.operationId ?? "",
        error: error.message,
      });
    }
  }
}
