// APIMAPIDeployment controller: registers one rollout in API Management, then deletes the record.
import type { ApimApi } from "../crd/apim_api.ts";
import {
  type ApimApiDeployment,
  apimApiNameOf,
  isOriginalRecord,
} from "../crd/apim_api_deployment.ts";
import type { Condition } from "../crd/meta.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { findCondition } from "../reconcile/conditions.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import {
  type Controller,
  LOCKED_RETRY_MS,
  makeController,
} from "./controller.ts";
import { ReportedFailure } from "./failure.ts";
import type { OperatorContext } from "./operator_context.ts";
import { Registration } from "./registration.ts";
import { retryToken } from "./registration_rules.ts";

/**
 * A rollout that failed permanently stays failed until its spec changes (a new rollout or APIMAPI
 * generation) or the user sets a new value of the retry annotation on the APIMAPI.
 */
export function settledFailure(
  deployment: ApimApiDeployment,
  api: ApimApi,
): boolean {
  const status = deployment.status;
  return status?.phase === "Failed" &&
    status.observedGeneration === deployment.metadata.generation &&
    (status.retryToken ?? "") === retryToken(api);
}

function isReady(
  object: { status?: { conditions?: Condition[] } | undefined },
): boolean {
  return findCondition(object.status?.conditions, "Ready")?.status === "True";
}

function becameReady(
  previous: { status?: { conditions?: Condition[] } | undefined } | undefined,
  current: { status?: { conditions?: Condition[] } | undefined },
): boolean {
  return isReady(current) && (!previous || !isReady(previous));
}

/** Builds the APIMAPIDeployment controller (keyed by deployment, named like its APIMAPI). */
export function apimApiDeploymentController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  const { caches, kinds } = ctx;
  /**
   * Failures this process settled, by deployment key (uid, generation, retry token): a pass that
   * runs again at once (another trigger came in meanwhile) may read a cached deployment that does
   * not show the Failed phase the last one wrote yet.
   */
  const settled = new Map<string, string>();
  const settledAs = (deployment: ApimApiDeployment, api: ApimApi) =>
    JSON.stringify([
      deployment.metadata.uid,
      deployment.metadata.generation,
      retryToken(api),
    ]);

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const deployment = caches.apimApiDeployments.get(namespace, name);
    if (!deployment || deployment.metadata.deletionTimestamp) return DONE;
    // The original operator's record waits for the ReplicaSetWatcher to make it a rollout of ours
    // (its status, with the original's last import, stays for the registration to read).
    if (isOriginalRecord(deployment)) return DONE;
    // Read the APIMAPI from the API server: its status holds the pending operation, and a stale
    // cached copy could start a second import.
    const api = await kinds.apimApis.find(apimApiNameOf(deployment), {
      namespace,
      signal,
    });
    if (!api || api.metadata.deletionTimestamp) return DONE;
    if (
      settledFailure(deployment, api) ||
      settled.get(key) === settledAs(deployment, api)
    ) return DONE;
    settled.delete(key);
    // One pass at a time per API: a deletion or drift check in flight finishes first.
    return await ctx.apiLocks.tryRun(
      `${namespace}/${api.metadata.name}`,
      requeueAfter(LOCKED_RETRY_MS),
      () =>
        new Registration(ctx, deployment, api, signal).run().catch((error) => {
          if (
            error instanceof ReportedFailure &&
            error.failure.decision.kind === "terminal"
          ) settled.set(key, settledAs(deployment, api));
          throw error;
        }),
    );
  }

  function deploymentsOf(
    namespace: string | undefined,
    apiName: string,
  ): string[] {
    return caches.apimApiDeployments.list(namespace)
      .filter((d) => apimApiNameOf(d) === apiName)
      .map((d) => objectKey(d));
  }

  return makeController(ctx, {
    name: "apimapideployment",
    workers,
    reconcile,
    primary: caches.apimApiDeployments,
    watch: (enqueue) => [
      caches.apimApiDeployments.subscribe(({ previous, current }) => {
        if (!current) {
          if (previous) settled.delete(objectKey(previous));
          return;
        }
        if (
          previous &&
          previous.metadata.generation === current.metadata.generation
        ) return;
        enqueue(objectKey(current));
      }),
      // A retry or adopt annotation concerns its deployment.
      caches.apimApis.subscribe(({ previous, current }) => {
        if (!current || !previous) return;
        if (retryToken(previous) === retryToken(current)) return;
        for (
          const key of deploymentsOf(
            current.metadata.namespace,
            current.metadata.name,
          )
        ) {
          enqueue(key);
        }
      }),
      // A service, product or tag that becomes Ready may unblock registrations waiting for it.
      ...[caches.apimServices, caches.apimProducts, caches.apimTags].map((
        cache,
      ) =>
        cache.subscribe(({ previous, current }) => {
          if (!current || !becameReady(previous, current)) return;
          for (const d of caches.apimApiDeployments.list()) {
            enqueue(objectKey(d));
          }
        })
      ),
    ],
  });
}
