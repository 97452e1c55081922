// Typed calls for APIs, revisions and releases (Api_*, ApiRevision_ListByService, ApiRelease_CreateOrUpdate).

import type { ArmClient } from "./arm_client.ts";
import { type ArmResponse, parseArmBody } from "./arm_response.ts";
import { ArmError } from "./arm_error.ts";
import { isInstanceGone } from "./classify_arm_error.ts";
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
  type ApimServiceRef,
  apiPath,
  type ApiRef,
  apiReleasePath,
  apiRevisionsPath,
  apisPath,
} from "./apim_paths.ts";
import {
  type ApiContract,
  apiContractSchema,
  type ApiCreateOrUpdateProperties,
  apiCreateOrUpdatePropertiesSchema,
  type ApiReleaseContract,
  apiReleaseContractSchema,
  type ApiReleaseProperties,
  apiReleasePropertiesSchema,
  type ApiRevision,
  apiRevisionSchema,
  type ApiUpdateProperties,
  apiUpdatePropertiesSchema,
} from "./apim_schemas.ts";
import {
  type OperationStart,
  type PendingOperation,
  pollDelayMs,
  startOperationFromResponse,
} from "./operation.ts";

/** `GET .../apis/{apiId}`: the API (or revision `id;rev=n`) with its ETag; undefined on 404. */
export function getApi(
  client: ArmClient,
  api: ApiRef,
): Promise<Versioned<ApiContract> | undefined> {
  return getResource(client, apiPath(api), apiContractSchema);
}

/** An API looked up for a deletion: found, absent, or its whole instance (or resource group) gone. */
export type ApiLookup =
  | { state: "found"; api: Versioned<ApiContract> }
  | { state: "absent" }
  | { state: "instanceGone" };

/** `GET .../apis/{apiId}`, telling a missing API from a missing instance. */
export async function lookupApi(
  client: ArmClient,
  api: ApiRef,
): Promise<ApiLookup> {
  let response: ArmResponse;
  try {
    response = await client.request({ method: "GET", path: apiPath(api) });
  } catch (error) {
    if (isInstanceGone(error)) return { state: "instanceGone" };
    if (error instanceof ArmError && error.status === 404) {
      return { state: "absent" };
    }
    throw error;
  }
  return {
    state: "found",
    api: {
      entity: parseArmBody(response, apiContractSchema),
      etag: response.etag,
    },
  };
}

/** Input of {@linkcode createOrUpdateApi}. */
export interface CreateOrUpdateApiRequest
  extends PutRequest<ApiCreateOrUpdateProperties> {
  /** With `format` and `value` in the properties this is an import. */
  api: ApiRef;
  /** Stored in the pending operation, so a restart knows what is being applied. */
  desiredHash?: string | undefined;
  /** `"rejected"`: never re-send after an answer that may hide an applied write (imports). */
  retry?: boolean | "rejected";
  /** See `ArmRequest.beforeAttempt`: the caller notes when the import leaves. */
  beforeAttempt?: () => Promise<void>;
}

/** An API write that finished at once, or a long-running one to poll. */
export type ApiWriteResult =
  | { state: "finished"; api: Versioned<ApiContract> }
  | { state: "pending"; operation: PendingOperation; retryAfterMs: number };

/**
 * `PUT .../apis/{apiId}` (create, update or import). 2022-08-01 answers an import with 202 +
 * Location, 2024-05-01 with 200/201 InProgress + Location: both come back `pending`.
 */
export async function createOrUpdateApi(
  client: ArmClient,
  request: CreateOrUpdateApiRequest,
): Promise<ApiWriteResult> {
  const response = await writeResource(client, {
    method: "PUT",
    path: apiPath(request.api),
    body: requestBody(apiCreateOrUpdatePropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
    ...(request.retry === undefined ? {} : { retry: request.retry }),
    ...(request.beforeAttempt ? { beforeAttempt: request.beforeAttempt } : {}),
  });
  const start = startOperationFromResponse(response, {
    kind: request.properties.format ? "import" : "create-or-update",
    defaultRetryAfterMs: pollDelayMs(0),
    ...(request.desiredHash ? { desiredHash: request.desiredHash } : {}),
  });
  if (start.state === "pending") return start;
  return {
    state: "finished",
    api: {
      entity: parseArmBody(start.response, apiContractSchema),
      etag: start.response.etag,
    },
  };
}

/** Input of {@linkcode updateApi}. */
export interface UpdateApiRequest extends PatchRequest<ApiUpdateProperties> {
  api: ApiRef;
}

/** `PATCH .../apis/{apiId}`: changes some fields (e.g. serviceUrl). */
export function updateApi(
  client: ArmClient,
  request: UpdateApiRequest,
): Promise<Versioned<ApiContract>> {
  return writeEntity(client, {
    method: "PATCH",
    path: apiPath(request.api),
    body: requestBody(apiUpdatePropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, apiContractSchema);
}

/** Input of {@linkcode deleteApi}. */
export interface DeleteApiRequest extends DeletePrecondition {
  api: ApiRef;
  /** Delete every revision of the API. */
  deleteRevisions?: boolean;
}

/** `DELETE .../apis/{apiId}`: synchronous in 2022-08-01, may be long-running (202) in 2024-05-01. */
export async function deleteApi(
  client: ArmClient,
  request: DeleteApiRequest,
): Promise<OperationStart> {
  const response = await writeResource(client, {
    method: "DELETE",
    path: apiPath(request.api),
    ifMatch: request.ifMatch,
    query: { deleteRevisions: request.deleteRevisions },
  });
  return startOperationFromResponse(response, {
    kind: "delete",
    defaultRetryAfterMs: pollDelayMs(0),
  });
}

/** Options of {@linkcode listApis}. */
export interface ListApisOptions {
  /** OData filter, e.g. `isCurrent eq true`. */
  filter?: string;
  /** Page size. */
  top?: number;
}

/** `GET .../apis`, every page. */
export function listApis(
  client: ArmClient,
  service: ApimServiceRef,
  options: ListApisOptions = {},
): Promise<ApiContract[]> {
  return listResources(client, apisPath(service), apiContractSchema, {
    $filter: options.filter,
    $top: options.top,
  });
}

/** `GET .../apis/{apiId}/revisions`, every page. */
export function listApiRevisions(
  client: ArmClient,
  api: ApiRef,
): Promise<ApiRevision[]> {
  return listResources(client, apiRevisionsPath(api), apiRevisionSchema);
}

/** Input of {@linkcode createOrUpdateApiRelease}. */
export interface CreateOrUpdateApiReleaseRequest
  extends PutRequest<ApiReleaseProperties> {
  /** The API (without `;rev=`); `properties.apiId` is the ARM id of the revision to make current. */
  api: ApiRef;
  releaseId: string;
}

/** `PUT .../apis/{apiId}/releases/{releaseId}`: makes a revision current. */
export function createOrUpdateApiRelease(
  client: ArmClient,
  request: CreateOrUpdateApiReleaseRequest,
): Promise<Versioned<ApiReleaseContract>> {
  return writeEntity(client, {
    method: "PUT",
    path: apiReleasePath(request.api, request.releaseId),
    body: requestBody(apiReleasePropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, apiReleaseContractSchema);
}
