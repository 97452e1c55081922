// PUT .../apis/{apiId}: create, update, clone (sourceApiId), new revision, and async import per api-version.
//
// Answers (test/fixtures/azure-recordings):
// - a PUT without import is synchronous at every api-version: 201/200 + ETag + body
//   (net-ApiTests#5; cli-test_apim_api_revision#0; aso-…578500a#119; aso-…20240501#57, #71); the
//   `asyncPlainApiWrites` knob answers them in the spec examples' LRO shape instead;
// - an import at 2022-08-01 (and older) answers 202 + Location only (net-ApiRevisionTests#2);
//   at 2024-05-01 201/200 with `provisioningState: "InProgress"` + Location + Azure-AsyncOperation
//   (spec examples; the same shape recorded for other APIM children, aso-…20240501#12). Until the
//   import ends the API is locked (409) and, when it is a create, invisible (404); its result or
//   its error (400 ValidationError: unreadable document, duplicate operations, a path clash, a
//   locked revision property) comes with the poll.
//
// Revisions: `{id};rev={n}` with `sourceApiId` clones the source (net-ApiRevisionTests#9,
// cli-test_apim_api_revision#4, both 201 naming `{id};rev={n}`); an import into a new `;rev=n`
// without `sourceApiId` is accepted too and starts from the current revision: that is what
// `az apim api import --api-revision n` sends (azure-cli apim/custom.py `apim_api_import`: the id
// becomes `{id};rev={n}`, no sourceApiId), and it creates the revision (Azure/azure-cli#21422,
// #19277). A non-current revision cannot change the API-wide properties (revision_lock.ts). A PUT
// that creates a new API always creates revision 1, whatever `apiRevision` or `;rev=` it names
// (aso-…20240501#57: `apiRevision: "v1"` answered `"1"`; Azure/azure-cli#21422). An import into a
// new revision takes its path from the request only: terraform-provider-azurerm#12720 got
// "Cannot create API 'example' with the same Path ''" for a revision imported with sourceApiId
// and no path.

