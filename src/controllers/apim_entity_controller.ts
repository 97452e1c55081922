// The shared lifecycle of API Management entities managed by a CR (products, tags, version sets): finalizer, PUT on drift, delete.
import type { ApimServiceRef } from "../azure/apim_paths.ts";
import type { Versioned } from "../azure/arm_resources.ts";
import type { Condition, DeletionPolicy } from "../crd/meta.ts";
import type { Cache } from "../kube/cache.ts";
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import type { KubeObject } from "../kube/kube_object.ts";
import type { ResourceDescriptor } from "../kube/resource.ts";
import type { ResourceApi } from "../kube/resource_api.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { type StatusVerdict } from "../reconcile/conditions.ts";
import {
  decideEntityOwnership,
  differingFields,
} from "../reconcile/plan_entity.ts";
import { isInstanceGone } from "../azure/classify_arm_error.ts";
import { ArmError } from "../azure/arm_error.ts";
import { ADOPT_ANNOTATION } from "./registration_rules.ts";
import {
  type Controller,
  type Enqueue,
  involvedObject,
  jittered,
  makeController,
} from "./controller.ts";
import { ReportedFailure } from "./failure.ts";
import { failureVerdict, reportVerdict } from "./verdict_status.ts";
import {
  hasFinalizer,
  reconcileWithFinalizer,
  removeFinalizer,
} from "./finalizers.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  lookupService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";
import { patchStatus, type StatusPatch } from "./status_patch.ts";

/** The CR shape the lifecycle needs. */
export interface EntityObject extends KubeObject {
  metadata: KubeObject["metadata"] & { name: string };
  spec: { apimService: string; deletionPolicy?: DeletionPolicy | undefined };
  status?: {
    conditions?: Condition[] | undefined;
    /** Written by older versions after a successful PUT: the entity was theirs to manage. */
    etag?: string | undefined;
    created?: boolean | undefined;
    adopted?: boolean | undefined;
  } | undefined;
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
    Versioned<{ id: string; properties: Record<string, unknown> }> | undefined
  >;
  put(
    ctx: OperatorContext,
    service: ApimServiceRef,
    id: string,
    properties: P,
    ifMatch: string | undefined,
  ): Promise<Versioned<{ id: string; properties: Record<string, unknown> }>>;
  remove(
    ctx: OperatorContext,
    service: ApimServiceRef,
    id: string,
  ): Promise<void>;
  /** Status fields besides the conditions (the seed's phase/message included). */
  statusFields(
    object: T,
    id: string,
    entity: Versioned<{ id: string; properties: Record<string, unknown> }>,
  ): StatusPatch;
  /** Why the entity may not be deleted from API Management yet (it is still in use), if it may not. */
  removalBlocker?(ctx: OperatorContext, object: T): string | undefined;
  /** Subscriptions to other caches whose changes concern objects of this kind. */
  watchRelated?(ctx: OperatorContext, enqueue: Enqueue): Array<() => void>;
}

