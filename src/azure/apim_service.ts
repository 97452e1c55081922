// Typed call for the APIM instance itself (ApiManagementService_Get).

import type { ArmClient } from "./arm_client.ts";
import { parseArmBody } from "./arm_response.ts";
import { type ApimServiceRef, servicePath } from "./apim_paths.ts";
import { type ApimService, apimServiceSchema } from "./apim_schemas.ts";

/**
 * `GET .../service/{serviceName}`: the instance with its hostnames and provisioning state.
 * A missing instance or resource group is an `ArmError` (404) whose message says which.
 */
export async function getApimService(
  client: ArmClient,
  service: ApimServiceRef,
): Promise<ApimService> {
  const response = await client.request({
    method: "GET",
    path: servicePath(service),
  });
  return parseArmBody(response, apimServiceSchema);
}
