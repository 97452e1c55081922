// Finds the APIMAPIVersionSet an APIMAPI joins and says whether its registration can use it.
import { versionSetResourceId } from "../azure/apim_paths.ts";
import type { VersioningScheme } from "../azure/apim_schemas.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import {
  type ApimApiVersionSet,
  versionSetIdOf,
} from "../crd/apim_api_version_set.ts";
import type { ApimService } from "../crd/apim_service.ts";
import type { VersionSetProblem } from "../reconcile/registration_facts.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  lookupService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";

/** The version set as the import names it and the gateway serves it. */
export interface UsableVersionSet {
  /** ARM id, the import's `apiVersionSetId`. */
  resourceId: string;
  scheme: VersioningScheme;
}

/** The APIMAPIVersionSet `name`, looked up in `namespace`, then in the operator namespace. */
export function lookupVersionSet(
  ctx: OperatorContext,
  namespace: string | undefined,
  name: string,
): ApimApiVersionSet | undefined {
  return ctx.caches.apimApiVersionSets.get(namespace, name) ??
    ctx.caches.apimApiVersionSets.get(ctx.settings.operatorNamespace, name);
}

/**
 * The version set `api` joins, or why the registration must wait (missing, not in API Management
 * yet) or is refused (a set of another instance). Nothing for an unversioned API.
 */
export function resolveVersionSet(
  ctx: OperatorContext,
  api: ApimApi,
  service: ApimService,
): { usable?: UsableVersionSet; problem?: VersionSetProblem } {
  const name = api.spec.versionSet;
  if (name === undefined) return {};
  const set = lookupVersionSet(ctx, api.metadata.namespace, name);
  if (!set) {
    return {
      problem: {
        retry: "wait",
        reason: "VersionSetNotFound",
        message:
          `APIMAPIVersionSet "${name}" was not found in namespace "${api.metadata.namespace}" or in the operator namespace "${ctx.settings.operatorNamespace}"`,
      },
    };
  }
  const setService = lookupService(
    ctx,
    set.metadata.namespace,
    set.spec.apimService,
  );
  if (setService && serviceIdentity(setService) !== serviceIdentity(service)) {
    return {
      problem: {
        retry: "refuse",
        reason: "VersionSetInAnotherInstance",
        message:
          `APIMAPIVersionSet "${name}" belongs to another API Management instance than APIMService "${api.spec.apimService}"`,
      },
    };
  }
  const ready = set.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status !== "True" || set.metadata.deletionTimestamp) {
    return {
      problem: {
        retry: "wait",
        reason: "WaitingForVersionSet",
        message: `APIMAPIVersionSet "${name}" is not ready${
          ready ? `: ${ready.message}` : ""
        }`,
      },
    };
  }
  return {
    usable: {
      resourceId: versionSetResourceId({
        service: serviceRef(service),
        versionSetId: versionSetIdOf(set),
      }),
      scheme: set.spec.versioningScheme,
    },
  };
}

/** The version set an APIMAPI claims in its instance (the set's id, lower-cased), for claim checks. */
export function claimedVersionSet(
  ctx: OperatorContext,
  api: ApimApi,
): string | undefined {
  const name = api.spec.versionSet;
  if (name === undefined) return undefined;
  const set = lookupVersionSet(ctx, api.metadata.namespace, name);
  return (set ? versionSetIdOf(set) : name).toLowerCase();
}
