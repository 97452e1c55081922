// Policy routes of an API and of its operations (`.../apis/{apiId}[/operations/{operationId}]/policies/policy`):
// XML validation, normalisation, ETags.
//
// What resets a policy (evidence): an import into an existing revision keeps the API's policy and the
// policies of the operations it matches; operations it deletes lose theirs, renamed ones copy them by
// method and template (reference A.12, operation_naming.ts). A revision created from `sourceApiId`
// starts with the source's policies ("each revision has the same security settings as the current
// revision", Learn "Revisions in Azure API Management"); one created without it (an import straight
// into `;rev=n`) starts with none, i.e. the default `<base />` policy
// (hashicorp/terraform-provider-azurerm#28552). See api_put.ts for both.

import { z } from "zod";
import {
  entityNotFound,
  fieldValidationError,
  invalidField,
} from "./arm_error.ts";
import { type ApiRevisionRef, requireVisible } from "./api_state.ts";
import { param, type RequestContext, type Route } from "./context.ts";
import { checkIfMatch, simulateConcurrentWrite } from "./etag.ts";
import {
  emptyResponse,
  entityResponse,
  jsonResponse,
  readBody,
} from "./http.ts";
import { parseApiAddress } from "./ids.ts";
import type { JsonObject } from "./json.ts";
import { assertApiNotLocked } from "./long_running.ts";
import { pagedList } from "./paging.ts";
import { parsePolicy, PolicyXmlError, serializePolicy } from "./policy_xml.ts";
import { nameKey, type PolicyState, serviceResourceId } from "./store.ts";

const policyBodySchema = z.object({
  properties: z.object({
    value: z.string(),
    format: z.enum(["xml", "xml-link", "rawxml", "rawxml-link"]).nullish(),
  }).loose(),
});

/** Where a policy lives: an API revision or one of its operations. */
interface PolicyHolder {
  /** The API (root name), for the lock of a running import. */
  apiRoot: string;
  /** ARM id of the policy's parent (the API or the operation, as addressed). */
  parentId: string;
  /** ARM type of the policy resource. */
  type: string;
  policy: PolicyState | null;
  set(policy: PolicyState | null): void;
}

function revisionHolder(
  ctx: RequestContext,
  ref: ApiRevisionRef,
  name: string,
): PolicyHolder {
  return {
    apiRoot: ref.api.name,
    parentId: `${serviceResourceId(ctx.service)}/apis/${name}`,
    type: "Microsoft.ApiManagement/service/apis/policies",
    policy: ref.revision.policy,
    set: (policy) => ref.revision.policy = policy,
  };
}

function operationHolder(
  ctx: RequestContext,
  ref: ApiRevisionRef,
  name: string,
): PolicyHolder {
  const wanted = nameKey(param(ctx, "operationId"));
  const op = ref.revision.operations.find((o) => nameKey(o.name) === wanted);
  if (!op) throw entityNotFound("Operation");
  return {
    apiRoot: ref.api.name,
    parentId: `${
      serviceResourceId(ctx.service)
    }/apis/${name}/operations/${op.name}`,
    type: "Microsoft.ApiManagement/service/apis/operations/policies",
    policy: op.policy ?? null,
    set: (policy) => {
      if (policy) op.policy = policy;
      else delete op.policy;
    },
  };
}

/** The API- or operation-scope policy the route addresses. */
function addressed(ctx: RequestContext): PolicyHolder {
  const address = parseApiAddress(param(ctx, "apiId"));
  const ref = requireVisible(ctx, address);
  return "operationId" in ctx.params
    ? operationHolder(ctx, ref, address.addressed)
    : revisionHolder(ctx, ref, address.addressed);
}

function policyIdOf(ctx: RequestContext): void {
  const policyId = param(ctx, "policyId");
  if (policyId !== "policy") {
    throw invalidField(
      "policyId",
      `The policy identifier '${policyId}' is not valid. Allowed value: 'policy'.`,
    );
  }
}

function renderPolicy(
  holder: PolicyHolder,
  policy: PolicyState,
  raw: boolean,
): JsonObject {
  return {
    id: `${holder.parentId}/policies/policy`,
    type: holder.type,
    name: "policy",
    properties: {
      value: raw
        ? serializePolicy(parsePolicy(policy.value, true), true)
        : policy.value,
      format: raw ? "rawxml" : "xml",
    },
  };
}

/** Parses and normalises a policy; malformed XML → 400 with the element as `target`. */
function normalisedPolicy(value: string, format: string): string {
  if (format.endsWith("-link")) {
    throw invalidField(
      "format",
      `Policy format '${format}' is not supported by the APIM simulator.`,
    );
  }
  try {
    return serializePolicy(parsePolicy(value, format === "rawxml"), false);
  } catch (error) {
    if (!(error instanceof PolicyXmlError)) throw error;
    throw fieldValidationError([{
      code: "ValidationError",
      target: error.element,
      message: error.message,
    }]);
  }
}

async function putPolicy(ctx: RequestContext): Promise<Response> {
  const body = await readBody(ctx, policyBodySchema);
  policyIdOf(ctx);
  const holder = addressed(ctx);
  assertApiNotLocked(ctx, holder.apiRoot);
  const existing = holder.policy;
  checkIfMatch(
    "PUT",
    ctx.request.headers.get("if-match"),
    existing?.etag ?? null,
  );
  const value = normalisedPolicy(
    body.properties.value,
    body.properties.format ?? "xml",
  );
  const policy = existing && existing.value === value
    ? existing
    : { value, etag: ctx.runtime.etags.next() };
  holder.set(policy);
  return jsonResponse(
    existing ? 200 : 201,
    renderPolicy(holder, policy, false),
    { etag: policy.etag },
  );
}

function getPolicy(ctx: RequestContext): Response {
  policyIdOf(ctx);
  const holder = addressed(ctx);
  const policy = holder.policy;
  if (!policy) throw entityNotFound("Policy");
  const raw = ctx.url.searchParams.get("format") === "rawxml";
  const response = entityResponse(
    ctx,
    200,
    renderPolicy(holder, policy, raw),
    policy.etag,
  );
  simulateConcurrentWrite(ctx, () => policy.etag = ctx.runtime.etags.next());
  return response;
}

function deletePolicy(ctx: RequestContext): Response {
  policyIdOf(ctx);
  const holder = addressed(ctx);
  assertApiNotLocked(ctx, holder.apiRoot);
  checkIfMatch(
    "DELETE",
    ctx.request.headers.get("if-match"),
    holder.policy?.etag ?? null,
  );
  if (!holder.policy) return emptyResponse(204);
  holder.set(null);
  return emptyResponse(200);
}

function listPolicies(ctx: RequestContext): Response {
  const holder = addressed(ctx);
  const policy = holder.policy;
  return pagedList(ctx, policy ? [renderPolicy(holder, policy, false)] : []);
}

const POLICY_HANDLERS = {
  GET: getPolicy,
  HEAD: getPolicy,
  PUT: putPolicy,
  DELETE: deletePolicy,
};

/** API and operation policy routes. */
export const policyRoutes: Route[] = [
  { pattern: ["apis", ":apiId", "policies"], handlers: { GET: listPolicies } },
  {
    pattern: ["apis", ":apiId", "policies", ":policyId"],
    handlers: POLICY_HANDLERS,
  },
  {
    pattern: ["apis", ":apiId", "operations", ":operationId", "policies"],
    handlers: { GET: listPolicies },
  },
  {
    pattern: [
      "apis",
      ":apiId",
      "operations",
      ":operationId",
      "policies",
      ":policyId",
    ],
    handlers: POLICY_HANDLERS,
  },
];