import { createHash } from "node:crypto";
import { systemClock } from "../../../src/util/clock.ts";
import { ArmError, invalidField } from "./arm_error.ts";
import { apiContract, type ApiView } from "./api_contract.ts";
import {
  apiPutBodySchema,
  mergeApiProperties,
  pathClash,
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
import {
  emptyResponse,
  errorResponse,
  jsonResponse,
  readBody,
} from "./http.ts";
import {
  type ApiAddress,
  apiIdFromResourceId,
  apiPathSegment,
  parseApiAddress,
  revisionName,
} from "./ids.ts";
import {
  assertApiNotLocked,
  type AsyncOutcome,
  operationHeaders,
  operationTiming,
} from "./long_running.ts";
import { planOperations } from "./operation_naming.ts";
import { nonCurrentRevisionChange } from "./revision_lock.ts";
import {
  type ApiProperties,
  nameKey,
  type OperationState,
  serviceResourceId,
} from "./store.ts";
import type { JsonObject } from "./json.ts";
import { versionFieldsError, versionTaken } from "./version_sets.ts";
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
 * current revision's properties without its operations or policy (see the module header): an
 * import straight into a new revision starts from the default policy
 * (hashicorp/terraform-provider-azurerm#28552; see policies.ts).
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

/** Everything decided about a PUT before it is applied. */
interface PutPlan {
  root: string;
  /** The name the answer carries (`{id}` or `{id};rev={n}`). */
  name: string;
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
  const newRevisionImport = doc !== null && api !== undefined && !existing;
  const input = newRevisionImport
    ? { ...props, path: props.path ?? "" }
    : props;
  const properties = mergeApiProperties(
    base?.properties ?? null,
    input,
    doc?.ok ? doc.doc : null,
    doc ? address.root : null,
  );
  const versioning = versionFieldsError(ctx.service, properties);
  if (versioning) throw versioning;
  const revisionNo = api ? address.revision ?? api.currentRevision : "1";
  return {
    root: address.root,
    name: address.revision === null
      ? address.root
      : revisionName(address.root, revisionNo),
    revisionNo,
    properties,
    base,
    created: existing === undefined,
    makeCurrent: props.isCurrent === true || api === undefined,
  };
}

/** The error the API-wide rules give for this write now (path clash, version, locked revision), if any. */
function ruleViolation(ctx: RequestContext, plan: PutPlan): ArmError | null {
  const api = ctx.service.apis.get(nameKey(plan.root));
  return pathClash(ctx.service, plan.root, plan.properties) ??
    versionTaken(ctx.service, plan.root, plan.properties) ??
    (plan.makeCurrent
      ? null
      : nonCurrentRevisionChange(api, plan.revisionNo, plan.properties));
}

/** The Location path: the API as addressed (net-ApiRevisionTests#2; `;rev=1` when so addressed: terraform#23322). */
function locationPath(ctx: RequestContext, plan: PutPlan): string {
  return `${serviceResourceId(ctx.service)}/apis/${
    apiPathSegment(parseApiAddress(plan.name))
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
  view: ApiView,
): Committed {
  const { service, runtime } = ctx;
  const written = writeRevision(runtime, service, plan.root, plan.revisionNo, {
    properties: plan.properties,
    operations,
    makeCurrent: plan.makeCurrent,
    ...(plan.base?.policyValue === undefined
      ? {}
      : { policyValue: plan.base.policyValue }),
  });
  return {
    status: plan.created ? 201 : 200,
    body: renderRevision(service, written.api, written.revision, plan.name, {
      view,
      apiVersion: ctx.apiVersion,
    }),
    etag: written.revision.etag,
  };
}

function inProgressBody(ctx: RequestContext, plan: PutPlan) {
  const api = ctx.service.apis.get(nameKey(plan.root));
  return apiContract({
    service: ctx.service,
    name: plan.name,
    revision: plan.revisionNo,
    properties: plan.properties,
    isCurrent: plan.makeCurrent || api?.currentRevision === plan.revisionNo,
    provisioningState: "InProgress",
  }, { view: "put", apiVersion: ctx.apiVersion });
}

/** What an import brings, for the operation history: the document and the settings imported with it. */
function importContent(value: string, properties: ApiProperties): string {
  const { path, serviceUrl, subscriptionRequired, displayName, protocols } =
    properties;
  return createHash("sha256").update(
    JSON.stringify([
      value,
      path,
      serviceUrl ?? null,
      subscriptionRequired,
      displayName,
      [...protocols].sort(),
    ]),
  ).digest("hex");
}

/**
 * 422 while APIM goes on importing a large document (knob `slowImport`; Azure/apiops#689: "the
 * Management API returning 422 after a while", #497). The exact message of that case is not
 * recorded; this one is the simulator's.
 */
function importStillRunning(): ArmError {
  return new ArmError(
    422,
    "ManagementApiRequestFailed",
    "The management request did not complete in time. The operation may still be running.",
  );
}

async function startImport(
  ctx: RequestContext,
  plan: PutPlan,
  doc: ImportDocumentResult,
  value: string,
  documentChars: number,
): Promise<Response> {
  const { runtime, service } = ctx;
  const slow = runtime.knobs.slowImport;
  const isSlow = slow !== null && documentChars >= slow.minDocumentChars;
  if (isSlow) await systemClock.sleep(slow.putLatencyMs);
  const injected = runtime.importFailures.shift();
  const finish = (): AsyncOutcome => {
    if (injected) return { ok: false, error: injected };
    if (!doc.ok) return doc;
    const violation = ruleViolation(ctx, plan);
    if (violation) return { ok: false, error: violation };
    const current = service.apis.get(nameKey(plan.root))?.revisions.get(
      plan.revisionNo,
    );
    const planned = planOperations(
      current?.operations ?? plan.base?.operations ?? [],
      doc.doc.operations,
    );
    return planned.ok
      ? { ok: true, ...commit(ctx, plan, planned.operations, "entity") }
      : planned;
  };
  const op = runtime.operations.start({
    service,
    apiRoot: plan.root,
    locationPath: locationPath(ctx, plan),
    apiVersion: ctx.apiVersion,
    asyncCode: plan.created ? 201 : 200,
    finish,
    label: {
      kind: "import",
      revision: plan.revisionNo,
      content: importContent(value, plan.properties),
    },
    ...operationTiming(runtime.knobs),
  });
  if (isSlow && slow.answer422) return errorResponse(importStillRunning());
  const headers = operationHeaders(ctx, op);
  if (ctx.apiVersion === "2022-08-01") return emptyResponse(202, headers);
  return jsonResponse(op.asyncCode, inProgressBody(ctx, plan), headers);
}

function writeNow(ctx: RequestContext, plan: PutPlan): Response {
  const violation = ruleViolation(ctx, plan);
  if (violation) throw violation;
  const done = commit(ctx, plan, plan.base?.operations ?? [], "put");
  const { status, body, etag } = done;
  if (
    ctx.apiVersion === "2022-08-01" || !ctx.runtime.knobs.asyncPlainApiWrites
  ) {
    return jsonResponse(status, body, { etag });
  }
  const op = ctx.runtime.operations.finished({
    service: ctx.service,
    apiRoot: plan.root,
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
  return doc && request
    ? await startImport(
      ctx,
      plan,
      doc,
      request.value,
      text?.ok ? text.text.length : 0,
    )
    : writeNow(ctx, plan);
}
