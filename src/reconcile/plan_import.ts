// Decides what one registration pass writes to the API itself: nothing, a PATCH of drifted fields, or an import.
import {
  type ApiProtocol,
  type DesiredApi,
  markerHasHash,
  markerHasImport,
  markerOwnedBy,
  ownerMarker,
  type OwnerRef,
  parseOwnerMarker,
} from "./desired_api.ts";

/** The API as API Management holds it (the current revision), or absent. */
export type ObservedApi =
  | { exists: false }
  | {
    exists: true;
    etag?: string;
    path?: string;
    serviceUrl?: string;
    subscriptionRequired?: boolean;
    displayName?: string;
    description?: string;
    protocols?: string[];
    /** The current revision's `apiRevisionDescription` (our owner marker lives there). */
    revisionDescription?: string;
    /** The version in its version set. */
    apiVersion?: string;
    apiRevision?: string;
  };

/** The fields a PATCH can bring back in line without importing again. */
export interface ApiFieldChanges {
  serviceUrl?: string;
  path?: string;
  subscriptionRequired?: boolean;
  displayName?: string;
  description?: string;
  protocols?: ApiProtocol[];
  /** Only after a release: the version the new revision had to leave as it was. */
  apiVersion?: string;
}

/** What to do with the API in this pass. */
export type ImportDecision =
  | { action: "none"; adopted: boolean }
  | {
    action: "patch";
    changes: ApiFieldChanges;
    ifMatch: string;
    /** A new marker to write with the changes: the import stands, only patchable fields changed. */
    marker?: string;
  }
  | { action: "import"; ifMatch?: string; adopted: boolean; created: boolean }
  | { action: "refuse"; owner: string; message: string };

function sameList(
  a: readonly string[] | undefined,
  b: readonly string[] | undefined,
): boolean {
  return [...(a ?? [])].sort().join(",") === [...(b ?? [])].sort().join(",");
}

/** The API fields that a PATCH keeps in line with the spec. */
export type PatchableFields = Pick<
  DesiredApi,
  "serviceUrl" | "path" | "subscriptionRequired" | "displayName" | "protocols"
>;

/** Fields whose value in API Management differs from the desired API. */
export function driftedFields(
  desired: PatchableFields,
  observed: ObservedApi,
): ApiFieldChanges {
  if (!observed.exists) return {};
  const changes: ApiFieldChanges = {};
  if (observed.serviceUrl !== desired.serviceUrl) {
    changes.serviceUrl = desired.serviceUrl;
  }
  if ((observed.path ?? "") !== desired.path) changes.path = desired.path;
  if (
    observed.subscriptionRequired !== undefined &&
    observed.subscriptionRequired !== desired.subscriptionRequired
  ) {
    changes.subscriptionRequired = desired.subscriptionRequired;
  }
  if (
    desired.displayName !== undefined &&
    observed.displayName !== desired.displayName
  ) {
    changes.displayName = desired.displayName;
  }
  if (
    desired.protocols !== undefined &&
    !sameList(observed.protocols, desired.protocols)
  ) {
    changes.protocols = desired.protocols;
  }
  return changes;
}

/**
 * Import when the API is missing or its owner marker carries another import; PATCH only the drifted
 * fields (and the marker's hash) when the import is already there; refuse an API that another APIMAPI owns. An API without
 * our marker (created by hand or by the original operator) is adopted.
 */
export function decideImport(
  desired: DesiredApi,
  observed: ObservedApi,
  owner: OwnerRef,
): ImportDecision {
  if (!observed.exists) {
    return { action: "import", adopted: false, created: true };
  }
  const marker = parseOwnerMarker(observed.revisionDescription);
  if (marker && !markerOwnedBy(marker, owner)) {
    return {
      action: "refuse",
      owner: marker.owner,
      message:
        `API "${desired.apiId}" in API Management is owned by APIMAPI "${marker.owner}"; not taking it over`,
    };
  }
  const adopted = marker === undefined;
  if (
    marker && !markerHasHash(marker, desired.hash) &&
    markerHasImport(marker, desired.importHash)
  ) {
    // Only the path, serviceUrl or subscriptionRequired changed: a PATCH does what an import would.
    return {
      action: "patch",
      changes: driftedFields(desired, observed),
      ifMatch: observed.etag ?? "*",
      marker: ownerMarker(owner, desired.hash, {
        adopted: marker.adopted,
        doc: desired.importHash,
      }),
    };
  }
  if (!marker || !markerHasHash(marker, desired.hash)) {
    return {
      action: "import",
      adopted,
      created: false,
      ...(observed.etag ? { ifMatch: observed.etag } : {}),
    };
  }
  const changes = driftedFields(desired, observed);
  if (Object.keys(changes).length === 0) {
    return { action: "none", adopted: false };
  }
  return { action: "patch", changes, ifMatch: observed.etag ?? "*" };
}

/**
 * Links to add and remove so that exactly the desired ids are linked, removing only ids we linked
 * before. Ids compare case-insensitively, as API Management compares them.
 */
export function planLinks(
  desired: readonly string[],
  actual: readonly string[],
  previouslyLinked: readonly string[],
): { add: string[]; remove: string[] } {
  const key = (id: string) => id.toLowerCase();
  const want = new Set(desired.map(key));
  const have = new Set(actual.map(key));
  const unique = (ids: readonly string[]) =>
    ids.filter((id, i) => ids.findIndex((o) => key(o) === key(id)) === i);
  return {
    add: unique(desired).filter((id) => !have.has(key(id))).sort(),
    remove: unique(previouslyLinked)
      .filter((id) => !want.has(key(id)) && have.has(key(id))).sort(),
  };
}

/**
 * The gateway path of a versioned API: with the Segment scheme the version follows the route
 * prefix (`/orders/v2`); with Header and Query it is the prefix itself.
 */
export function versionedRoutePrefix(
  routePrefix: string,
  versioning: { scheme: string; apiVersion?: string | undefined } | undefined,
): string {
  if (versioning?.scheme !== "Segment" || !versioning.apiVersion) {
    return routePrefix;
  }
  return `${routePrefix.replace(/\/+$/, "")}/${versioning.apiVersion}`;
}

/** `https://{proxy host}{routePrefix}`: where callers reach the API through the gateway. */
export function apiHostOf(proxyHostname: string, routePrefix: string): string {
  const path = routePrefix === "" || routePrefix.startsWith("/")
    ? routePrefix
    : `/${routePrefix}`;
  return `https://${proxyHostname}${path}`;
}
