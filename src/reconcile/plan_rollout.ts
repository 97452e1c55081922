// Decides when a ready rollout needs an APIMAPIDeployment, and what an APIMAPI waiting for its workload reports.
import type { ApimApiDeploymentSpec } from "../crd/apim_api_deployment.ts";
import type { StatusVerdict } from "./conditions.ts";
import type { ReplicaSetView, WorkloadState } from "./workload_readiness.ts";

/** The facts of one APIMAPI the watcher decides on. */
export interface RolloutInputs {
  apiName: string;
  generation: number;
  /** What the APIMAPI's status says was registered last (the triggering rollout and generation). */
  registered?: { uid?: string; generation?: number } | undefined;
  /** The ready ReplicaSets the last registration covered. */
  registeredSet?: readonly { uid: string }[] | undefined;
  workload: WorkloadState;
  /** The APIMAPIDeployment of this APIMAPI, if one exists. */
  deployment?: { spec: ApimApiDeploymentSpec } | undefined;
  /** openApiDefinitionUrl resolved against serviceUrl. */
  documentUrl: string;
  serviceUrl: string;
}

/** What the watcher does: create or update the deployment, and/or report a waiting verdict. */
export interface RolloutPlan {
  deployment: { action: "none" } | {
    action: "create" | "update";
    spec: ApimApiDeploymentSpec;
  };
  /** Set when the APIMAPI has nothing registered for its generation and is waiting on its workload. */
  verdict?: StatusVerdict;
}

const WAITING_REASONS: Record<
  Exclude<WorkloadState["state"], "Ready">,
  string
> = {
  NoMatch: "NoMatchingReplicaSet",
  NotReady: "WaitingForReplicaSet",
  WaitingForIngress: "WaitingForIngress",
};

function byCreation(a: ReplicaSetView, b: ReplicaSetView): number {
  return b.creationTimestamp.localeCompare(a.creationTimestamp) ||
    b.name.localeCompare(a.name);
}

function sameSet(
  a: readonly { uid: string }[] | undefined,
  b: readonly { uid: string }[] | undefined,
): boolean {
  const key = (set: readonly { uid: string }[] | undefined) =>
    (set ?? []).map((r) => r.uid).sort().join(",");
  return key(a) === key(b);
}

/**
 * A ready rollout of any matched workload gets a deployment unless every ready ReplicaSet and the
 * APIMAPI generation are already registered or already have one; the newest ReplicaSet not yet
 * registered is named as the trigger (release notes, status). While no workload is ready, an
 * APIMAPI whose current generation was never registered reports why it waits; one that is
 * registered keeps its status (the previous registration still serves).
 */
export function planRollout(inputs: RolloutInputs): RolloutPlan {
  const { workload, registered, deployment, generation } = inputs;
  const registeredThisGeneration = registered?.generation === generation;
  // A record the original operator left (no ReplicaSet of ours) is no rollout: it becomes one.
  const signalled = deployment?.spec.replicaSet !== undefined;
  if (workload.state !== "Ready") {
    if (registeredThisGeneration || signalled) {
      return { deployment: { action: "none" } };
    }
    return {
      deployment: { action: "none" },
      verdict: {
        state: "progressing",
        reason: WAITING_REASONS[workload.state],
        message: workload.message,
      },
    };
  }
  // Before sets were recorded, the one registered ReplicaSet stood for the set.
  const covered = new Set(
    (inputs.registeredSet ??
      (registered?.uid ? [{ uid: registered.uid }] : [])).map((r) => r.uid),
  );
  const fresh = workload.ready.filter((rs) => !covered.has(rs.uid))
    .sort(byCreation);
  if (registeredThisGeneration && fresh.length === 0) {
    return { deployment: { action: "none" } };
  }
  // A trigger already signalled keeps its place while it is still unregistered.
  const rs = fresh.find((r) => r.uid === deployment?.spec.replicaSet?.uid) ??
    fresh[0] ?? [...workload.ready].sort(byCreation)[0];
  if (!rs) return { deployment: { action: "none" } };
  const spec: ApimApiDeploymentSpec = {
    apimApiName: inputs.apiName,
    replicaSet: {
      name: rs.name,
      uid: rs.uid,
      ...(rs.owner === undefined ? {} : { owner: rs.owner }),
      images: rs.images,
    },
    readyReplicaSets: workload.ready.map((r) => ({ name: r.name, uid: r.uid }))
      .sort((a, b) => a.uid.localeCompare(b.uid)),
    apimApiGeneration: generation,
    openApiDefinitionUrl: inputs.documentUrl,
    serviceUrl: inputs.serviceUrl,
  };
  if (!deployment) return { deployment: { action: "create", spec } };
  const current = deployment.spec;
  const same = current.replicaSet?.uid === rs.uid &&
    current.apimApiGeneration === generation &&
    sameSet(current.readyReplicaSets, spec.readyReplicaSets) &&
    current.openApiDefinitionUrl === spec.openApiDefinitionUrl &&
    current.serviceUrl === spec.serviceUrl;
  return same
    ? { deployment: { action: "none" } }
    : { deployment: { action: "update", spec } };
}
