// Maps an API as ARM returns it to the facts the import and drift decisions compare.
import type { ApiContract } from "../azure/apim_schemas.ts";
import type { ObservedApi } from "../reconcile/plan_import.ts";
import { compact } from "../util/compact.ts";

/** The observed API (or its absence) from a GET's entity and ETag. */
export function observedApi(
  contract: ApiContract | undefined,
  etag?: string,
): ObservedApi {
  if (!contract) return { exists: false };
  const p = contract.properties;
  return {
    exists: true,
    ...compact({
      etag,
      path: p.path,
      serviceUrl: p.serviceUrl,
      subscriptionRequired: p.subscriptionRequired,
      displayName: p.displayName,
      description: p.description,
      protocols: p.protocols,
      revisionDescription: p.apiRevisionDescription,
      apiRevision: p.apiRevision,
      apiVersion: p.apiVersion,
    }),
  };
}
