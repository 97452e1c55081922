// ReplicaSetWatcher: turns a ready rollout of an APIMAPI's workload into an APIMAPIDeployment to register.
import type { LabelSelector } from "kubernetes-types/meta/v1.d.ts";
import type { ApimApi, WorkloadStatus } from "../crd/apim_api.ts";
import type {
  ApimApiDeployment,
  ApimApiDeploymentSpec,
} from "../crd/apim_api_deployment.ts";
import { apimApiDeployments, apimApis } from "../crd/resources.ts";
import { KubeApiError } from "../kube/kube_errors.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { labelSelectorMatches } from "../kube/label_selector.ts";
import { apiVersionOf } from "../kube/resource.ts";
import { DONE, type Outcome } from "../kube/run_controller.ts";
import { resolveDocumentUrl } from "../openapi/document_url.ts";
import { planRollout } from "../reconcile/plan_rollout.ts";
import {
  decideWorkloadState,
  type WorkloadView,
} from "../reconcile/workload_readiness.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import { type Controller, makeController } from "./controller.ts";
import { describeFailure } from "./failure.ts";
import type { OperatorContext } from "./operator_context.ts";
import { patchStatusRetrying } from "./status_patch.ts";
import {
  ingressView,
  type ReplicaSetRecord,
  replicaSetView,
} from "./workload_records.ts";

/** Annotation on an APIMAPI that skips the Ingress gate for a public serviceUrl host. */
export const SKIP_INGRESS_CHECK_ANNOTATION =
  "apim.operator.io/skip-ingress-check";

const NAME_LABEL = "app.kubernetes.io/name";

/** The ReplicaSets an APIMAPI targets: its selector, or the app.kubernetes.io/name=<name> rule. */
export function targetSelector(api: ApimApi): LabelSelector {
  return api.spec.target?.selector ??
    { matchLabels: { [NAME_LABEL]: api.metadata.name } };
}

function sameRecord(a: ReplicaSetRecord, b: ReplicaSetRecord): boolean {
  return JSON.stringify({
    ...a,
    metadata: { ...a.metadata, resourceVersion: "" },
  }) ===
    JSON.stringify({ ...b, metadata: { ...b.metadata, resourceVersion: "" } });
}

/** The matched workloads as status shows them. */
function workloadStatus(views: readonly WorkloadView[]): WorkloadStatus[] {
  return views.map((w) => ({
    owner: w.owner,
    replicaSet: w.replicaSet.name,
    ready: w.ready,
    ...(w.message === undefined ? {} : { message: w.message }),
  }));
}

