// Changes made in API Management "in the portal": an API, one of its links or revisions deleted, or its settings edited.
import type { PortalChange } from "../schedule/actions.ts";
import {
  currentApiId,
  DONE,
  type ExecContext,
  skipped,
  type StepResult,
} from "./context.ts";

/** Runs one portal change against the simulated instance. */
export async function runPortalChange(
  ctx: ExecContext,
  change: PortalChange,
): Promise<StepResult> {
  const service = ctx.world.service;
  const apiId = await currentApiId(ctx, change.app);
  const api = service.api(apiId);
  if (!api) return skipped(`API ${apiId} is not in API Management`);
  // The portal writes through ARM: while an operation on the API runs or settles, APIM refuses
  // them with 409 PessimisticConcurrencyConflict (apiops-cli#252), as it refuses the operator's.
  if (service.isApiLocked(apiId)) {
    return skipped(`API ${apiId} is locked by a running operation (409)`);
  }
  ctx.ledger.mark("portal", apiId);
  switch (change.kind) {
    case "portalDeleteApi":
      service.deleteApi(apiId);
      return DONE;
    case "portalEditApi": {
      const current = service.currentRevision(apiId)?.properties;
      if (!current) return skipped("no current revision");
      service.updateApi(
        apiId,
        change.field === "serviceUrl"
          ? { serviceUrl: "https://portal-edit.example.com/backend" }
          : change.field === "path"
          ? { path: `${current.path}-portal` }
          : { subscriptionRequired: !current.subscriptionRequired },
      );
      return DONE;
    }
    case "portalUnlink": {
      const [id] = change.entity === "product" ? api.productIds : api.tagIds;
      if (id === undefined) return skipped(`no ${change.entity} link`);
      if (change.entity === "product") service.unlinkProduct(id, api.name);
      else service.unlinkTag(id, api.name);
      return { outcome: "ok", note: `${change.entity} ${id}` };
    }
    case "portalDeleteRevision": {
      const old = api.revisions.find((r) => !r.isCurrent);
      if (!old) return skipped("no revision besides the current one");
      service.deleteRevision(apiId, old.revision);
      return { outcome: "ok", note: `revision ${old.revision}` };
    }
  }
}
