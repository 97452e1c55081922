// Typed calls for tags and their API assignments (Tag_*, Tag_AssignToApi, Tag_DetachFromApi, Tag_ListByApi, TagApiLink_ListByProduct).

import type { ArmClient } from "./arm_client.ts";
import {
  type DeletePrecondition,
  getResource,
  listResources,
  type PatchRequest,
  type PutRequest,
  requestBody,
  type Versioned,
  writeEntity,
  writeResource,
} from "./arm_resources.ts";
import {
  type ApiRef,
  apiTagPath,
  apiTagsPath,
  tagApiLinksPath,
  tagPath,
  type TagRef,
} from "./apim_paths.ts";
import {
  tagApiLinkContractSchema,
  type TagContract,
  tagContractSchema,
  type TagProperties,
  tagPropertiesSchema,
} from "./apim_schemas.ts";

/** `GET .../tags/{tagId}` with its ETag; undefined on 404. */
export function getTag(
  client: ArmClient,
  tag: TagRef,
): Promise<Versioned<TagContract> | undefined> {
  return getResource(client, tagPath(tag), tagContractSchema);
}

/** Input of {@linkcode createOrUpdateTag} and {@linkcode updateTag}. */
export interface TagWriteRequest extends PutRequest<TagProperties> {
  tag: TagRef;
}

/** `PUT .../tags/{tagId}`. */
export function createOrUpdateTag(
  client: ArmClient,
  request: TagWriteRequest,
): Promise<Versioned<TagContract>> {
  return writeTag(client, "PUT", request);
}

/** `PATCH .../tags/{tagId}` (If-Match required by APIM). */
export function updateTag(
  client: ArmClient,
  request: TagWriteRequest & PatchRequest<TagProperties>,
): Promise<Versioned<TagContract>> {
  return writeTag(client, "PATCH", request);
}

function writeTag(
  client: ArmClient,
  method: "PUT" | "PATCH",
  request: TagWriteRequest,
): Promise<Versioned<TagContract>> {
  return writeEntity(client, {
    method,
    path: tagPath(request.tag),
    body: requestBody(tagPropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, tagContractSchema);
}

/** Input of {@linkcode deleteTag}. */
export interface DeleteTagRequest extends DeletePrecondition {
  tag: TagRef;
}

/** `DELETE .../tags/{tagId}` (APIM removes the tag's API assignments too). */
export async function deleteTag(
  client: ArmClient,
  request: DeleteTagRequest,
): Promise<void> {
  await writeResource(client, {
    method: "DELETE",
    path: tagPath(request.tag),
    ifMatch: request.ifMatch,
  });
}

/** Input of {@linkcode assignTagToApi} and {@linkcode removeTagFromApi}. */
export interface ApiTagLink {
  api: ApiRef;
  tagId: string;
}

/** `PUT .../apis/{apiId}/tags/{tagId}` (no body); APIM answers with the tag. */
export function assignTagToApi(
  client: ArmClient,
  link: ApiTagLink,
): Promise<Versioned<TagContract>> {
  return writeEntity(client, {
    method: "PUT",
    path: apiTagPath(link.api, link.tagId),
  }, tagContractSchema);
}

/** `DELETE .../apis/{apiId}/tags/{tagId}` (an assignment has no ETag: `If-Match: *`). */
export async function removeTagFromApi(
  client: ArmClient,
  link: ApiTagLink,
): Promise<void> {
  await writeResource(client, {
    method: "DELETE",
    path: apiTagPath(link.api, link.tagId),
    ifMatch: "*",
  });
}

/** `GET .../apis/{apiId}/tags`, every page: the tags assigned to the API. */
export function listApiTags(
  client: ArmClient,
  api: ApiRef,
): Promise<TagContract[]> {
  return listResources(client, apiTagsPath(api), tagContractSchema);
}

/** `GET .../tags/{tagId}/apiLinks`, every page: the ids of the APIs the tag is assigned to. */
export async function listTagApis(
  client: ArmClient,
  tag: TagRef,
): Promise<string[]> {
  const links = await listResources(
    client,
    tagApiLinksPath(tag),
    tagApiLinkContractSchema,
  );
  return links.map((link) => link.properties.apiId.split("/").at(-1) ?? "");
}
