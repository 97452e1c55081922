// Typed calls for policies of an API or of one of its operations (ApiPolicy_*, ApiOperationPolicy_*), and operation lookups.

import type { ArmClient } from "./arm_client.ts";
import {
  type DeletePrecondition,
  getResource,
  listResources,
  type PutRequest,
  requestBody,
  type Versioned,
  writeEntity,
  writeResource,
} from "./arm_resources.ts";
import {
  apiOperationPath,
  apiOperationsPath,
  type ApiRef,
  policyPath,
  type PolicyScope,
} from "./apim_paths.ts";
import {
  type OperationContract,
  operationContractSchema,
  type PolicyContract,
  policyContractSchema,
  type PolicyProperties,
  policyPropertiesSchema,
} from "./apim_schemas.ts";

/**
 * `GET .../policies/policy` of an API or operation, with its ETag; undefined on 404 (no policy of
 * its own, or no such API or operation). `rawxml` returns the policy without XML escaping. APIM
 * normalises policy XML: compare semantically.
 */
export function getPolicy(
  client: ArmClient,
  scope: PolicyScope,
  options: { format?: "xml" | "rawxml" } = {},
): Promise<Versioned<PolicyContract> | undefined> {
  return getResource(client, policyPath(scope), policyContractSchema, {
    format: options.format,
  });
}

/** Input of {@linkcode createOrUpdatePolicy}. */
export interface PolicyWriteRequest extends PutRequest<PolicyProperties> {
  scope: PolicyScope;
}

/** `PUT .../policies/policy`; APIM answers 400 ValidationError with the offending element as target. */
export function createOrUpdatePolicy(
  client: ArmClient,
  request: PolicyWriteRequest,
): Promise<Versioned<PolicyContract>> {
  return writeEntity(client, {
    method: "PUT",
    path: policyPath(request.scope),
    body: requestBody(policyPropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, policyContractSchema);
}

/** `DELETE .../policies/policy` (the scope falls back to `<base />`); If-Match is required (`*` for any). */
export async function deletePolicy(
  client: ArmClient,
  request: DeletePrecondition & { scope: PolicyScope },
): Promise<void> {
  await writeResource(client, {
    method: "DELETE",
    path: policyPath(request.scope),
    ifMatch: request.ifMatch,
  });
}

/** `GET .../apis/{apiId}/operations/{operationId}` (names compare case-insensitively); undefined on 404. */
export async function getApiOperation(
  client: ArmClient,
  api: ApiRef,
  operationId: string,
): Promise<OperationContract | undefined> {
  return (await getResource(
    client,
    apiOperationPath(api, operationId),
    operationContractSchema,
  ))?.entity;
}

/** `GET .../apis/{apiId}/operations`, every page. */
export function listApiOperations(
  client: ArmClient,
  api: ApiRef,
): Promise<OperationContract[]> {
  return listResources(client, apiOperationsPath(api), operationContractSchema);
}
