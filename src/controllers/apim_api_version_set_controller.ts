// APIMAPIVersionSet controller: keeps a version set in API Management (created again if APIM deleted it with its last API).
import {
  createOrUpdateVersionSet,
  deleteVersionSet,
  getVersionSet,
} from "../azure/apim_version_sets.ts";
import type { VersionSetProperties } from "../azure/apim_schemas.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import {
  type ApimApiVersionSet,
  versionSetIdOf,
} from "../crd/apim_api_version_set.ts";
import { apimApiVersionSets } from "../crd/resources.ts";
import { objectKey } from "../kube/kube_object.ts";
import { versionSetProperties } from "../reconcile/plan_entity.ts";
import { apimEntityController } from "./apim_entity_controller.ts";
import type { Controller } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";
import { lookupVersionSet } from "./version_set_lookup.ts";

/** The live APIMAPIs that name `set` as their version set. */
function versionsOf(
  ctx: OperatorContext,
  set: ApimApiVersionSet,
): ApimApi[] {
  return ctx.caches.apimApis.list().filter((api) =>
    api.spec.versionSet !== undefined && !api.metadata.deletionTimestamp &&
    lookupVersionSet(ctx, api.metadata.namespace, api.spec.versionSet)
        ?.metadata.uid === set.metadata.uid
  );
}

/** Builds the APIMAPIVersionSet controller. */
export function apimApiVersionSetController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  return apimEntityController<ApimApiVersionSet, VersionSetProperties>(ctx, {
    name: "apimapiversionset",
    noun: "Version set",
    resource: apimApiVersionSets,
    api: (c) => c.kinds.apimApiVersionSets,
    cache: (c) => c.caches.apimApiVersionSets,
    idOf: versionSetIdOf,
    desired: (set) => versionSetProperties(set.spec),
    get: (c, service, versionSetId) =>
      getVersionSet(c.arm, { service, versionSetId }),
    put: (c, service, versionSetId, properties, ifMatch) =>
      createOrUpdateVersionSet(c.arm, {
        set: { service, versionSetId },
        properties,
        ...(ifMatch === undefined ? {} : { ifMatch }),
      }),
    remove: (c, service, versionSetId) =>
      deleteVersionSet(c.arm, { set: { service, versionSetId }, ifMatch: "*" }),
    statusFields: (_set, versionSetId, entity) => ({
      versionSetId,
      resourceId: entity.entity.id,
      etag: entity.etag ?? null,
    }),
    // Its versions go first: API Management would be left with APIs naming a missing set.
    removalBlocker: (c, set) => {
      const versions = versionsOf(c, set).map((api) => `"${objectKey(api)}"`);
      return versions.length === 0
        ? undefined
        : `APIMAPI ${versions.join(", ")} still ${
          versions.length === 1 ? "is a version" : "are versions"
        } of this set; it is deleted from API Management once they are gone`;
    },
    // API Management deletes a set with its last API: look again when an APIMAPI goes or changes set.
    watchRelated: (c, enqueue) => [
      c.caches.apimApis.subscribe(({ previous, current }) => {
        if (current && previous?.spec.versionSet === current.spec.versionSet) {
          return;
        }
        for (const api of [previous, current]) {
          const name = api?.spec.versionSet;
          if (name === undefined) continue;
          const set = lookupVersionSet(c, api?.metadata.namespace, name);
          if (set) enqueue(objectKey(set));
        }
      }),
    ],
  }, workers);
}
