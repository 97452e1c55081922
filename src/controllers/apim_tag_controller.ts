// APIMTag controller: keeps a tag in API Management as its spec says (create, update, delete).
import type { TagProperties } from "../azure/apim_schemas.ts";
import { createOrUpdateTag, deleteTag, getTag } from "../azure/apim_tags.ts";
import { type ApimTag, tagIdOf } from "../crd/apim_tag.ts";
import { apimTags } from "../crd/resources.ts";
import { tagProperties } from "../reconcile/plan_entity.ts";
import { apimEntityController } from "./apim_entity_controller.ts";
import type { Controller } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";

/** Builds the APIMTag controller. */
export function apimTagController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  return apimEntityController<ApimTag, TagProperties>(ctx, {
    name: "apimtag",
    noun: "Tag",
    resource: apimTags,
    api: (c) => c.kinds.apimTags,
    cache: (c) => c.caches.apimTags,
    idOf: (tag) => tagIdOf(tag.spec),
    desired: (tag) => tagProperties(tag.spec),
    get: (c, service, tagId) => getTag(c.arm, { service, tagId }),
    put: (c, service, tagId, properties, ifMatch) =>
      createOrUpdateTag(c.arm, {
        tag: { service, tagId },
        properties,
        ...(ifMatch === undefined ? {} : { ifMatch }),
      }),
    remove: (c, service, tagId) =>
      deleteTag(c.arm, { tag: { service, tagId }, ifMatch: "*" }),
    statusFields: (_tag, tagId, entity) => ({
      tagId,
      etag: entity.etag ?? null,
      phase: "Created",
      message: `Tag "${tagId}" is in sync`,
    }),
  }, workers);
}
