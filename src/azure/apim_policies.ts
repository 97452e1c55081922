// Typed calls for the policy of an API (ApiPolicy_Get, ApiPolicy_CreateOrUpdate, ApiPolicy_Delete).

import type { ArmClient } from "./arm_client.ts";
import {
  type DeletePrecondition,
  getResource,
  type PutRequest,
  requestBody,
  type Versioned,
  writeEntity,
  writeResource,
} from "./arm_resources.ts";
import { apiPolicyPath, type ApiRef } from "./apim_paths.ts";
import {
  type PolicyContract,
  policyContractSchema,
  type PolicyProperties,
  policyPropertiesSchema,
} from "./apim_schemas.ts";

/**
 * `GET .../apis/{apiId}/policies/policy` with its ETag; undefined on 404. `rawxml` returns the
 * policy without XML escaping. APIM normalises policy XML: compare semantically.
 */
export function getApiPolicy(
  client: ArmClient,
  api: ApiRef,
  options: { format?: "xml" | "rawxml" } = {},
): Promise<Versioned<PolicyContract> | undefined> {
  return getResource(client, apiPolicyPath(api), policyContractSchema, {
    format: options.format,
  });
}

/** Input of {@linkcode createOrUpdateApiPolicy}. */
export interface ApiPolicyWriteRequest extends PutRequest<PolicyProperties> {
  api: ApiRef;
}

/** `PUT .../apis/{apiId}/policies/policy`. */
export function createOrUpdateApiPolicy(
  client: ArmClient,
  request: ApiPolicyWriteRequest,
): Promise<Versioned<PolicyContract>> {
  return writeEntity(client, {
    method: "PUT",
    path: apiPolicyPath(request.api),
    body: requestBody(policyPropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, policyContractSchema);
}

/** `DELETE .../apis/{apiId}/policies/policy`; If-Match is required by APIM (`*` for any). */
export async function deleteApiPolicy(
  client: ArmClient,
  request: DeletePrecondition & { api: ApiRef },
): Promise<void> {
  await writeResource(client, {
    method: "DELETE",
    path: apiPolicyPath(request.api),
    ifMatch: request.ifMatch,
  });
}
