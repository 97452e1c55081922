// PUT .../apis/{apiId}: create, update, clone (sourceApiId), new revision, and async import per api-version.
//
// 2022-08-01: an import answers 202 + Location (no body); other PUTs answer 201/200 at once.
// 2024-05-01: every PUT answers 201/200 with `provisioningState: "InProgress"` + Location +
// Azure-AsyncOperation (as in the spec examples; the `asyncPlainApiWrites` knob turns that off for
// PUTs without import). An import runs as a long-running operation: until it completes the API is
// locked (409 for writes to it and its children) and, when it is a create, invisible (404).

import { invalidField } from "./arm_error.ts";
import {
  apiContract,
  apiPutBodySchema,
  checkPathAvailable,
  mergeApiProperties,
} from "./api_properties.ts";
import {
  importDocument,
  type ImportDocumentResult,
  importRequestOf,
  type ImportText,
  importText,
} from "./api_import.ts";
import {
  findVisible,
  renderRevision,
  revisionOf,
  writeRevision,
} from "./api_state.ts";
import { param, type RequestContext } from "./context.ts";
import { checkIfMatch } from "./etag.ts";
import { emptyResponse, jsonResponse, readBody } from "./http.ts";
import {
  type ApiAddress,
  apiIdFromResourceId,
  apiPathSegment,
  parseApiAddress,
} from "./ids.ts";
import {
  assertApiNotLocked,
  type AsyncOutcome,
  operationHeaders,
  operationTiming,
} from "./long_running.ts";
import { planOperations } from "./operation_naming.ts";
import {
  type ApiProperties,
  nameKey,
  type OperationState,
  serviceResourceId,
} from "./store.ts";
import type { JsonObject } from "./json.ts";
import { checkVersioning } from "./version_sets.ts";
import type { z } from "zod";

type ApiPutProperties = z.infer<typeof apiPutBodySchema>["properties"];

/** The revision a PUT starts from: the existing one, a clone source, or nothing (create). */
interface PutBase {
  properties: ApiProperties;
  operations: OperationState[];
  policyValue?: string;
}

function sourceOf(ctx: RequestContext, sourceApiId: string): PutBase {
  const id = apiIdFromResourceId(sourceApiId);
  const found = id === null ? undefined : findVisible(ctx, parseApiAddress(id));
  if (!found) {
    throw invalidField(
      "sourceApiId",
      `Source API '${sourceApiId}' was not found.`,
    );
  }
  const { revision } = found;
  return {
    properties: structuredClone(revision.properties),
    operations: structuredClone(revision.operations),
    ...(revision.policy ? { policyValue: revision.policy.value } : {}),
  };
}

/**
 * Base of the write: the addressed revision if it exists (an import into it keeps its policy); else
 * the `sourceApiId` clone, policies included; else, for a new `;rev=n` of an existing API, the
 * current revision's properties without its operations or policy: an import straight into a new
 * revision starts from the default policy (hashicorp/terraform-provider-azurerm#28552; see
 * policies.ts).
 */
function baseOf(
  ctx: RequestContext,
  address: ApiAddress,
  props: ApiPutProperties,
): PutBase | null {
  const api = ctx.service.apis.get(nameKey(address.root));
  const existing = api && revisionOf(api, address);
  if (existing) return existing;
  if (props.sourceApiId) return sourceOf(ctx, props.sourceApiId);
  const current = api?.revisions.get(api.currentRevision);
  return current
    ? { properties: structuredClone(current.properties), operations: [] }
    : null;
}

function pendingReservations(ctx: RequestContext) {
  return ctx.runtime.operations.allRunning().flatMap((op) =>
    op.service === ctx.service && op.reserves
      ? [{ apiRoot: op.apiRoot, properties: op.reserves }]
      : []
  );
}

/** Everything decided about a PUT before it is applied. */
interface PutPlan {
  address: ApiAddress;
  revisionNo: string;
  properties: ApiProperties;
  base: PutBase | null;
  created: boolean;
  makeCurrent: boolean;
}

function planPut(
  ctx: RequestContext,
  address: ApiAddress,
  props: ApiPutProperties,
  doc: ImportDocumentResult | null,
): PutPlan {
  assertApiNotLocked(ctx, address.root);
  const api = ctx.service.apis.get(nameKey(address.root));
  const existing = api && revisionOf(api, address);
  checkIfMatch(
    "PUT",
    ctx.request.headers.get("if-match"),
    existing?.etag ?? null,
  );
  const base = baseOf(ctx, address, props);
  const properties = mergeApiProperties(
    base?.properties ?? null,
    props,
    doc?.ok ? doc.doc : null,
    doc ? address.root : null,
  );
  checkPathAvailable(
    ctx.service,
    address.root,
    properties,
    pendingReservations(ctx),
  );
  checkVersioning(ctx.service, address.root, properties);
  return {
    address,
    revisionNo: address.revision ?? api?.currentRevision ?? props.apiRevision ??
      "1",
    properties,
    base,
    created: existing === undefined,
    makeCurrent: props.isCurrent === true || api === undefined,
  };
}

