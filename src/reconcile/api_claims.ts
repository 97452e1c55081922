// Detects two APIMAPIs claiming the same API id or URL path in one API Management instance; the older one wins.

/** What one APIMAPI claims in an instance. */
export interface ApiClaim {
  /** `namespace/name` of the APIMAPI. */
  owner: string;
  creationTimestamp: string;
  /** Identity of the instance (subscription/resourceGroup/name, lower-cased). */
  service: string;
  apiId: string;
  /** APIM path (no leading slash). */
  path: string;
}

/** The claim that blocks `mine`, if any. */
export interface ClaimConflict {
  field: "APIID" | "routePrefix";
  owner: string;
  message: string;
}

function olderThan(a: ApiClaim, b: ApiClaim): boolean {
  if (a.creationTimestamp !== b.creationTimestamp) {
    return a.creationTimestamp < b.creationTimestamp;
  }
  return a.owner < b.owner;
}

/**
 * The first older claim on the same instance with the same API id (case-insensitive, as APIM
 * compares ids) or the same path. The older APIMAPI keeps the API; the newer one is reported.
 */
export function findClaimConflict(
  mine: ApiClaim,
  others: readonly ApiClaim[],
): ClaimConflict | undefined {
  for (const other of others) {
    if (other.owner === mine.owner || other.service !== mine.service) continue;
    if (!olderThan(other, mine)) continue;
    if (other.apiId.toLowerCase() === mine.apiId.toLowerCase()) {
      return {
        field: "APIID",
        owner: other.owner,
        message:
          `APIMAPI "${other.owner}" already registers API "${other.apiId}" in this API Management instance`,
      };
    }
    // APIM compares paths case-insensitively.
    if (other.path.toLowerCase() === mine.path.toLowerCase()) {
      return {
        field: "routePrefix",
        owner: other.owner,
        message:
          `APIMAPI "${other.owner}" already uses the path "/${other.path}" in this API Management instance`,
      };
    }
  }
  return undefined;
}
