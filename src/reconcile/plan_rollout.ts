// Decides when a ready rollout needs an APIMAPIDeployment, and what an APIMAPI waiting for its workload reports.
import type { ApimApiDeploymentSpec } from "../crd/apim_api_deployment.ts";
import type { StatusVerdict } from "./conditions.ts";
import type { WorkloadState } from "./workload_readiness.ts";

/** The facts of one APIMAPI the watcher decides on. */
export interface RolloutInputs {
  apiName: string;
  generation: number;
  /** What the APIMAPI's status says was registered last. */
  registered?: { uid?: string; generation?: number } | undefined;
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

/**
 * A ready rollout gets a deployment unless its ReplicaSet and the APIMAPI generation are already
 * registered or already have a deployment. While the workload is not ready, an APIMAPI whose
 * current generation was never registered reports why it waits; one that is registered keeps
 * its status (the previous registration still serves).
 */
export function planRollout(inputs: RolloutInputs): RolloutPlan {
  const { workload, registered, deployment, generation } = inputs;
  const registeredThisGeneration = registered?.generation === generation;
  if (workload.state !== "Ready") {
    if (registeredThisGeneration || deployment) {
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
  const rs = workload.replicaSet;
  if (registeredThisGeneration && registered?.uid === rs.uid) {
    return { deployment: { action: "none" } };
  }
  const spec: ApimApiDeploymentSpec = {
    apimApiName: inputs.apiName,
    replicaSet: { name: rs.name, uid: rs.uid, images: rs.images },
    apimApiGeneration: generation,
    openApiDefinitionUrl: inputs.documentUrl,
    serviceUrl: inputs.serviceUrl,
  };
  if (!deployment) return { deployment: { action: "create", spec } };
  const current = deployment.spec;
  const same = current.replicaSet?.uid === rs.uid &&
    current.apimApiGeneration === generation &&
    current.openApiDefinitionUrl === spec.openApiDefinitionUrl &&
    current.serviceUrl === spec.serviceUrl;
  return same
    ? { deployment: { action: "none" } }
    : { deployment: { action: "update", spec } };
}
