// API-scope policy routes (`.../apis/{apiId}/policies/policy`): XML validation, normalisation, ETags.

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
import { type PolicyState, serviceResourceId } from "./store.ts";

const policyBodySchema = z.object({
  properties: z.object({
    value: z.string(),
    format: z.enum(["xml", "xml-link", "rawxml", "rawxml-link"]).nullish(),
  }).loose(),
});

function addressed(ctx: RequestContext): ApiRevisionRef & { name: string } {
  const address = parseApiAddress(param(ctx, "apiId"));
  return { ...requireVisible(ctx, address), name: address.addressed };
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
  ctx: RequestContext,
  apiName: string,
  policy: PolicyState,
  raw: boolean,
): JsonObject {
  return {
    id: `${serviceResourceId(ctx.service)}/apis/${apiName}/policies/policy`,
    type: "Microsoft.ApiManagement/service/apis/policies",
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
  const { api, revision, name } = addressed(ctx);
  assertApiNotLocked(ctx, api.name);
  const existing = revision.policy;
  checkIfMatch(
    "PUT",
    ctx.request.headers.get("if-match"),
    existing?.etag ?? null,
  );
  const value = normalisedPolicy(
    body.properties.value,
    body.properties.format ?? "xml",
  );
  if (!existing || existing.value !== value) {
    revision.policy = { value, etag: ctx.runtime.etags.next() };
  }
  const policy = revision.policy ?? { value, etag: "" };
  return jsonResponse(
    existing ? 200 : 201,
    renderPolicy(ctx, name, policy, false),
    { etag: policy.etag },
  );
}

function getPolicy(ctx: RequestContext): Response {
  policyIdOf(ctx);
  const { revision, name } = addressed(ctx);
  const policy = revision.policy;
  if (!policy) throw entityNotFound("Policy");
  const raw = ctx.url.searchParams.get("format") === "rawxml";
  const response = entityResponse(
    ctx,
    200,
    renderPolicy(ctx, name, policy, raw),
    policy.etag,
  );
  simulateConcurrentWrite(ctx, () => policy.etag = ctx.runtime.etags.next());
  return response;
}

function deletePolicy(ctx: RequestContext): Response {
  policyIdOf(ctx);
  const { api, revision } = addressed(ctx);
  assertApiNotLocked(ctx, api.name);
  checkIfMatch(
    "DELETE",
    ctx.request.headers.get("if-match"),
    revision.policy?.etag ?? null,
  );
  if (!revision.policy) return emptyResponse(204);
  revision.policy = null;
  return emptyResponse(200);
}

function listPolicies(ctx: RequestContext): Response {
  const { revision, name } = addressed(ctx);
  const policy = revision.policy;
  return pagedList(ctx, policy ? [renderPolicy(ctx, name, policy, false)] : []);
}

/** API policy routes. */
export const policyRoutes: Route[] = [
  { pattern: ["apis", ":apiId", "policies"], handlers: { GET: listPolicies } },
  {
    pattern: ["apis", ":apiId", "policies", ":policyId"],
    handlers: {
      GET: getPolicy,
      HEAD: getPolicy,
      PUT: putPolicy,
      DELETE: deletePolicy,
    },
  },
];
