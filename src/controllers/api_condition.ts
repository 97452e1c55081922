// Writes one condition of its own type on an APIMAPI (OperationIdsComplete, PolicyApplied) beside the Ready trio.
import type { ApimApi } from "../crd/apim_api.ts";
import type { Condition } from "../crd/meta.ts";
import { CONDITION_LIMITS, truncated } from "../reconcile/conditions.ts";
import type { OperatorContext } from "./operator_context.ts";
import { patchStatusRetrying } from "./status_patch.ts";

/** A condition as a controller states it; the transition time and generation are filled in. */
export type StatedCondition = Pick<
  Condition,
  "type" | "status" | "reason" | "message"
>;

/**
 * Sets `condition` (or, with `{ type, remove: true }`, drops the condition of that type), keeping
 * its lastTransitionTime while the status stays. Writes nothing when it already says the same; a
 * concurrent write of other fields is retried unless the APIMAPI's spec changed or it is deleted.
 */
export async function writeApiCondition(
  ctx: OperatorContext,
  api: ApimApi,
  condition: StatedCondition | { type: string; remove: true },
  signal: AbortSignal,
): Promise<ApimApi> {
  const previousOf = (o: ApimApi) =>
    o.status?.conditions?.find((c) => c.type === condition.type);
  const previous = previousOf(api);
  if ("remove" in condition) {
    if (!previous) return api;
  } else if (
    previous?.status === condition.status &&
    previous.reason === condition.reason &&
    previous.message === truncated(condition.message, CONDITION_LIMITS.message)
  ) return api;
  const now = new Date(ctx.clock.now()).toISOString();
  return await patchStatusRetrying(ctx.kinds.apimApis, api, (o) => {
    const others = (o.status?.conditions ?? []).filter((c) =>
      c.type !== condition.type
    );
    if ("remove" in condition) return { conditions: others };
    const before = previousOf(o);
    return {
      conditions: [...others, {
        ...condition,
        message: truncated(condition.message, CONDITION_LIMITS.message),
        observedGeneration: o.metadata.generation ?? 0,
        lastTransitionTime: before?.status === condition.status
          ? before.lastTransitionTime
          : now,
      }],
    };
  }, {
    signal,
    accept: (fresh) =>
      !fresh.metadata.deletionTimestamp &&
      fresh.metadata.generation === api.metadata.generation,
  });
}
