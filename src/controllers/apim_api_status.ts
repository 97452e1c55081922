// Writes an APIMAPI's verdict, with the seed's `status.status` field (OK / Error) kept in step.
import type { ApimApi } from "../crd/apim_api.ts";
import { apimApis } from "../crd/resources.ts";
import type { StatusVerdict } from "../reconcile/conditions.ts";
import type { OperatorContext } from "./operator_context.ts";
import type { StatusPatch } from "./status_patch.ts";
import { reportVerdict } from "./verdict_status.ts";

/** The seed's `status.status`: OK once registered, Error when stalled, unchanged while progressing. */
function seedStatus(verdict: StatusVerdict): { status?: string } {
  if (verdict.state === "ready") return { status: "OK" };
  if (verdict.state === "stalled") return { status: "Error" };
  return {};
}

/** {@linkcode reportVerdict} for an APIMAPI. */
export async function reportApiVerdict(
  ctx: OperatorContext,
  api: ApimApi,
  verdict: StatusVerdict,
  fields: StatusPatch,
  signal: AbortSignal,
  accept?: (fresh: ApimApi) => boolean,
): Promise<ApimApi> {
  return await reportVerdict(
    ctx,
    { api: ctx.kinds.apimApis, resource: apimApis },
    api,
    verdict,
    { ...fields, ...seedStatus(verdict) },
    signal,
    accept,
  );
}
