// New-revision rollouts: the next revision number, its release, and which old revisions to prune.

/** A revision as the revisions list reports it. */
export interface RevisionFacts {
  /** e.g. "3". */
  apiRevision: string;
  isCurrent: boolean;
}

function numberOf(revision: RevisionFacts): number {
  const n = Number(revision.apiRevision);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** The revision a new import goes to: one past the highest existing number. */
export function nextRevision(revisions: readonly RevisionFacts[]): number {
  return revisions.reduce((max, r) => Math.max(max, numberOf(r)), 0) + 1;
}

/**
 * Revisions to delete so that `keep` remain, the current one included: the oldest non-current
 * ones go first. Revisions with non-numeric names (made by hand) are never touched.
 */
export function revisionsToPrune(
  revisions: readonly RevisionFacts[],
  keep: number,
): string[] {
  const numbered = revisions.filter((r) => numberOf(r) > 0);
  const excess = numbered.length - Math.max(1, keep);
  if (excess <= 0) return [];
  return numbered
    .filter((r) => !r.isCurrent)
    .sort((a, b) => numberOf(a) - numberOf(b))
    .slice(0, excess)
    .map((r) => r.apiRevision);
}

/** The id of the API's revision `n` (`{apiId};rev={n}`). */
export function revisionApiId(
  apiId: string,
  revision: number | string,
): string {
  return `${apiId};rev=${revision}`;
}

/** A release id for making `revision` current (APIM release ids: at most 80 characters). */
export function releaseId(revision: number | string): string {
  return `azure-apim-operator-rev-${revision}`;
}

/** The release note: which rollout (ReplicaSet, its workload and images) the revision came from. */
export function releaseNotes(
  rollout: { replicaSet?: string; owner?: string; images?: readonly string[] },
): string {
  const source = rollout.replicaSet
    ? `ReplicaSet "${rollout.replicaSet}"${
      rollout.owner ? ` of ${rollout.owner}` : ""
    }`
    : "a spec change";
  const images = rollout.images ?? [];
  const imageText = images.length > 0 ? ` (${images.join(", ")})` : "";
  return `Released by azure-apim-operator for ${source}${imageText}`.slice(
    0,
    1000,
  );
}
