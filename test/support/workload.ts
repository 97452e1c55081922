// Plays the kubelet for test workloads: Deployments become ReplicaSets and Pods (kube-controller-manager), and
// this module marks the Pods Running and Ready so that the ReplicaSet reports ready replicas.
import type { GenericObject } from "../../src/kube/kube_object.ts";
import type { ResourceDescriptor } from "../../src/kube/resource.ts";
import type { E2eEnvironment, TestApis } from "./e2e_environment.ts";
import { waitFor } from "./wait.ts";

/** apps/v1 Deployment (the operator itself never reads Deployments, so src/ does not describe them). */
export const deployments: ResourceDescriptor = {
  group: "apps",
  version: "v1",
  plural: "deployments",
  kind: "Deployment",
  namespaced: true,
};

/** A Deployment whose pods carry `labels` and run `image`. */
export function deploymentManifest(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  options: { image?: string; replicas?: number } = {},
): object {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas: options.replicas ?? 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [{ name: "api", image: options.image ?? `${name}:1` }],
        },
      },
    },
  };
}

function podReadyPatch(now: string) {
  return {
    status: {
      phase: "Running",
      conditions: [
        { type: "PodScheduled", status: "True", lastTransitionTime: now },
        { type: "Initialized", status: "True", lastTransitionTime: now },
        { type: "ContainersReady", status: "True", lastTransitionTime: now },
        { type: "Ready", status: "True", lastTransitionTime: now },
      ],
    },
  };
}

function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

/**
 * Marks every not-yet-ready pod matching `labels` as Running and Ready, until the Deployment's newest
 * ReplicaSet reports all its replicas ready and older ones none. Returns that ReplicaSet.
 */
export async function makeRolloutReady(
  env: { apis: Pick<TestApis, "deployments" | "pods" | "replicaSets"> },
  namespace: string,
  deploymentName: string,
  labels: Record<string, string>,
): Promise<GenericObject> {
  return await waitFor(async () => {
    const pods = await env.apis.pods.list({
      namespace,
      labelSelector: labelSelector(labels),
    });
    const now = new Date().toISOString();
    for (const pod of pods.items) {
      const status = pod["status"] as {
        conditions?: Array<{ type: string; status: string }>;
      } | undefined;
      const ready = status?.conditions?.some((c) =>
        c.type === "Ready" && c.status === "True"
      );
      if (!ready && !pod.metadata?.deletionTimestamp) {
        await env.apis.pods.mergePatch(
          pod.metadata?.name ?? "",
          podReadyPatch(now),
          {
            namespace,
            subresource: "status",
          },
        );
      }
    }
    const sets = await env.apis.replicaSets.list({
      namespace,
      labelSelector: labelSelector(labels),
    });
    const owned = sets.items.filter((rs) =>
      rs.metadata?.ownerReferences?.some((o) =>
        o.kind === "Deployment" && o.name === deploymentName
      )
    );
    const revision = (rs: GenericObject) =>
      Number(
        rs.metadata?.annotations?.["deployment.kubernetes.io/revision"] ?? 0,
      );
    const newest = owned.sort((a, b) => revision(b) - revision(a))[0];
    // Until the controller-manager has seen the latest template, the newest ReplicaSet may be the old one.
    const deployment = await env.apis.deployments.find(deploymentName, {
      namespace,
    });
    const observed = (deployment?.["status"] as
      | { observedGeneration?: number }
      | undefined)?.observedGeneration;
    if (
      !newest || !deployment || observed !== deployment.metadata?.generation ||
      revision(newest) !== revision(deployment)
    ) return undefined;
    const spec = newest["spec"] as { replicas?: number };
    const rsStatus = newest["status"] as { readyReplicas?: number } | undefined;
    const drained = owned.slice(1).every((rs) =>
      ((rs["status"] as { readyReplicas?: number } | undefined)
        ?.readyReplicas ?? 0) === 0
    );
    return (rsStatus?.readyReplicas ?? 0) === (spec.replicas ?? 1) && drained
      ? newest
      : undefined;
  }, {
    description:
      `Deployment "${namespace}/${deploymentName}" to be rolled out and ready`,
    timeoutMs: 60_000,
  });
}

/** Applies a Deployment and waits until its ReplicaSet is ready. */
export async function deployReadyWorkload(
  env: E2eEnvironment,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  options: { image?: string; replicas?: number } = {},
): Promise<GenericObject> {
  await env.apply([deploymentManifest(namespace, name, labels, options)]);
  return await makeRolloutReady(env, namespace, name, labels);
}
