// API version sets (`.../apiVersionSets/{versionSetId}`) and the rules APIs in them follow.
//
// Evidence (real service):
// - Contract: PUT 201/200 + ETag, body `{displayName, description, versioningScheme,
//   versionQueryName: null, versionHeaderName: null}`; an API in a set embeds
//   `apiVersionSet: {id, name: <the set's displayName>, description, versioningScheme, ...}`
//   (recordings aso-Test_ApiManagement_20240501_CRUD #16, #57).
// - Validation: an empty display name → target `name`, "name (display name) should not be empty";
//   a Header/Query scheme without its header/query name → target `versioningScheme`, "The specified
//   condition was not met for 'versioningScheme'." (Azure/bicep-registry-modules#5708).
// - An API naming a set that does not exist → 404 ResourceNotFound "ApiVersionSet not found."
//   (Azure/apiops#41, #584, #641).
// - `apiVersion` without `apiVersionSetId` → target `ApiVersion`, "Can't set VersionName when
//   ApiVersionSetId is not set." (pulumi/pulumi-azure-native#1661).
// - Two APIs of one set with the same `apiVersion` → "API with specified version '{v}' already
//   exists" (Azure/azure-cli#28908; the detail target is not shown there: `apiVersion` here).
// - Deleting the last API of a set deletes the set (MicrosoftDocs/azure-docs#81857,
//   hashicorp/terraform-provider-azurerm#21498 "ApiVersionSet not found" on recreate).
// Unverified, the simulator's choice: deleting a set that still has APIs succeeds and leaves
// their `apiVersionSetId` as it was (they then embed no `apiVersionSet`).

import { z } from "zod";
import {
  type ArmError,
  entityNotFound,
  type ErrorDetail,
  fieldValidationError,
} from "./arm_error.ts";
import type { RequestContext, Route } from "./context.ts";
import { type EntityKind, entityRoutes } from "./entity_routes.ts";
import { compact } from "../../../src/util/compact.ts";
import type { JsonObject } from "./json.ts";
import {
  type ApiProperties,
  nameKey,
  serviceResourceId,
  type ServiceState,
  type VersionSetState,
} from "./store.ts";

const SCHEMES = ["Segment", "Query", "Header"] as const;

const versionSetFields = {
  displayName: z.string().nullish(),
  description: z.string().nullish(),
  versioningScheme: z.string().nullish(),
  versionQueryName: z.string().nullish(),
  versionHeaderName: z.string().nullish(),
};

const versionSetBodySchema = z.object({
  properties: z.object(versionSetFields).loose(),
});

type VersionSetBody = z.infer<typeof versionSetBodySchema>;

function lengthError(field: string, max: number): ErrorDetail {
  return {
    code: "ValidationError",
    target: field,
    message:
      `The field ${field} must be a string with a minimum length of '1' and a maximum length of '${max}'.`,
  };
}

/** The stored set, or 400 with every problem of the merged properties. */
function validated(set: {
  name: string;
  etag: string;
  displayName?: string | null | undefined;
  description?: string | null | undefined;
  versioningScheme?: string | null | undefined;
  versionQueryName?: string | null | undefined;
  versionHeaderName?: string | null | undefined;
}): VersionSetState {
  const details: ErrorDetail[] = [];
  const displayName = set.displayName ?? "";
  if (displayName === "") {
    details.push({
      code: "ValidationError",
      target: "name",
      message: "name (display name) should not be empty",
    });
  } else if (displayName.length > 100) {
    details.push(lengthError("displayName", 100));
  }
  const scheme = SCHEMES.find((s) => s === set.versioningScheme);
  const nameFor = scheme === "Header"
    ? set.versionHeaderName
    : scheme === "Query"
    ? set.versionQueryName
    : "-";
  if (!scheme || !nameFor) {
    details.push({
      code: "ValidationError",
      target: "versioningScheme",
      message: "The specified condition was not met for 'versioningScheme'.",
    });
  }
  for (const field of ["versionQueryName", "versionHeaderName"] as const) {
    if ((set[field]?.length ?? 0) > 100) details.push(lengthError(field, 100));
  }
  if (details.length > 0 || !scheme) throw fieldValidationError(details);
  return {
    name: set.name,
    displayName,
    versioningScheme: scheme,
    etag: set.etag,
    ...compact({
      description: set.description,
      versionQueryName: set.versionQueryName,
      versionHeaderName: set.versionHeaderName,
    }),
  };
}

/** `{id, name, description, versioningScheme, versionQueryName, versionHeaderName}` of a set. */
function setProperties(set: VersionSetState): JsonObject {
  return {
    displayName: set.displayName,
    ...(set.description === undefined ? {} : { description: set.description }),
    versioningScheme: set.versioningScheme,
    versionQueryName: set.versionQueryName ?? null,
    versionHeaderName: set.versionHeaderName ?? null,
  };
}

