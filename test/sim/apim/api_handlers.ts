// Routes for APIs: list, GET/HEAD (and Location polls), PUT (api_put.ts), PATCH, DELETE with revisions.
//
// The API list is ordered by display name, case-insensitively (net-ApiTests#17, #18: `$top=1`
// pages of three APIs come back as "apiname8632", "Echo API", ...).

import { type ArmError, validationFailure } from "./arm_error.ts";
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
import { nonCurrentRevisionChange } from "./revision_lock.ts";
import {
  type ApiState,
  type RevisionState,
  serviceResourceId,
} from "./store.ts";
import { versionFieldsError, versionTaken } from "./version_sets.ts";

function listApis(ctx: RequestContext): Response {
  const now = ctx.runtime.clock.now();
  const as = { view: "list", apiVersion: ctx.apiVersion } as const;
  const items = [...ctx.service.apis.values()]
    .filter((api) => api.visibleAt <= now)
    .flatMap((api) => {
      const current = api.revisions.get(api.currentRevision);
      return current ? [{ api, current }] : [];
    })
    .sort((a, b) =>
      a.current.properties.displayName.toLowerCase().localeCompare(
        b.current.properties.displayName.toLowerCase(),
      )
    )
    .map(({ api, current }) =>
      renderRevision(ctx.service, api, current, api.name, as)
    );
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
    renderRevision(ctx.service, ref.api, ref.revision, address.addressed, {
      view: "entity",
      apiVersion: ctx.apiVersion,
    }),
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
  checkPathAvailable(ctx.service, ref.api.name, properties);
  const versioning = versionFieldsError(ctx.service, properties) ??
    versionTaken(ctx.service, ref.api.name, properties);
  if (versioning) throw versioning;
  const locked = body.properties.isCurrent === true
    ? null
    : nonCurrentRevisionChange(ref.api, ref.revision.revision, properties);
  if (locked) throw locked;
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
      { view: "entity", apiVersion: ctx.apiVersion },
    ),
    { etag: written.revision.etag },
  );
}

/** What a DELETE does: remove the API or one revision, or the error APIM answers instead. */
type DeletePlan = { ok: true; all: boolean; apply: () => void } | {
  ok: false;
  error: ArmError;
};

/**
 * The whole API goes with `deleteRevisions=true`, when it has one revision, or (knob
 * `deleteCurrentRevisionWithOthers: "deleteAll"`) when the current revision is addressed;
 * otherwise deleting the current revision while others exist fails with "Cannot delete the
 * current revision of an API." (Azure/apiops#184: a 400 ValidationError with `details: null`).
 */
function planDelete(
  ctx: RequestContext,
  api: ApiState,
  revision: RevisionState,
): DeletePlan {
  const isCurrent = api.currentRevision === revision.revision;
  const all =
    ctx.url.searchParams.get("deleteRevisions")?.toLowerCase() === "true" ||
    api.revisions.size === 1 ||
    (isCurrent &&
      ctx.runtime.knobs.deleteCurrentRevisionWithOthers === "deleteAll");
  if (isCurrent && !all) {
    return {
      ok: false,
      error: validationFailure("Cannot delete the current revision of an API."),
    };
  }
  return {
    ok: true,
    all,
    apply: () => {
      if (all) removeApi(ctx.service, api.name);
      else api.revisions.delete(revision.revision);
    },
  };
}

/**
 * DELETE of an API or one revision (If-Match optional: etag.ts). 2022-08-01 answers 200 (204
 * when absent), synchronously (aso-…578500a#138). 2024-05-01 answers 202 + Location
 * (`asyncCode=204`) + Azure-AsyncOperation (aso-…20240501#77, #82), the API locked meanwhile;
 * a refused delete then fails when polled (Azure/apiops-cli#260: "Async operation failed ...
 * Cannot delete the current revision of an API."). The `asyncDelete` knob off answers 204 at once.
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
  const plan = planDelete(ctx, ref.api, ref.revision);
  if (ctx.apiVersion === "2024-05-01" && ctx.runtime.knobs.asyncDelete) {
    const injected = ctx.runtime.deleteFailures.shift();
    const op = ctx.runtime.operations.start({
      service: ctx.service,
      apiRoot: ref.api.name,
      locationPath: `${serviceResourceId(ctx.service)}/apis/${
        apiPathSegment(address)
      }`,
      apiVersion: ctx.apiVersion,
      asyncCode: 204,
      finish: () => {
        if (injected) return { ok: false, error: injected };
        if (!plan.ok) return plan;
        plan.apply();
        return { ok: true, status: 204, body: null, etag: null };
      },
      label: {
        kind: "delete",
        ...(plan.ok && plan.all ? {} : { revision: ref.revision.revision }),
      },
      ...operationTiming(ctx.runtime.knobs),
    });
    return emptyResponse(202, operationHeaders(ctx, op));
  }
  if (!plan.ok) throw plan.error;
  plan.apply();
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
