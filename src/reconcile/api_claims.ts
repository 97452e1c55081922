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
  /** The version set (instance-scoped name, lower-cased) and the version in it, for versioned APIs. */
  versionSet?: string | undefined;
  apiVersion?: string | undefined;
}

/** The claim that blocks `mine`, if any. */
export interface ClaimConflict {
  field: "APIID" | "routePrefix" | "apiVersion";
  owner: string;
  message: string;
}

function olderThan(a: ApiClaim, b: ApiClaim): boolean {
  if (a.creationTimestamp !== b.creationTimestamp) {
    return a.creationTimestamp < b.creationTimestamp;
  }
  return a.owner < b.owner;
}

/** Both claims are versions of one version set. */
function sameVersionSet(a: ApiClaim, b: ApiClaim): boolean {
  return a.versionSet !== undefined && a.versionSet === b.versionSet;
}

/** The version as APIM compares it (absent: the set's unversioned API). */
function versionKey(claim: ApiClaim): string {
  return (claim.apiVersion ?? "").toLowerCase();
}

/**
 * The first older claim on the same instance with the same API id (case-insensitive, as APIM
 * compares ids), the same path outside one version set, or the same version of one set. The
 * older APIMAPI keeps the API; the newer one is reported.
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
    if (sameVersionSet(other, mine)) {
      if (versionKey(other) !== versionKey(mine)) continue;
      return {
        field: "apiVersion",
        owner: other.owner,
        message: `APIMAPI "${other.owner}" already registers version "${
          other.apiVersion ?? ""
        }" of this version set in this API Management instance`,
      };
    }
    // APIM compares paths case-insensitively; versions of one set share theirs.
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
