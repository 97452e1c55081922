// Revision listing (non-ARM summary items) and releases, which make a revision current.
//
// Recorded shapes (test/fixtures/azure-recordings): revision list items carry a relative `id`
// `/apis/{id};rev={n}/revisions/{id};rev={n}` and `apiId` `/apis/{id};rev={n}` (not ARM ids, unlike
// the 2024-05-01 spec example), newest revision first, `privateUrl` `/{path}` for the current
// revision and `/{path};rev={n}` for others, and `"nextLink": null` on the last page
// (net-ApiRevisionTests#15, #23; cli-test_apim_api_revision#2). A release PUT may name the
// revision by a relative id (`/apis/{id};rev=2`) and the answer's `apiId` is the API's full ARM id
// without `;rev=` (net-ApiRevisionTests#19, #22); list items carry no `apiId` (#18). Deleting a
// release of an API that is gone answers 204 (#26).

import { z } from "zod";
import { entityNotFound, invalidField } from "./arm_error.ts";
import { findVisible, makeCurrent, requireVisibleApi } from "./api_state.ts";
import { nowIso, param, type RequestContext, type Route } from "./context.ts";
import { checkIfMatch, simulateConcurrentWrite } from "./etag.ts";
import {
  emptyResponse,
  entityResponse,
  jsonResponse,
  readBody,
} from "./http.ts";
import {
  apiIdFromResourceId,
  parseApiAddress,
  revisionName,
  validateId,
} from "./ids.ts";
import { compact, type JsonObject } from "./json.ts";
import { assertApiNotLocked } from "./long_running.ts";
import { pagedList } from "./paging.ts";
import {
  type ApiState,
  nameKey,
  type ReleaseState,
  serviceResourceId,
  type ServiceState,
} from "./store.ts";

function apiOf(ctx: RequestContext): ApiState {
  return requireVisibleApi(ctx, parseApiAddress(param(ctx, "apiId")).root);
}

function listRevisions(ctx: RequestContext): Response {
  const api = apiOf(ctx);
  const items = [...api.revisions.values()]
    .sort((a, b) => Number(b.revision) - Number(a.revision))
    .map((r): JsonObject => {
      const isCurrent = r.revision === api.currentRevision;
      const id = revisionName(api.name, r.revision);
      return compact({
        id: `/apis/${id}/revisions/${id}`,
        apiId: `/apis/${id}`,
        apiRevision: r.revision,
        createdDateTime: r.createdAt,
        updatedDateTime: r.updatedAt,
        description: r.properties.apiRevisionDescription,
        privateUrl: isCurrent
          ? `/${r.properties.path}`
          : `/${r.properties.path};rev=${r.revision}`,
        isOnline: r.properties.isOnline,
        isCurrent,
      });
    });
  return pagedList(ctx, items, { nullNextLink: true });
}

function renderRelease(
  service: ServiceState,
  api: ApiState,
  release: ReleaseState,
  inList = false,
): JsonObject {
  const apiUrl = `${serviceResourceId(service)}/apis/${api.name}`;
  return {
    id: `${apiUrl}/releases/${release.name}`,
    type: "Microsoft.ApiManagement/service/apis/releases",
    name: release.name,
    properties: compact({
      apiId: inList ? undefined : apiUrl,
      createdDateTime: release.createdAt,
      updatedDateTime: release.updatedAt,
      notes: release.notes,
    }),
  };
}

const releasePutSchema = z.object({
  properties: z.object({
    apiId: z.string(),
    notes: z.string().nullish(),
  }).loose(),
});

const releasePatchSchema = z.object({
  properties: z.object({ notes: z.string().nullish() }).loose(),
});

function releaseId(ctx: RequestContext): string {
  const id = param(ctx, "releaseId");
  validateId("releaseId", id, 80);
  return id;
}

function requireRelease(ctx: RequestContext, api: ApiState): ReleaseState {
  const release = api.releases.get(nameKey(releaseId(ctx)));
  if (!release) throw entityNotFound("Release");
  return release;
}