function renderVersionSet(
  ctx: RequestContext,
  set: VersionSetState,
): JsonObject {
  return {
    id: versionSetResourceId(ctx.service, set.name),
    type: "Microsoft.ApiManagement/service/apiVersionSets",
    name: set.name,
    properties: setProperties(set),
  };
}

/** ARM id of a version set. */
export function versionSetResourceId(
  service: ServiceState,
  name: string,
): string {
  return `${serviceResourceId(service)}/apiVersionSets/${name}`;
}

/** The set an `apiVersionSetId` (ARM id) names in `service`, if it exists. */
export function findVersionSet(
  service: ServiceState,
  apiVersionSetId: string,
): VersionSetState | undefined {
  const name = apiVersionSetId.split("/").at(-1) ?? "";
  return service.versionSets.get(nameKey(name));
}

/** The `apiVersionSet` object an API in a set embeds (absent when the set is gone). */
export function embeddedVersionSet(
  service: ServiceState,
  apiVersionSetId: string | undefined,
): JsonObject | undefined {
  const set = apiVersionSetId === undefined
    ? undefined
    : findVersionSet(service, apiVersionSetId);
  if (!set || apiVersionSetId === undefined) return undefined;
  const { displayName, ...rest } = setProperties(set);
  return { id: apiVersionSetId, name: displayName ?? set.name, ...rest };
}

/**
 * The error for a write whose version fields cannot be used, or null: `apiVersion` needs a set,
 * and the set must exist. Checked when the request arrives (the simulator's choice: the reports
 * above do not show when).
 */
export function versionFieldsError(
  service: ServiceState,
  properties: ApiProperties,
): ArmError | null {
  const setId = properties.apiVersionSetId;
  if (setId === undefined) {
    return (properties.apiVersion ?? "") === "" ? null : fieldValidationError([{
      code: "ValidationError",
      target: "ApiVersion",
      message: "Can't set VersionName when ApiVersionSetId is not set.",
    }]);
  }
  return findVersionSet(service, setId)
    ? null
    : entityNotFound("ApiVersionSet");
}

/**
 * The error when another API of the set already has this write's version, or null. Judged when the
 * write is applied, so an import reports it when polled (Azure/azure-cli#28908: the import PUT
 * answered 202, the duplicate version came with the operation).
 */
export function versionTaken(
  service: ServiceState,
  apiRoot: string,
  properties: ApiProperties,
): ArmError | null {
  const setId = properties.apiVersionSetId;
  if (setId === undefined) return null;
  const version = (properties.apiVersion ?? "").toLowerCase();
  const taken = [...service.apis.values()].some((api) =>
    nameKey(api.name) !== nameKey(apiRoot) &&
    [...api.revisions.values()].some((r) =>
      r.properties.apiVersionSetId !== undefined &&
      nameKey(r.properties.apiVersionSetId) === nameKey(setId) &&
      (r.properties.apiVersion ?? "").toLowerCase() === version
    )
  );
  return taken
    ? fieldValidationError([{
      code: "ValidationError",
      target: "apiVersion",
      message: `API with specified version '${
        properties.apiVersion ?? ""
      }' already exists`,
    }])
    : null;
}

/** Deletes the version sets no API belongs to any more (after an API was deleted). */
export function dropEmptyVersionSets(
  service: ServiceState,
  formerSetIds: readonly string[],
): void {
  for (const setId of formerSetIds) {
    const inUse = [...service.apis.values()].some((api) =>
      [...api.revisions.values()].some((r) =>
        r.properties.apiVersionSetId !== undefined &&
        nameKey(r.properties.apiVersionSetId) === nameKey(setId)
      )
    );
    const set = findVersionSet(service, setId);
    if (!inUse && set) service.versionSets.delete(nameKey(set.name));
  }
}

const versionSetKind: EntityKind<
  VersionSetState,
  VersionSetBody,
  VersionSetBody
> = {
  entity: "ApiVersionSet",
  segment: "apiVersionSets",
  param: "versionSetId",
  maxIdLength: 80,
  collection: (service) => service.versionSets,
  render: renderVersionSet,
  putSchema: versionSetBodySchema,
  patchSchema: versionSetBodySchema,
  replace: (id, existing, body) =>
    validated({
      name: existing?.name ?? id,
      etag: existing?.etag ?? "",
      ...body.properties,
    }),
  merge: (existing, body) =>
    validated({ ...existing, ...compact(body.properties) }),
  beforeDelete: () => {},
};

/** Version set routes (CRUD, list). */
export const versionSetRoutes: Route[] = entityRoutes(versionSetKind);