/** Builds the ReplicaSetWatcher controller (keyed by APIMAPI). */
export function replicaSetWatcher(
  ctx: OperatorContext,
  workers: number,
): Controller {
  const { caches, kinds } = ctx;

  async function ensureDeployment(
    api: ApimApi,
    existing: ApimApiDeployment | undefined,
    spec: ApimApiDeploymentSpec,
    signal: AbortSignal,
  ): Promise<void> {
    const { name } = api.metadata;
    const namespace = api.metadata.namespace ?? "";
    const logger = ctx.logger.child({
      controller: "replicasetwatcher",
      namespace,
      name,
    });
    logger.info("🚀 Preparing APIM deployment", {
      replicaSet: spec.replicaSet?.name,
    });
    if (!existing) {
      try {
        await kinds.apimApiDeployments.create({
          apiVersion: apiVersionOf(apimApiDeployments),
          kind: apimApiDeployments.kind,
          metadata: {
            name,
            namespace,
            labels: { "app.kubernetes.io/managed-by": "azure-apim-operator" },
            ownerReferences: [{
              apiVersion: apiVersionOf(apimApis),
              kind: apimApis.kind,
              name,
              uid: api.metadata.uid ?? "",
              controller: true,
              blockOwnerDeletion: true,
            }],
          },
          spec,
        }, { signal });
        logger.info("📣 Signaled APIMAPIDeployment", {
          replicaSet: spec.replicaSet?.name,
        });
        return;
      } catch (error) {
        // Our cache had not seen it yet: update it instead.
        if (!(error instanceof KubeApiError && error.isAlreadyExists())) {
          throw error;
        }
      }
    }
    await kinds.apimApiDeployments.mergePatch(name, { spec }, {
      namespace,
      signal,
    });
    logger.info("📣 Signaled APIMAPIDeployment", {
      replicaSet: spec.replicaSet?.name,
    });
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const api = caches.apimApis.get(namespace, name);
    if (!api || api.metadata.deletionTimestamp || namespace === undefined) {
      return DONE;
    }
    let documentUrl: string;
    try {
      documentUrl = resolveDocumentUrl(
        api.spec.openApiDefinitionUrl,
        api.spec.serviceUrl,
      );
    } catch (error) {
      const failure = describeFailure(error);
      await reportApiVerdict(
        ctx,
        api,
        {
          state: "stalled",
          reason: failure.reason,
          message: failure.message,
        },
        {},
        signal,
      );
      return DONE;
    }
    const workload = decideWorkloadState({
      namespace,
      replicaSets: caches.replicaSets.list(namespace, targetSelector(api)).map(
        replicaSetView,
      ),
      ingresses: caches.ingresses.list(namespace).map(ingressView),
      serviceUrl: api.spec.serviceUrl,
      skipIngressCheck:
        api.metadata.annotations?.[SKIP_INGRESS_CHECK_ANNOTATION] === "true",
    });
    const deployment = caches.apimApiDeployments.get(namespace, name);
    const plan = planRollout({
      apiName: name,
      generation: api.metadata.generation ?? 0,
      registered: api.status?.registeredReplicaSet,
      registeredSet: api.status?.registeredReplicaSets,
      workload,
      deployment,
      documentUrl,
      serviceUrl: api.spec.serviceUrl,
    });
    // Status first: the registration that the deployment starts then reads it settled.
    const workloads = workloadStatus(workload.workloads);
    // Other writers (GitOps annotations, a registration) must not stall the watcher.
    const accept = (fresh: ApimApi) =>
      !fresh.metadata.deletionTimestamp &&
      fresh.metadata.generation === api.metadata.generation;
    if (plan.verdict) {
      await reportApiVerdict(
        ctx,
        api,
        plan.verdict,
        { workloads },
        signal,
        accept,
      );
    } else {
      await patchStatusRetrying(kinds.apimApis, api, () => ({ workloads }), {
        signal,
        accept,
      });
    }
    if (plan.deployment.action !== "none") {
      await ensureDeployment(api, deployment, plan.deployment.spec, signal);
    }
    return DONE;
  }

  function enqueueApisMatching(
    enqueue: (key: string) => void,
    rs: ReplicaSetRecord,
  ): void {
    const namespace = rs.metadata.namespace;
    for (const api of caches.apimApis.list(namespace)) {
      if (labelSelectorMatches(targetSelector(api), rs.metadata.labels)) {
        enqueue(objectKey(api));
      }
    }
  }

  return makeController(ctx, {
    name: "replicasetwatcher",
    workers,
    reconcile,
    primary: caches.apimApis,
    watch: (enqueue) => [
      caches.replicaSets.subscribe(({ previous, current }) => {
        if (previous && current && sameRecord(previous, current)) return;
        if (previous) enqueueApisMatching(enqueue, previous);
        if (current) enqueueApisMatching(enqueue, current);
      }),
      caches.apimApis.subscribe(({ previous, current }) => {
        if (!current) return;
        const changed = !previous ||
          previous.metadata.generation !== current.metadata.generation ||
          JSON.stringify(previous.status?.registeredReplicaSet) !==
            JSON.stringify(current.status?.registeredReplicaSet) ||
          JSON.stringify(previous.status?.registeredReplicaSets) !==
            JSON.stringify(current.status?.registeredReplicaSets) ||
          previous.metadata.annotations?.[SKIP_INGRESS_CHECK_ANNOTATION] !==
            current.metadata.annotations?.[SKIP_INGRESS_CHECK_ANNOTATION];
        if (changed) enqueue(objectKey(current));
      }),
      caches.ingresses.subscribe(({ previous, current }) => {
        const namespace = (current ?? previous)?.metadata.namespace;
        if (
          JSON.stringify(previous?.hosts) === JSON.stringify(current?.hosts)
        ) return;
        for (const api of caches.apimApis.list(namespace)) {
          enqueue(objectKey(api));
        }
      }),
      caches.apimApiDeployments.subscribe(({ current, previous }) => {
        if (!current && previous) enqueue(objectKey(previous));
      }),
    ],
  });
}
