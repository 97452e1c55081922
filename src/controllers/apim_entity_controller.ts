// The shared lifecycle of API Management entities managed by a CR (products, tags): finalizer, PUT on drift, delete.
import type { ApimServiceRef } from "../azure/apim_paths.ts";
import type { Versioned } from "../azure/arm_resources.ts";
import type { DeletionPolicy } from "../crd/meta.ts";
import type { Cache } from "../kube/cache.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import type { KubeObject } from "../kube/kube_object.ts";
import type { ResourceDescriptor } from "../kube/resource.ts";
import type { ResourceApi } from "../kube/resource_api.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { type StatusVerdict } from "../reconcile/conditions.ts";
import { differingFields } from "../reconcile/plan_entity.ts";
import {
  type Controller,
  involvedObject,
  jittered,
  makeController,
} from "./controller.ts";
import { describeFailure, ReportedFailure } from "./failure.ts";
import { failureVerdict, reportVerdict } from "./verdict_status.ts";
import { addFinalizer, hasFinalizer, removeFinalizer } from "./finalizers.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  lookupService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";
import { type StatusPatch } from "./status_patch.ts";

/** The CR shape the lifecycle needs. */
export interface EntityObject extends KubeObject {
  metadata: KubeObject["metadata"] & { name: string };
  spec: { apimService: string; deletionPolicy: DeletionPolicy };
  status?: { conditions?: import("../crd/meta.ts").Condition[] } | undefined;
}

/** What differs between products and tags. */
export interface EntityKind<
  T extends EntityObject,
  P extends Record<string, unknown>,
> {
  /** Controller name, e.g. `apimproduct`. */
  name: string;
  /** "Product" or "Tag", for messages. */
  noun: string;
  resource: ResourceDescriptor;
  api(ctx: OperatorContext): ResourceApi<T>;
  cache(ctx: OperatorContext): Cache<T>;
  /** The entity id in API Management. */
  idOf(object: T): string;
  desired(object: T): P;
  get(ctx: OperatorContext, service: ApimServiceRef, id: string): Promise<
    Versioned<{ properties: Record<string, unknown> }> | undefined
  >;
  put(
    ctx: OperatorContext,
    service: ApimServiceRef,
    id: string,
    properties: P,
    ifMatch: string | undefined,
  ): Promise<Versioned<{ properties: Record<string, unknown> }>>;
  remove(
    ctx: OperatorContext,
    service: ApimServiceRef,
    id: string,
  ): Promise<void>;
  /** Status fields besides the conditions (the seed's phase/message included). */
  statusFields(
    object: T,
    id: string,
    entity: Versioned<{ properties: Record<string, unknown> }>,
  ): StatusPatch;
}

/** Builds the controller of one entity kind. */
export function apimEntityController<
  T extends EntityObject,
  P extends Record<string, unknown>,
