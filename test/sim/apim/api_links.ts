// Product–API and tag–API associations: shared link/unlink rules and the 2024-05-01 `apiLinks` resources of both.

import { z } from "zod";
import { entityNotFound, invalidField } from "./arm_error.ts";
import { requireVisibleApi } from "./api_state.ts";
import { param, type RequestContext, type Route } from "./context.ts";
import {
  emptyResponse,
  entityResponse,
  jsonResponse,
  readBody,
} from "./http.ts";
import { apiIdFromResourceId, parseApiAddress, validateId } from "./ids.ts";
import type { JsonObject } from "./json.ts";
import type { EntityIdentity } from "./entity_routes.ts";
import { assertApiNotLocked } from "./long_running.ts";
import { pagedList } from "./paging.ts";
import {
  type ApiState,
  type LinkState,
  type LinkTable,
  nameKey,
  serviceResourceId,
  type ServiceState,
} from "./store.ts";

/** A kind of entity APIs are linked to (products, tags). */
export interface LinkParentKind extends EntityIdentity {
  table(service: ServiceState): LinkTable;
}

/** The parent named by the route, or 404 "`{entity}` not found.". */
export function requireParent(
  ctx: RequestContext,
  kind: LinkParentKind,
): string {
  const id = param(ctx, kind.param);
  validateId(kind.param, id, kind.maxIdLength);
  const parent = kind.collection(ctx.service).get(nameKey(id));
  if (!parent) throw entityNotFound(kind.entity);
  return parent.name;
}

/** The API named by `apiId` (revision suffix ignored), or 404 "Api not found.". */
export function requireLinkedApi(ctx: RequestContext, apiId: string): ApiState {
  return requireVisibleApi(ctx, parseApiAddress(apiId).root);
}

/**
 * Links an API to a parent. A write to a child of the API: 409 while an import of it runs.
 * `created` is false when the association already existed.
 */
export function linkApi(
  ctx: RequestContext,
  kind: LinkParentKind,
  parent: string,
  api: ApiState,
  linkName: string,
): { link: LinkState; created: boolean } {
  assertApiNotLocked(ctx, api.name);
  return kind.table(ctx.service).link(
    parent,
    api.name,
    linkName,
    ctx.runtime.etags.next(),
  );
}

/** Removes an association; 200 when it existed, 204 otherwise. */
export function unlinkResponse(
  ctx: RequestContext,
  kind: LinkParentKind,
  parent: string,
  apiName: string,
): Response {
  const api = ctx.service.apis.get(nameKey(apiName));
  if (api) assertApiNotLocked(ctx, api.name);
  return emptyResponse(
    kind.table(ctx.service).unlink(parent, apiName) ? 200 : 204,
  );
}

function renderApiLink(
  ctx: RequestContext,
  kind: LinkParentKind,
  parent: string,
  link: LinkState,
): JsonObject {
  return {
    id: `${
      serviceResourceId(ctx.service)
    }/${kind.segment}/${parent}/apiLinks/${link.linkName}`,
    type: `Microsoft.ApiManagement/service/${kind.segment}/apiLinks`,
    name: link.linkName,
    properties: {
      apiId: `${serviceResourceId(ctx.service)}/apis/${link.apiName}`,
    },
  };
}

const apiLinkBodySchema = z.object({
  properties: z.object({ apiId: z.string() }).loose(),
});

function linkId(ctx: RequestContext): string {
  const id = param(ctx, "apiLinkId");
  validateId("apiLinkId", id, 80);
  return id;
}

/** `{parent}/{id}/apiLinks` and `{parent}/{id}/apiLinks/{apiLinkId}` (2024-05-01). */
export function apiLinkRoutes(kind: LinkParentKind): Route[] {
  const put = async (ctx: RequestContext): Promise<Response> => {
    const body = await readBody(ctx, apiLinkBodySchema);
    const parent = requireParent(ctx, kind);
    const apiId = apiIdFromResourceId(body.properties.apiId);
    if (apiId === null) {
      throw invalidField(
        "apiId",
        `'${body.properties.apiId}' is not an API resource id.`,
      );
    }
    const api = requireLinkedApi(ctx, apiId);
    const { link, created } = linkApi(ctx, kind, parent, api, linkId(ctx));
    return jsonResponse(
      created ? 201 : 200,
      renderApiLink(ctx, kind, parent, link),
      {
        etag: link.etag,
      },
    );
  };
  const found = (ctx: RequestContext) => {
    const parent = requireParent(ctx, kind);
    return {
      parent,
      link: kind.table(ctx.service).byLinkName(parent, linkId(ctx)),
    };
  };
  const get = (ctx: RequestContext): Response => {
    const { parent, link } = found(ctx);
    if (!link) throw entityNotFound("ApiLink");
    return entityResponse(
      ctx,
      200,
      renderApiLink(ctx, kind, parent, link),
      link.etag,
    );
  };
  const remove = (ctx: RequestContext): Response => {
    const { parent, link } = found(ctx);
    return link
      ? unlinkResponse(ctx, kind, parent, link.apiName)
      : emptyResponse(204);
  };
  const list = (ctx: RequestContext): Response => {
    const parent = requireParent(ctx, kind);
    return pagedList(
      ctx,
      kind.table(ctx.service).of(parent).map((l) =>
        renderApiLink(ctx, kind, parent, l)
      ),
    );
  };
  return [
    {
      pattern: [kind.segment, `:${kind.param}`, "apiLinks"],
      handlers: { GET: list },
      since: "2024-05-01",
    },
    {
      pattern: [kind.segment, `:${kind.param}`, "apiLinks", ":apiLinkId"],
      handlers: { GET: get, HEAD: get, PUT: put, DELETE: remove },
      since: "2024-05-01",
    },
  ];
}
