// Whether an APIMAPI is registered (its current spec imported, no rollout in flight): only then may a drift check judge it.
import type { ApimApi } from "../crd/apim_api.ts";
import type { OperatorContext } from "./operator_context.ts";

/** The APIMAPI's current generation is registered and nothing about it is in progress. */
export function isRegistered(ctx: OperatorContext, api: ApimApi): boolean {
  const status = api.status;
  return status?.appliedHash !== undefined &&
    status.registeredReplicaSet?.generation === api.metadata.generation &&
    status.pendingOperation === undefined &&
    api.metadata.deletionTimestamp === undefined &&
    !ctx.caches.apimApiDeployments.get(
      api.metadata.namespace,
      api.metadata.name,
    );
}
