// Routes for APIs: list, GET/HEAD (and Location polls), PUT (api_put.ts), PATCH, DELETE with revisions.

import { validationFailure } from "./arm_error.ts";
import {
  apiPatchBodySchema,
  checkPathAvailable,
  mergeApiProperties,
} from "./api_properties.ts";
import { putApi } from "./api_put.ts";
import {
  bumpRevisionEtag,
  findVisible,
  removeApi,
  renderRevision,
  requireVisible,
  writeRevision,
} from "./api_state.ts";
import { param, type RequestContext, type Route } from "./context.ts";
import { checkIfMatch, simulateConcurrentWrite } from "./etag.ts";
import {
  emptyResponse,
  entityResponse,
  jsonResponse,
  readBody,
} from "./http.ts";
import { apiPathSegment, parseApiAddress } from "./ids.ts";
import {
  answerLocationPoll,
  assertApiNotLocked,
  operationHeaders,
  operationTiming,
} from "./long_running.ts";
import { pagedList } from "./paging.ts";
import { serviceResourceId } from "./store.ts";
import { checkVersioning } from "./version_sets.ts";

function listApis(ctx: RequestContext): Response {
  const now = ctx.runtime.clock.now();
  const items = [...ctx.service.apis.values()]
    .filter((api) => api.visibleAt <= now)
    .flatMap((api) => {
      const current = api.revisions.get(api.currentRevision);
      return current
        ? [renderRevision(ctx.service, api, current, api.name)]
        : [];
    });
  return pagedList(ctx, items);
}

/** GET/HEAD of an API; with `asyncId` it is a poll of the Location URL of an operation. */
function getApi(ctx: RequestContext): Response {
  const address = parseApiAddress(param(ctx, "apiId"));
  const asyncId = ctx.url.searchParams.get("asyncId");
  const op = asyncId === null ? undefined : ctx.runtime.operations.get(asyncId);
  if (op && op.service === ctx.service && ctx.method === "GET") {
    return answerLocationPoll(ctx, op);
  }
  const ref = requireVisible(ctx, address);
  const response = entityResponse(
    ctx,
    200,
    renderRevision(ctx.service, ref.api, ref.revision, address.addressed),
    ref.revision.etag,
  );
  simulateConcurrentWrite(ctx, () => bumpRevisionEtag(ctx.runtime, ref));
  return response;
}

async function patchApi(ctx: RequestContext): Promise<Response> {
  const address = parseApiAddress(param(ctx, "apiId"));
  const body = await readBody(ctx, apiPatchBodySchema);
  assertApiNotLocked(ctx, address.root);
  const ref = requireVisible(ctx, address);
  checkIfMatch("PATCH", ctx.request.headers.get("if-match"), ref.revision.etag);
  const properties = mergeApiProperties(
    ref.revision.properties,
    body.properties,
    null,
    null,
  );
  checkPathAvailable(ctx.service, ref.api.name, properties, []);
  checkVersioning(ctx.service, ref.api.name, properties);
  const written = writeRevision(
    ctx.runtime,
    ctx.service,
    ref.api.name,
    ref.revision.revision,
    {
      properties,
      operations: ref.revision.operations,
      makeCurrent: body.properties.isCurrent === true,
    },
  );
  return jsonResponse(
    200,
    renderRevision(
      ctx.service,
      written.api,
      written.revision,
      address.addressed,
    ),
    { etag: written.revision.etag },
  );
}

/**
 * DELETE of an API or one revision. The whole API goes with `deleteRevisions=true`, when it has one
 * revision, or (knob `deleteCurrentRevisionWithOthers: "deleteAll"`) when the current revision is
 * addressed; otherwise deleting the current revision while others exist is rejected.
 * 2022-08-01 answers 200 (204 when absent); 2024-05-01 answers 204, or 202 + Location with `asyncDelete`.
 */
function deleteApi(ctx: RequestContext): Response {
  const address = parseApiAddress(param(ctx, "apiId"));
  assertApiNotLocked(ctx, address.root);
  const ref = findVisible(ctx, address);
  checkIfMatch(
    "DELETE",
    ctx.request.headers.get("if-match"),
    ref?.revision.etag ?? null,
  );
  if (!ref) return emptyResponse(204);
  const { api, revision } = ref;
  const isCurrent = api.currentRevision === revision.revision;
  const all =
    ctx.url.searchParams.get("deleteRevisions")?.toLowerCase() === "true" ||
    api.revisions.size === 1 ||
    (isCurrent &&
      ctx.runtime.knobs.deleteCurrentRevisionWithOthers === "deleteAll");
  if (isCurrent && !all) {
    throw validationFailure(
      `Cannot delete the current revision of API '${api.name}' while other revisions exist. Delete the other revisions first, or set deleteRevisions=true.`,
    );
  }
  const apply = () => {
    if (all) removeApi(ctx.service, api.name);
    else api.revisions.delete(revision.revision);
  };
  if (ctx.apiVersion === "2024-05-01" && ctx.runtime.knobs.asyncDelete) {
    const op = ctx.runtime.operations.start({
      service: ctx.service,
      apiRoot: api.name,
      locationPath: `${serviceResourceId(ctx.service)}/apis/${
        apiPathSegment(address)
      }`,
      apiVersion: ctx.apiVersion,
      asyncCode: 204,
      finish: () => {
        apply();
        return { ok: true, status: 204, body: null, etag: null };
      },
      ...operationTiming(ctx.runtime.knobs),
    });
    return emptyResponse(202, operationHeaders(ctx, op));
  }
  apply();
  return emptyResponse(ctx.apiVersion === "2022-08-01" ? 200 : 204);
}

/** The collection and entity routes of APIs. */
export const apiRoutes: Route[] = [
  { pattern: ["apis"], handlers: { GET: listApis } },
  {
    pattern: ["apis", ":apiId"],
    handlers: {
      GET: getApi,
      HEAD: getApi,
      PUT: putApi,
      PATCH: patchApi,
      DELETE: deleteApi,
    },
  },
];