/** The revision a release's `apiId` names; it must be a revision of the route's API. */
function releasedRevision(api: ApiState, apiId: string): string {
  const id = apiIdFromResourceId(apiId);
  const address = id === null ? null : parseApiAddress(id);
  const revision = address && nameKey(address.root) === nameKey(api.name)
    ? address.revision ?? api.currentRevision
    : null;
  if (revision === null || !api.revisions.has(revision)) {
    throw invalidField(
      "apiId",
      `'${apiId}' is not a revision of API '${api.name}'.`,
    );
  }
  return revision;
}

async function putRelease(ctx: RequestContext): Promise<Response> {
  const body = await readBody(ctx, releasePutSchema);
  const api = apiOf(ctx);
  const name = releaseId(ctx);
  assertApiNotLocked(ctx, api.name);
  const existing = api.releases.get(nameKey(name));
  checkIfMatch(
    "PUT",
    ctx.request.headers.get("if-match"),
    existing?.etag ?? null,
  );
  const released = releasedRevision(api, body.properties.apiId);
  makeCurrent(ctx.runtime, api, released);
  const live = api.revisions.get(released);
  const now = nowIso(ctx);
  const notes = body.properties.notes ?? undefined;
  const release: ReleaseState = {
    name: existing?.name ?? name,
    apiId: body.properties.apiId,
    ...(notes === undefined ? {} : { notes }),
    etag: ctx.runtime.etags.next(),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    wentLiveWith: {
      apiPolicy: live?.policy !== null && live?.policy !== undefined,
      operationPolicies:
        live?.operations.flatMap((o) => o.policy ? [o.name] : []) ?? [],
    },
  };
  api.releases.set(nameKey(name), release);
  return jsonResponse(
    existing ? 200 : 201,
    renderRelease(ctx.service, api, release),
    {
      etag: release.etag,
    },
  );
}

function getRelease(ctx: RequestContext): Response {
  const api = apiOf(ctx);
  const release = requireRelease(ctx, api);
  const response = entityResponse(
    ctx,
    200,
    renderRelease(ctx.service, api, release),
    release.etag,
  );
  simulateConcurrentWrite(ctx, () => release.etag = ctx.runtime.etags.next());
  return response;
}

async function patchRelease(ctx: RequestContext): Promise<Response> {
  const body = await readBody(ctx, releasePatchSchema);
  const api = apiOf(ctx);
  assertApiNotLocked(ctx, api.name);
  const release = requireRelease(ctx, api);
  checkIfMatch("PATCH", ctx.request.headers.get("if-match"), release.etag);
  if (body.properties.notes !== undefined && body.properties.notes !== null) {
    release.notes = body.properties.notes;
    release.updatedAt = nowIso(ctx);
    release.etag = ctx.runtime.etags.next();
  }
  return jsonResponse(200, renderRelease(ctx.service, api, release), {
    etag: release.etag,
  });
}

function deleteRelease(ctx: RequestContext): Response {
  const root = parseApiAddress(param(ctx, "apiId")).root;
  const api = findVisible(ctx, { root, revision: null, addressed: root })?.api;
  if (!api) return emptyResponse(204);
  assertApiNotLocked(ctx, api.name);
  const release = api.releases.get(nameKey(releaseId(ctx)));
  checkIfMatch(
    "DELETE",
    ctx.request.headers.get("if-match"),
    release?.etag ?? null,
  );
  if (!release) return emptyResponse(204);
  api.releases.delete(nameKey(release.name));
  return emptyResponse(200);
}

function listReleases(ctx: RequestContext): Response {
  const api = apiOf(ctx);
  return pagedList(
    ctx,
    [...api.releases.values()].map((r) =>
      renderRelease(ctx.service, api, r, true)
    ),
  );
}

/** Revision list and release routes. */
export const revisionRoutes: Route[] = [
  {
    pattern: ["apis", ":apiId", "revisions"],
    handlers: { GET: listRevisions },
  },
  { pattern: ["apis", ":apiId", "releases"], handlers: { GET: listReleases } },
  {
    pattern: ["apis", ":apiId", "releases", ":releaseId"],
    handlers: {
      GET: getRelease,
      HEAD: getRelease,
      PUT: putRelease,
      PATCH: patchRelease,
      DELETE: deleteRelease,
    },
  },
];
