// CRUD routes shared by APIM's top-level entities (products, tags): If-Match rules, ETags, 201/200, 200/204 deletes.

import type { z } from "zod";
import { entityNotFound } from "./arm_error.ts";
import { param, type RequestContext, type Route } from "./context.ts";
import { checkIfMatch, simulateConcurrentWrite } from "./etag.ts";
import {
  emptyResponse,
  entityResponse,
  jsonResponse,
  readBody,
} from "./http.ts";
import { validateId } from "./ids.ts";
import { canonicalJson, type JsonObject } from "./json.ts";
import { pagedList } from "./paging.ts";
import { nameKey, type ServiceState } from "./store.ts";

/** What every entity has. */
export interface Entity {
  name: string;
  etag: string;
}

/** Where a kind of entity lives and how it is addressed. */
export interface EntityIdentity<T extends Entity = Entity> {
  /** Name in "`{entity}` not found.". */
  entity: string;
  /** Collection segment (`products`). */
  segment: string;
  /** Route parameter (`productId`). */
  param: string;
  maxIdLength: number;
  collection(service: ServiceState): Map<string, T>;
}

/** Which answer an entity is rendered for: a GET/HEAD/PATCH, its own PUT, or a list item. */
export type EntityView = "entity" | "put" | "list";

/** How one kind of entity is stored, validated and rendered. */
export interface EntityKind<T extends Entity, PutBody, PatchBody>
  extends EntityIdentity<T> {
  render(ctx: RequestContext, entity: T, view: EntityView): JsonObject;
  putSchema: z.ZodType<PutBody>;
  patchSchema: z.ZodType<PatchBody>;
  /** The entity after a PUT (a replace); `existing` carries what PUT keeps (name, bookkeeping). */
  replace(id: string, existing: T | undefined, body: PutBody): T;
  /** The entity after a PATCH (a merge). */
  merge(existing: T, body: PatchBody): T;
  /** Refuses a DELETE (throws) or cleans up what goes with the entity. */
  beforeDelete(ctx: RequestContext, entity: T): void;
}

function idOf(
  ctx: RequestContext,
  kind: { param: string; maxIdLength: number },
): string {
  const id = param(ctx, kind.param);
  validateId(kind.param, id, kind.maxIdLength);
  return id;
}

/** Stores `next`, keeping the ETag when nothing changed and minting one otherwise. */
function store<T extends Entity>(
  ctx: RequestContext,
  map: Map<string, T>,
  previous: T | undefined,
  next: T,
): T {
  const same = previous !== undefined &&
    canonicalJson({ ...previous, etag: "" }) ===
      canonicalJson({ ...next, etag: "" });
  const stored = {
    ...next,
    etag: same ? previous.etag : ctx.runtime.etags.next(),
  };
  map.set(nameKey(stored.name), stored);
  return stored;
}

/** List, GET/HEAD, PUT, PATCH and DELETE routes for `kind`. */
export function entityRoutes<T extends Entity, PutBody, PatchBody>(
  kind: EntityKind<T, PutBody, PatchBody>,
): Route[] {
  const find = (ctx: RequestContext) =>
    kind.collection(ctx.service).get(nameKey(idOf(ctx, kind)));
  const require = (ctx: RequestContext): T => {
    const entity = find(ctx);
    if (!entity) throw entityNotFound(kind.entity);
    return entity;
  };
  const get = (ctx: RequestContext): Response => {
    const entity = require(ctx);
    const response = entityResponse(
      ctx,
      200,
      kind.render(ctx, entity, "entity"),
      entity.etag,
    );
    simulateConcurrentWrite(ctx, () => entity.etag = ctx.runtime.etags.next());
    return response;
  };
  const put = async (ctx: RequestContext): Promise<Response> => {
    const body = await readBody(ctx, kind.putSchema);
    const id = idOf(ctx, kind);
    const existing = find(ctx);
    checkIfMatch(
      "PUT",
      ctx.request.headers.get("if-match"),
      existing?.etag ?? null,
    );
    const stored = store(
      ctx,
      kind.collection(ctx.service),
      existing,
      kind.replace(id, existing, body),
    );
    return jsonResponse(
      existing ? 200 : 201,
      kind.render(ctx, stored, "put"),
      { etag: stored.etag },
    );
  };
  const patch = async (ctx: RequestContext): Promise<Response> => {
    const body = await readBody(ctx, kind.patchSchema);
    const existing = require(ctx);
    checkIfMatch("PATCH", ctx.request.headers.get("if-match"), existing.etag);
    const stored = store(
      ctx,
      kind.collection(ctx.service),
      existing,
      kind.merge(existing, body),
    );
    return jsonResponse(200, kind.render(ctx, stored, "entity"), {
      etag: stored.etag,
    });
  };
  const remove = (ctx: RequestContext): Response => {
    const entity = find(ctx);
    checkIfMatch(
      "DELETE",
      ctx.request.headers.get("if-match"),
      entity?.etag ?? null,
    );
    if (!entity) return emptyResponse(204);
    kind.beforeDelete(ctx, entity);
    kind.collection(ctx.service).delete(nameKey(entity.name));
    return emptyResponse(200);
  };
  const list = (ctx: RequestContext): Response =>
    pagedList(
      ctx,
      [...kind.collection(ctx.service).values()].map((e) =>
        kind.render(ctx, e, "list")
      ),
    );
  return [
    { pattern: [kind.segment], handlers: { GET: list } },
    {
      pattern: [kind.segment, `:${kind.param}`],
      handlers: { GET: get, HEAD: get, PUT: put, PATCH: patch, DELETE: remove },
    },
  ];
}