/** How soon a deletion waiting for its entity to fall out of use looks again. */
const IN_USE_RECHECK_MS = 10_000;

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

  /** Unset deletionPolicy: Delete for an entity the operator created, Retain for one it adopted. */
  function effectivePolicy(object: T): DeletionPolicy {
    return object.spec.deletionPolicy ??
      (object.status?.adopted === true ? "Retain" : "Delete");
  }

  /** Removes the entity (unless retained or not ours) and says which Event lets the CR go. */
  async function removal(
    object: T,
  ): Promise<{ type: "Normal" | "Warning"; reason: string; note: string }> {
    const id = kind.idOf(object);
    const noun = kind.noun.toLowerCase();
    const service = lookupService(
      ctx,
      object.metadata.namespace,
      object.spec.apimService,
    );
    const adopted = object.status?.adopted === true;
    if (effectivePolicy(object) === "Retain") {
      return {
        type: "Normal",
        reason: "Retained",
        note: adopted && object.spec.deletionPolicy === undefined
          ? `Left ${noun} "${id}" in API Management: it was adopted, and deletionPolicy is not set to Delete`
          : `Left ${noun} "${id}" in API Management`,
      };
    }
    if (!service) {
      return {
        type: "Warning",
        reason: "APIMServiceNotFound",
        note:
          `APIMService "${object.spec.apimService}" is gone; released the finalizer without deleting ${noun} "${id}"`,
      };
    }
    if (claimConflict(object, serviceIdentity(service))) {
      return {
        type: "Warning",
        reason: "NotOwned",
        note: `Left ${noun} "${id}" to its older owner`,
      };
    }
    try {
      await kind.remove(ctx, serviceRef(service), id);
    } catch (error) {
      if (isInstanceGone(error)) {
        return {
          type: "Warning",
          reason: "InstanceGone",
          note:
            `The API Management instance of ${noun} "${id}" (or its resource group) no longer exists; nothing left to delete`,
        };
      }
      if (!(error instanceof ArmError && error.status === 404)) throw error;
      return {
        type: "Normal",
        reason: "AlreadyGone",
        note: `${kind.noun} "${id}" no longer exists in API Management`,
      };
    }
    return {
      type: "Normal",
      reason: "Deleted",
      note: `Deleted ${noun} "${id}" from API Management`,
    };
  }

  async function finalize(object: T, signal: AbortSignal): Promise<Outcome> {
    const inUse = effectivePolicy(object) === "Delete"
      ? kind.removalBlocker?.(ctx, object)
      : undefined;
    if (inUse) {
      await report(
        object,
        {
          state: "progressing",
          reason: "InUse",
          message: inUse,
        },
        {},
        signal,
      );
      return requeueAfter(IN_USE_RECHECK_MS);
    }
    const outcome = await removal(object);
    const fields = {
      controller: kind.name,
      namespace: object.metadata.namespace,
      name: object.metadata.name,
      id: kind.idOf(object),
      reason: outcome.reason,
    };
    if (outcome.type === "Warning") ctx.logger.warn(outcome.note, fields);
    else ctx.logger.info(outcome.note, fields);
    await event(object, outcome.type, outcome.reason, outcome.note);
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
    const status = object.status;
    const ownership = decideEntityOwnership({
      exists: current !== undefined,
      created: status?.created === true || status?.etag !== undefined,
      adopted: status?.adopted === true,
      adoptionAllowed: ctx.settings.adoptUnmanaged ||
        object.metadata.annotations?.[ADOPT_ANNOTATION] === "true",
    });
    const noun = kind.noun.toLowerCase();
    if (ownership === "refuse") {
      throw new ReportedFailure({
        decision: { kind: "terminal" },
        reason: `Unmanaged${kind.noun}Exists`,
        message:
          `${kind.noun} "${id}" already exists in API Management and was not created by this operator; to take it over, annotate this resource with ${ADOPT_ANNOTATION}: "true"`,
      });
    }
    if (ownership !== "manage") {
      // Recorded before the write: a crash after it must not make our own entity look foreign.
      object = await patchStatus(api, object, {
        [ownership === "create" ? "created" : "adopted"]: true,
      }, signal);
      if (ownership === "adopt") {
        await event(
          object,
          "Normal",
          "Adopted",
          `Took over ${noun} "${id}", which exists in API Management without an owner`,
        );
      }
    }
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
    return await reconcileWithFinalizer(object, {
      api,
      finalize: (o) => finalize(o, signal),
      converge: (o) => converge(o, signal),
      reportFailure: async (o, failure) =>
        void await report(o, failureVerdict(failure), {}, signal),
    }, signal);
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
        const adopt = (o: T | undefined) =>
          o?.metadata.annotations?.[ADOPT_ANNOTATION];
        if (specChanged || lifecycle || adopt(previous) !== adopt(current)) {
          enqueue(objectKey(current));
        }
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
      ...(kind.watchRelated?.(ctx, enqueue) ?? []),
    ],
  });
}
