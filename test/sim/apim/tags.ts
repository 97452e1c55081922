// Tag routes (CRUD) and the classic tag–API association (`apis/{apiId}/tags/{tagId}`, answering with the TagContract).

import { z } from "zod";
import { entityNotFound } from "./arm_error.ts";
import {
  apiLinkRoutes,
  linkApi,
  type LinkParentKind,
  requireLinkedApi,
  requireParent,
  unlinkResponse,
} from "./api_links.ts";
import { param, type RequestContext, type Route } from "./context.ts";
import {
  type EntityIdentity,
  type EntityKind,
  entityRoutes,
} from "./entity_routes.ts";
import { boundedString, entityResponse, jsonResponse } from "./http.ts";
import type { JsonObject } from "./json.ts";
import { pagedList } from "./paging.ts";
import { nameKey, serviceResourceId, type TagState } from "./store.ts";

type TagBody = z.infer<typeof tagBodySchema>;

const tagBodySchema = z.object({
  properties: z.object({
    displayName: boundedString("displayName", 1, 160),
  }).loose(),
});

function renderTag(ctx: RequestContext, tag: TagState): JsonObject {
  return {
    id: `${serviceResourceId(ctx.service)}/tags/${tag.name}`,
    type: "Microsoft.ApiManagement/service/tags",
    name: tag.name,
    properties: { displayName: tag.displayName },
  };
}

const TAGS: EntityIdentity<TagState> = {
  entity: "Tag",
  segment: "tags",
  param: "tagId",
  maxIdLength: 80,
  collection: (service) => service.tags,
};

/** Tags as parents of API links. */
const TAG_LINKS: LinkParentKind = {
  ...TAGS,
  table: (service) => service.tagLinks,
};

/** Tags: a display name; deleting one removes its API links. */
const tagKind: EntityKind<TagState, TagBody, TagBody> = {
  ...TAGS,
  render: renderTag,
  putSchema: tagBodySchema,
  patchSchema: tagBodySchema,
  replace: (id, existing, body) => ({
    name: existing?.name ?? id,
    displayName: body.properties.displayName,
    etag: existing?.etag ?? "",
  }),
  merge: (existing, body) => ({
    ...existing,
    displayName: body.properties.displayName,
  }),
  beforeDelete: (ctx, tag) => ctx.service.tagLinks.removeParent(tag.name),
};

function requireTag(ctx: RequestContext): TagState {
  const tag = ctx.service.tags.get(nameKey(requireParent(ctx, TAG_LINKS)));
  if (!tag) throw entityNotFound("Tag");
  return tag;
}

/** `PUT apis/{a}/tags/{t}`: no body; 201 new / 200 already assigned; the body is the TagContract. */
function putApiTag(ctx: RequestContext): Response {
  const tag = requireTag(ctx);
  const api = requireLinkedApi(ctx, param(ctx, "apiId"));
  const { created } = linkApi(ctx, TAG_LINKS, tag.name, api, api.name);
  return jsonResponse(created ? 201 : 200, renderTag(ctx, tag), {
    etag: tag.etag,
  });
}

/** `GET/HEAD apis/{a}/tags/{t}`: the TagContract when assigned, 404 otherwise. */
function getApiTag(ctx: RequestContext): Response {
  const api = requireLinkedApi(ctx, param(ctx, "apiId"));
  const tag = requireTag(ctx);
  if (!ctx.service.tagLinks.get(tag.name, api.name)) {
    throw entityNotFound("Tag");
  }
  return entityResponse(ctx, 200, renderTag(ctx, tag), tag.etag);
}

function deleteApiTag(ctx: RequestContext): Response {
  const tag = requireParent(ctx, TAG_LINKS);
  return unlinkResponse(ctx, TAG_LINKS, tag, param(ctx, "apiId"));
}

function listApiTags(ctx: RequestContext): Response {
  const api = requireLinkedApi(ctx, param(ctx, "apiId"));
  const tags = ctx.service.tagLinks.parentsOf(api.name).flatMap((key) => {
    const tag = ctx.service.tags.get(key);
    return tag ? [renderTag(ctx, tag)] : [];
  });
  return pagedList(ctx, tags);
}

/** Tag routes. */
export const tagRoutes: Route[] = [
  ...entityRoutes(tagKind),
  { pattern: ["apis", ":apiId", "tags"], handlers: { GET: listApiTags } },
  {
    pattern: ["apis", ":apiId", "tags", ":tagId"],
    handlers: {
      GET: getApiTag,
      HEAD: getApiTag,
      PUT: putApiTag,
      DELETE: deleteApiTag,
    },
  },
  ...apiLinkRoutes(TAG_LINKS),
];
