// Writes an APIMAPI's verdict: the condition trio, the seed's status field, observedGeneration, and an Event on change.
import type { ApimApi } from "../crd/apim_api.ts";
import { apimApis } from "../crd/resources.ts";
import {
  conditionsFor,
  findCondition,
  type StatusVerdict,
} from "../reconcile/conditions.ts";
import { involvedObject } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";
import { patchStatus, type StatusPatch } from "./status_patch.ts";

/** The seed's `status.status`: OK once registered, Error when stalled, unchanged while progressing. */
function seedStatus(verdict: StatusVerdict): { status?: string } {
  if (verdict.state === "ready") return { status: "OK" };
  if (verdict.state === "stalled") return { status: "Error" };
  return {};
}

/**
 * Patches the APIMAPI's status with `verdict` plus `fields` (guarded by its resourceVersion) and
 * records an Event when the Ready condition's status or reason changes. Returns the updated object.
 */
export async function reportApiVerdict(
  ctx: OperatorContext,
  api: ApimApi,
  verdict: StatusVerdict,
  fields: StatusPatch,
  signal: AbortSignal,
): Promise<ApimApi> {
  const before = findCondition(api.status?.conditions, "Ready");
  const conditions = conditionsFor(api.status?.conditions, verdict, {
    generation: api.metadata.generation,
    now: new Date(ctx.clock.now()).toISOString(),
  });
  const updated = await patchStatus(ctx.kinds.apimApis, api, {
    ...fields,
    ...seedStatus(verdict),
    observedGeneration: api.metadata.generation ?? null,
    conditions,
  }, signal);
  const after = findCondition(conditions, "Ready");
  if (before?.status !== after?.status || before?.reason !== after?.reason) {
    await ctx.events.record(involvedObject(apimApis, api), {
      type: verdict.state === "stalled" ? "Warning" : "Normal",
      reason: verdict.reason,
      note: verdict.message,
    });
  }
  return updated;
}
