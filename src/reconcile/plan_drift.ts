// Decides what a periodic drift check does about a registered API as API Management holds it now.
import type { ApimApiSpec } from "../crd/apim_api.ts";
import {
  apimPath,
  markerHasHash,
  markerOwnedBy,
  type OwnerRef,
  parseOwnerMarker,
} from "./desired_api.ts";
import {
  type ApiFieldChanges,
  driftedFields,
  type ObservedApi,
  type PatchableFields,
} from "./plan_import.ts";

/** The drift check's conclusion. */
export type DriftDecision =
  | { action: "none" }
  /** The API is gone, or holds another import than ours: register the workload again. */
  | {
    action: "reregister";
    reason: "APIDeleted" | "APIReimported";
    message: string;
  }
  | {
    action: "patch";
    changes: ApiFieldChanges;
    ifMatch: string;
    message: string;
  }
  | { action: "conflict"; message: string };

/** The fields the spec asks for, as a PATCH would set them. */
export function patchableFields(spec: ApimApiSpec): PatchableFields {
  return {
    serviceUrl: spec.serviceUrl,
    path: apimPath(spec.routePrefix),
    subscriptionRequired: spec.subscriptionRequired,
    ...(spec.displayName === undefined
      ? {}
      : { displayName: spec.displayName }),
    ...(spec.protocols === undefined
      ? {}
      : { protocols: [...spec.protocols].sort() }),
  };
}

/**
 * A registered API that disappeared or carries another hash is registered again; one that another
 * APIMAPI took over is reported; drifted fields are patched back; otherwise nothing is written.
 */
export function decideDrift(
  spec: ApimApiSpec,
  appliedHash: string,
  observed: ObservedApi,
  owner: OwnerRef,
): DriftDecision {
  if (!observed.exists) {
    return {
      action: "reregister",
      reason: "APIDeleted",
      message:
        `API "${spec.APIID}" was deleted outside Kubernetes; registering it again`,
    };
  }
  const marker = parseOwnerMarker(observed.revisionDescription);
  if (marker && !markerOwnedBy(marker, owner)) {
    return {
      action: "conflict",
      message:
        `API "${spec.APIID}" was taken over by APIMAPI "${marker.owner}"`,
    };
  }
  if (!marker || !markerHasHash(marker, appliedHash)) {
    return {
      action: "reregister",
      reason: "APIReimported",
      message:
        `API "${spec.APIID}" holds a document that the operator did not import; importing ours again`,
    };
  }
  const changes = driftedFields(patchableFields(spec), observed);
  const names = Object.keys(changes);
  if (names.length === 0) return { action: "none" };
  return {
    action: "patch",
    changes,
    ifMatch: observed.etag ?? "*",
    message: `Restored ${
      names.join(", ")
    } of API "${spec.APIID}" changed outside Kubernetes`,
  };
}
