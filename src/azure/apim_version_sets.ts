// Typed calls for API version sets (ApiVersionSet_Get, ApiVersionSet_CreateOrUpdate, ApiVersionSet_Delete).

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
import { versionSetPath, type VersionSetRef } from "./apim_paths.ts";
import {
  type VersionSetContract,
  versionSetContractSchema,
  type VersionSetProperties,
  versionSetPropertiesSchema,
} from "./apim_schemas.ts";

/** `GET .../apiVersionSets/{versionSetId}` with its ETag; undefined on 404. */
export function getVersionSet(
  client: ArmClient,
  set: VersionSetRef,
): Promise<Versioned<VersionSetContract> | undefined> {
  return getResource(client, versionSetPath(set), versionSetContractSchema);
}

/** Input of {@linkcode createOrUpdateVersionSet}. */
export interface VersionSetWriteRequest
  extends PutRequest<VersionSetProperties> {
  set: VersionSetRef;
}

/** `PUT .../apiVersionSets/{versionSetId}`. */
export function createOrUpdateVersionSet(
  client: ArmClient,
  request: VersionSetWriteRequest,
): Promise<Versioned<VersionSetContract>> {
  return writeEntity(client, {
    method: "PUT",
    path: versionSetPath(request.set),
    body: requestBody(versionSetPropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, versionSetContractSchema);
}

/** `DELETE .../apiVersionSets/{versionSetId}` (If-Match required by APIM). */
export async function deleteVersionSet(
  client: ArmClient,
  request: DeletePrecondition & { set: VersionSetRef },
): Promise<void> {
  await writeResource(client, {
    method: "DELETE",
    path: versionSetPath(request.set),
    ifMatch: request.ifMatch,
  });
}
