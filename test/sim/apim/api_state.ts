// Reading and changing APIs in a service: visibility, revision lookup, writes with ETags, current revision, removal.

import { entityNotFound } from "./arm_error.ts";
import type { ApimRuntime, RequestContext } from "./context.ts";
import type { ApiAddress } from "./ids.ts";
import { canonicalJson, type JsonObject } from "./json.ts";
import { apiContract, type RenderAs } from "./api_contract.ts";
import { dropEmptyVersionSets } from "./version_sets.ts";
import {
  type ApiProperties,
  type ApiState,
  nameKey,
  type OperationState,
  type RevisionState,
  type ServiceState,
} from "./store.ts";

/** An API and the revision a request addresses. */
export interface ApiRevisionRef {
  api: ApiState;
  revision: RevisionState;
}

/** The revision `address` names (the current one without `;rev=`). */
export function revisionOf(
  api: ApiState,
  address: ApiAddress,
): RevisionState | undefined {
  return api.revisions.get(address.revision ?? api.currentRevision);
}

/** The API and revision when they exist and are visible to readers (after any read-after-write lag). */
export function findVisible(
  ctx: RequestContext,
  address: ApiAddress,
): ApiRevisionRef | undefined {
  const api = ctx.service.apis.get(nameKey(address.root));
  if (!api || api.visibleAt > ctx.runtime.clock.now()) return undefined;
  const revision = revisionOf(api, address);
  return revision ? { api, revision } : undefined;
}

/** Like {@linkcode findVisible}, or 404 "Api not found.". */
export function requireVisible(
  ctx: RequestContext,
  address: ApiAddress,
): ApiRevisionRef {
  const found = findVisible(ctx, address);
  if (!found) throw entityNotFound("Api");
  return found;
}

/** The visible API (any revision) by id, or 404 "Api not found.". */
export function requireVisibleApi(ctx: RequestContext, root: string): ApiState {
  return requireVisible(ctx, { root, revision: null, addressed: root }).api;
}

/** The ApiContract of `revision` under the name it was addressed by, in the view `as`. */
export function renderRevision(
  service: ServiceState,
  api: ApiState,
  revision: RevisionState,
  name: string,
  as: RenderAs,
  overrides: { id?: string; type?: string } = {},
): JsonObject {
  return apiContract({
    service,
    name,
    revision: revision.revision,
    properties: revision.properties,
    isCurrent: api.currentRevision === revision.revision,
    updatedAt: revision.updatedAt,
    ...overrides,
  }, as);
}

/** Makes `revisionNo` the current revision; both revisions get new ETags (their isCurrent changed). */
export function makeCurrent(
  runtime: ApimRuntime,
  api: ApiState,
  revisionNo: string,
): void {
  if (api.currentRevision === revisionNo) return;
  const before = api.revisions.get(api.currentRevision);
  const after = api.revisions.get(revisionNo);
  if (!after) return;
  const now = new Date(runtime.clock.now()).toISOString();
  for (const r of [before, after]) {
    if (!r) continue;
    r.etag = runtime.etags.next();
    r.updatedAt = now;
  }
  api.currentRevision = revisionNo;
}

/** What a write sets on one revision. */
export interface RevisionWrite {
  properties: ApiProperties;
  operations: OperationState[];
  /** Make this revision current. */
  makeCurrent: boolean;
  /** Policy to start a new revision with (clone). */
  policyValue?: string;
}

/** Outcome of {@linkcode writeRevision}. */
export interface RevisionWriteResult extends ApiRevisionRef {
  created: boolean;
}

/**
 * Creates or updates revision `revisionNo` of API `root`. A new API starts with it as current and
 * becomes visible after the read-after-write lag. The ETag changes only when something changed.
 */
export function writeRevision(
  runtime: ApimRuntime,
  service: ServiceState,
  root: string,
  revisionNo: string,
  write: RevisionWrite,
): RevisionWriteResult {
  const now = runtime.clock.now();
  const iso = new Date(now).toISOString();
  let api = service.apis.get(nameKey(root));
  if (!api) {
    api = {
      name: root,
      revisions: new Map(),
      currentRevision: revisionNo,
      releases: new Map(),
      visibleAt: now + runtime.knobs.readAfterWriteLagMs,
    };
    service.apis.set(nameKey(root), api);
  }
  let revision = api.revisions.get(revisionNo);
  const created = revision === undefined;
  if (!revision) {
    revision = {
      revision: revisionNo,
      properties: write.properties,
      operations: write.operations,
      policy: write.policyValue === undefined
        ? null
        : { value: write.policyValue, etag: runtime.etags.next() },
      etag: runtime.etags.next(),
      createdAt: iso,
      updatedAt: iso,
    };
    api.revisions.set(revisionNo, revision);
  } else if (
    canonicalJson([revision.properties, revision.operations]) !==
      canonicalJson([write.properties, write.operations])
  ) {
    revision.properties = write.properties;
    revision.operations = write.operations;
    revision.etag = runtime.etags.next();
    revision.updatedAt = iso;
  }
  if (write.makeCurrent) makeCurrent(runtime, api, revisionNo);
  return { api, revision, created };
}

/**
 * Deletes an API with all revisions, releases, policies and its product and tag links; a version
 * set left without APIs goes too (see version_sets.ts).
 */
export function removeApi(service: ServiceState, root: string): boolean {
  const api = service.apis.get(nameKey(root));
  if (!api) return false;
  service.apis.delete(nameKey(root));
  service.productLinks.removeApi(api.name);
  service.tagLinks.removeApi(api.name);
  dropEmptyVersionSets(
    service,
    [...api.revisions.values()].flatMap((r) =>
      r.properties.apiVersionSetId === undefined
        ? []
        : [r.properties.apiVersionSetId]
    ),
  );
  return true;
}

/** Gives the addressed revision (or the API) a new ETag, as a concurrent portal write would. */
export function bumpRevisionEtag(
  runtime: ApimRuntime,
  ref: ApiRevisionRef,
): void {
  ref.revision.etag = runtime.etags.next();
  ref.revision.updatedAt = new Date(runtime.clock.now()).toISOString();
}