function locationPath(ctx: RequestContext, plan: PutPlan): string {
  return `${serviceResourceId(ctx.service)}/apis/${
    apiPathSegment({ root: plan.address.root, revision: plan.revisionNo })
  }`;
}

/** A revision written: the final status, body and ETag. */
interface Committed {
  status: 200 | 201;
  body: JsonObject;
  etag: string;
}

function commit(
  ctx: RequestContext,
  plan: PutPlan,
  operations: OperationState[],
): Committed {
  const { service, runtime } = ctx;
  const written = writeRevision(
    runtime,
    service,
    plan.address.root,
    plan.revisionNo,
    {
      properties: plan.properties,
      operations,
      makeCurrent: plan.makeCurrent,
      ...(plan.base?.policyValue === undefined
        ? {}
        : { policyValue: plan.base.policyValue }),
    },
  );
  return {
    status: plan.created ? 201 : 200,
    body: renderRevision(
      service,
      written.api,
      written.revision,
      plan.address.addressed,
    ),
    etag: written.revision.etag,
  };
}

function inProgressBody(ctx: RequestContext, plan: PutPlan) {
  const api = ctx.service.apis.get(nameKey(plan.address.root));
  return apiContract({
    service: ctx.service,
    name: plan.address.addressed,
    revision: plan.revisionNo,
    properties: plan.properties,
    isCurrent: plan.makeCurrent || api?.currentRevision === plan.revisionNo,
    provisioningState: "InProgress",
  });
}

function startImport(
  ctx: RequestContext,
  plan: PutPlan,
  doc: ImportDocumentResult,
): Response {
  const { runtime, service } = ctx;
  const injected = runtime.importFailures.shift();
  const finish = (): AsyncOutcome => {
    if (injected) return { ok: false, error: injected };
    if (!doc.ok) return doc;
    const current = service.apis.get(nameKey(plan.address.root))?.revisions.get(
      plan.revisionNo,
    );
    const planned = planOperations(
      current?.operations ?? plan.base?.operations ?? [],
      doc.doc.operations,
    );
    return planned.ok
      ? { ok: true, ...commit(ctx, plan, planned.operations) }
      : planned;
  };
  const op = runtime.operations.start({
    service,
    apiRoot: plan.address.root,
    locationPath: locationPath(ctx, plan),
    apiVersion: ctx.apiVersion,
    asyncCode: plan.created ? 201 : 200,
    finish,
    reserves: plan.properties,
    ...operationTiming(runtime.knobs),
  });
  const headers = operationHeaders(ctx, op);
  if (ctx.apiVersion === "2022-08-01") return emptyResponse(202, headers);
  return jsonResponse(op.asyncCode, inProgressBody(ctx, plan), headers);
}

function writeNow(ctx: RequestContext, plan: PutPlan): Response {
  const done = commit(ctx, plan, plan.base?.operations ?? []);
  const { status, body, etag } = done;
  if (
    ctx.apiVersion === "2022-08-01" || !ctx.runtime.knobs.asyncPlainApiWrites
  ) {
    return jsonResponse(status, body, { etag });
  }
  const op = ctx.runtime.operations.finished({
    service: ctx.service,
    apiRoot: plan.address.root,
    locationPath: locationPath(ctx, plan),
    apiVersion: ctx.apiVersion,
    asyncCode: plan.created ? 201 : 200,
    finish: () => ({ ok: true, ...done }),
    ...operationTiming(ctx.runtime.knobs),
  });
  return jsonResponse(status, inProgressBody(ctx, plan), {
    ...operationHeaders(ctx, op),
    etag,
  });
}

/** `PUT .../apis/{apiId}`. */
export async function putApi(ctx: RequestContext): Promise<Response> {
  const address = parseApiAddress(param(ctx, "apiId"));
  const body = await readBody(ctx, apiPutBodySchema);
  const props = body.properties;
  const request = importRequestOf(props);
  const text: ImportText | null = request
    ? await importText(ctx, request)
    : null;
  ctx.runtime.operations.settleDue();
  const doc = request && text ? importDocument(request, text) : null;
  const plan = planPut(ctx, address, props, doc);
  return doc ? startImport(ctx, plan, doc) : writeNow(ctx, plan);
}
