// APIMService controller: reads the instance from ARM and reports its hostnames and readiness in status.
import { getApimService } from "../azure/apim_service.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { apimServices } from "../crd/resources.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import type { StatusVerdict } from "../reconcile/conditions.ts";
import {
  serviceStatusFields,
  serviceVerdict,
} from "../reconcile/service_status.ts";
import { type Controller, jittered, makeController } from "./controller.ts";
import { describeFailure, ReportedFailure } from "./failure.ts";
import { failureVerdict, reportVerdict } from "./verdict_status.ts";
import type { OperatorContext } from "./operator_context.ts";
import { serviceRef } from "./service_lookup.ts";

/** How soon a service that is still provisioning is looked at again. */
const PROVISIONING_RECHECK_MS = 60_000;

/** Builds the APIMService controller. */
export function apimServiceController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  const { caches, kinds } = ctx;

  function report(
    service: ApimService,
    verdict: StatusVerdict,
    fields: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<ApimService> {
    const target = { api: kinds.apimServices, resource: apimServices };
    return reportVerdict(ctx, target, service, verdict, fields, signal);
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const service = caches.apimServices.get(namespace, name);
    if (!service || service.metadata.deletionTimestamp) return DONE;
    let instance;
    try {
      instance = await getApimService(ctx.arm, serviceRef(service));
    } catch (error) {
      const failure = describeFailure(error);
      await report(service, failureVerdict(failure), {}, signal);
      throw new ReportedFailure(failure);
    }
    const verdict = serviceVerdict(instance);
    await report(service, verdict, serviceStatusFields(instance), signal);
    return verdict.state === "progressing"
      ? requeueAfter(PROVISIONING_RECHECK_MS)
      : requeueAfter(jittered(ctx.settings.resyncPeriodMs, ctx.random));
  }

  return makeController(ctx, {
    name: "apimservice",
    workers,
    reconcile,
    primary: caches.apimServices,
    watch: (enqueue) => [
      caches.apimServices.subscribe(({ current, previous }) => {
        const object = current ?? previous;
        if (!object) return;
        // Status writes of our own do not need another look.
        if (
          current && previous &&
          current.metadata.generation === previous.metadata.generation
        ) {
          return;
        }
        enqueue(objectKey(object));
      }),
    ],
  });
}