>(ctx: OperatorContext, kind: EntityKind<T, P>, workers: number): Controller {
  const api = kind.api(ctx);
  const cache = kind.cache(ctx);

  function event(
    object: T,
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ) {
    return ctx.events.record(involvedObject(kind.resource, object), {
      type,
      reason,
      note,
    });
  }

  function report(
    object: T,
    verdict: StatusVerdict,
    fields: StatusPatch,
    signal: AbortSignal,
  ): Promise<T> {
    // The seed's phase/message: Created when in sync, Error when stalled.
    const seed = verdict.state === "stalled"
      ? { phase: "Error", message: verdict.message }
      : {};
    return reportVerdict(
      ctx,
      { api, resource: kind.resource },
      object,
      verdict,
      {
        ...fields,
        ...seed,
      },
      signal,
    );
  }

  /** The older CR wins when two name the same entity in the same instance. */
  function claimConflict(object: T, identity: string): string | undefined {
    const id = kind.idOf(object).toLowerCase();
    const mine = `${object.metadata.creationTimestamp ?? ""}|${
      objectKey(object)
    }`;
    const older = cache.list().find((other) => {
      if (
        objectKey(other) === objectKey(object) ||
        other.metadata.deletionTimestamp
      ) return false;
      if (kind.idOf(other).toLowerCase() !== id) return false;
      const service = lookupService(
        ctx,
        other.metadata.namespace,
        other.spec.apimService,
      );
      if (!service || serviceIdentity(service) !== identity) return false;
      return `${other.metadata.creationTimestamp ?? ""}|${objectKey(other)}` <
        mine;
    });
    return older
      ? `${kind.resource.kind} "${
        objectKey(older)
      }" already manages ${kind.noun.toLowerCase()} "${
        kind.idOf(object)
      }" in this API Management instance`
      : undefined;
  }

  async function finalize(object: T, signal: AbortSignal): Promise<Outcome> {
    const id = kind.idOf(object);
    const service = lookupService(
      ctx,
      object.metadata.namespace,
      object.spec.apimService,
    );
    if (object.spec.deletionPolicy === "Retain") {
      ctx.logger.info(
        `Retained the ${kind.noun.toLowerCase()} in API Management (deletionPolicy Retain)`,
        {
          controller: kind.name,
          namespace: object.metadata.namespace,
          name: object.metadata.name,
          id,
        },
      );
      await event(
        object,
        "Normal",
        "Retained",
        `Left ${kind.noun.toLowerCase()} "${id}" in API Management`,
      );
    } else if (!service) {
      await event(
        object,
        "Warning",
        "APIMServiceNotFound",
        `APIMService "${object.spec.apimService}" is gone; released the finalizer without deleting ${kind.noun.toLowerCase()} "${id}"`,
      );
    } else if (claimConflict(object, serviceIdentity(service))) {
      await event(
        object,
        "Warning",
        "NotOwned",
        `Left ${kind.noun.toLowerCase()} "${id}" to its older owner`,
      );
    } else {
      await kind.remove(ctx, serviceRef(service), id);
      await event(
        object,
        "Normal",
        "Deleted",
        `Deleted ${kind.noun.toLowerCase()} "${id}" from API Management`,
      );
    }
    await removeFinalizer(api, object, signal);
    return DONE;
  }

  async function converge(object: T, signal: AbortSignal): Promise<Outcome> {
    const service = lookupService(
      ctx,
      object.metadata.namespace,
      object.spec.apimService,
    );
    if (!service) {
      throw new ReportedFailure({
        decision: { kind: "backoff" },
        reason: "APIMServiceNotFound",
        message:
          `APIMService "${object.spec.apimService}" was not found in namespace "${object.metadata.namespace}" or in the operator namespace "${ctx.settings.operatorNamespace}"`,
      });
    }
    const conflict = claimConflict(object, serviceIdentity(service));
    if (conflict) {
      throw new ReportedFailure({
        decision: { kind: "terminal" },
        reason: "IDConflict",
        message: conflict,
      });
    }
    const id = kind.idOf(object);
    const ref = serviceRef(service);
    const desired = kind.desired(object);
    const current = await kind.get(ctx, ref, id);
    const drift = differingFields(desired, current?.entity.properties);
    if (drift.length > 0) {
      ctx.logger.info(
        current
          ? `Updating ${kind.noun.toLowerCase()}`
          : `Creating ${kind.noun.toLowerCase()}`,
        {
          controller: kind.name,
          namespace: object.metadata.namespace,
          name: object.metadata.name,
          id,
          fields: drift,
        },
      );
    }
    const entity = current && drift.length === 0
      ? current
      : await kind.put(ctx, ref, id, desired, current?.etag);
    const verb = drift.length === 0 ? "in sync" : "applied";
    await report(
      object,
      {
        state: "ready",
        reason: "Synced",
        message:
          `${kind.noun} "${id}" is ${verb} in API Management instance "${ref.serviceName}"`,
      },
      kind.statusFields(object, id, entity),
      signal,
    );
    return requeueAfter(jittered(ctx.settings.resyncPeriodMs, ctx.random));
  }

  async function reconcile(key: string, signal: AbortSignal): Promise<Outcome> {
    const { namespace, name } = parseObjectKey(key);
    const object = cache.get(namespace, name);
    if (!object) return DONE;
    try {
      if (object.metadata.deletionTimestamp) {
        return hasFinalizer(object) ? await finalize(object, signal) : DONE;
      }
      if (!hasFinalizer(object)) {
        await addFinalizer(api, object, signal);
        return DONE;
      }
      return await converge(object, signal);
    } catch (error) {
      const failure = describeFailure(error);
      await report(object, failureVerdict(failure), {}, signal).catch(() => {});
      throw new ReportedFailure(failure);
    }
  }

  return makeController(ctx, {
    name: kind.name,
    workers,
    reconcile,
    primary: cache,
    watch: (enqueue) => [
      cache.subscribe(({ previous, current }) => {
        if (!current) return;
        const specChanged = !previous ||
          previous.metadata.generation !== current.metadata.generation;
        const lifecycle = current.metadata.deletionTimestamp !== undefined ||
          hasFinalizer(current) !== hasFinalizer(previous ?? current);
        if (specChanged || lifecycle) enqueue(objectKey(current));
      }),
      // A service that appears or becomes ready lets waiting entities proceed.
      ctx.caches.apimServices.subscribe(({ current }) => {
        if (!current) return;
        for (const object of cache.list()) {
          if (object.spec.apimService === current.metadata.name) {
            enqueue(objectKey(object));
          }
        }
      }),
    ],
  });
}
