// Read-only routes for the operations an import created (`.../apis/{apiId}/operations`).
//
// Listed in name order, case-insensitively (net-ApiRevisionTests#6: addPet, deletePet, dummyid1,
// dummyid2, dummyOperationId, findPetById, findPets, resourceWithFormDataPOST).

import { entityNotFound } from "./arm_error.ts";
import { requireVisible } from "./api_state.ts";
import { param, type RequestContext, type Route } from "./context.ts";
import { jsonResponse } from "./http.ts";
import { parseApiAddress } from "./ids.ts";
import { compact, type JsonObject } from "./json.ts";
import { pagedList } from "./paging.ts";
import { type OperationState, serviceResourceId } from "./store.ts";

function templateParameters(urlTemplate: string): JsonObject[] {
  return [...urlTemplate.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1] ?? "",
    type: "string",
    required: true,
    values: [],
  }));
}

function renderOperation(
  ctx: RequestContext,
  apiName: string,
  op: OperationState,
): JsonObject {
  return {
    id: `${
      serviceResourceId(ctx.service)
    }/apis/${apiName}/operations/${op.name}`,
    type: "Microsoft.ApiManagement/service/apis/operations",
    name: op.name,
    properties: compact({
      displayName: op.displayName,
      method: op.method,
      urlTemplate: op.urlTemplate,
      templateParameters: templateParameters(op.urlTemplate),
      description: op.description,
      responses: [],
      policies: op.policy?.value,
    }),
  };
}

function listOperations(ctx: RequestContext): Response {
  const address = parseApiAddress(param(ctx, "apiId"));
  const { revision } = requireVisible(ctx, address);
  return pagedList(
    ctx,
    [...revision.operations]
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((op) => renderOperation(ctx, address.addressed, op)),
  );
}

function getOperation(ctx: RequestContext): Response {
  const address = parseApiAddress(param(ctx, "apiId"));
  const { revision } = requireVisible(ctx, address);
  const wanted = param(ctx, "operationId").toLowerCase();
  const op = revision.operations.find((o) => o.name.toLowerCase() === wanted);
  if (!op) throw entityNotFound("Operation");
  return jsonResponse(200, renderOperation(ctx, address.addressed, op));
}

/** Operation routes (read-only). */
export const operationRoutes: Route[] = [
  {
    pattern: ["apis", ":apiId", "operations"],
    handlers: { GET: listOperations },
  },
  {
    pattern: ["apis", ":apiId", "operations", ":operationId"],
    handlers: { GET: getOperation },
  },
];
