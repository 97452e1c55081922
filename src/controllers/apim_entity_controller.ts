// The shared lifecycle of API Management entities managed by a CR (products, tags, version sets): finalizer, PUT on drift, delete.
import { objectKey, parseObjectKey } from "../kube/kube_object.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { type StatusVerdict } from "../reconcile/conditions.ts";
import {
  decideEntityOwnership,
  differingFields,
} from "../reconcile/plan_entity.ts";
import { entityClaimConflict } from "./apim_entity_claims.ts";
import type { EntityKind, EntityObject } from "./apim_entity_kind.ts";
import {
  effectiveDeletionPolicy,
  removeEntity,
} from "./apim_entity_removal.ts";
import { ADOPT_ANNOTATION } from "./registration_rules.ts";
import {
  type Controller,
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
  instanceChangedNote,
  instanceIdentity,
  instanceOf,
  requireService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";
import { patchStatus, type StatusPatch } from "./status_patch.ts";

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
    accept?: (fresh: T) => boolean,
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
      accept,
    );
  }

  async function finalize(object: T, signal: AbortSignal): Promise<Outcome> {
    const inUse = effectiveDeletionPolicy(object) === "Delete"
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
    const outcome = await removeEntity(ctx, kind, object);
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
    const service = requireService(
      ctx,
      object.metadata.namespace,
      object.spec.apimService,
    );
    const conflict = entityClaimConflict(
      ctx,
      kind,
      object,
      serviceIdentity(service),
    );
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
    const instance = instanceOf(service);
    const recorded = status?.instance;
    const instanceChanged = recorded !== undefined &&
      instanceIdentity(recorded) !== instanceIdentity(instance);
    const ownership = decideEntityOwnership({
      exists: current !== undefined,
      created: status?.created === true || status?.etag !== undefined,
      adopted: status?.adopted === true,
      adoptionAllowed: ctx.settings.adoptUnmanaged ||
        object.metadata.annotations?.[ADOPT_ANNOTATION] === "true",
      instanceChanged,
    });
    const noun = kind.noun.toLowerCase();
    if (instanceChanged) {
      // A move lets go of the copy in the old instance, whatever the new one holds (as for APIs):
      // what was created or adopted there no longer counts.
      object = await patchStatus(api, object, {
        created: null,
        adopted: null,
        etag: null,
        instance,
      }, signal);
      await event(
        object,
        "Warning",
        "InstanceChanged",
        instanceChangedNote(
          object.spec.apimService,
          `${noun} "${id}"`,
          recorded,
        ),
      );
    }
    if (ownership === "refuse") {
      throw new ReportedFailure({
        decision: { kind: "terminal" },
        reason: `Unmanaged${kind.noun}Exists`,
        message:
          `${kind.noun} "${id}" already exists in API Management and was not created by this operator; to take it over, annotate this resource with ${ADOPT_ANNOTATION}: "true"`,
      });
    }
    // Recorded before the write: a crash after it must not make our own entity look foreign, and
    // the deletion finds the entity where it was written after the APIMService is gone.
    object = await patchStatus(api, object, {
      ...(ownership === "manage"
        ? {}
        : { [ownership === "create" ? "created" : "adopted"]: true }),
      instance,
    }, signal);
    if (ownership === "adopt") {
      await event(
        object,
        "Normal",
        "Adopted",
        `Took over ${noun} "${id}", which exists in API Management without an owner`,
      );
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
      // The pass may have written status before it failed: the failure goes on the fresh object
      // as long as its spec is the one the pass worked on.
      reportFailure: async (o, failure) =>
        void await report(
          o,
          failureVerdict(failure),
          {},
          signal,
          (fresh) => fresh.metadata.generation === o.metadata.generation,
        ),
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
