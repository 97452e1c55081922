// Deleting an API Management entity when its CR goes: retained, not ours, already gone or deleted, and the Event that says so.

import { ArmError } from "../azure/arm_error.ts";
import { isInstanceGone } from "../azure/classify_arm_error.ts";
import type { DeletionPolicy } from "../crd/meta.ts";
import { effectivePolicy, type Release } from "../reconcile/plan_deletion.ts";
import { decideEntityRemoval } from "../reconcile/plan_entity.ts";
import { entityClaimConflict } from "./apim_entity_claims.ts";
import type { EntityKind, EntityObject } from "./apim_entity_kind.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  instanceIdentity,
  instanceOf,
  instanceRef,
  lookupService,
} from "./service_lookup.ts";

/** Unset deletionPolicy: Delete for an entity the operator created, Retain for one it adopted. */
export function effectiveDeletionPolicy(object: EntityObject): DeletionPolicy {
  return effectivePolicy(
    object.spec.deletionPolicy,
    object.status?.adopted === true,
  );
}

/**
 * The CR created or adopted its entity: recorded before the write, or (older versions) an ETag
 * after a successful one.
 */
function isManaged(object: EntityObject): boolean {
  const status = object.status;
  return status?.created === true || status?.adopted === true ||
    status?.etag !== undefined;
}

/** Removes the entity (unless retained or not ours) and says which Event lets the CR go. */
export async function removeEntity<
  T extends EntityObject,
  P extends Record<string, unknown>,
>(
  ctx: OperatorContext,
  kind: EntityKind<T, P>,
  object: T,
): Promise<Release> {
  const id = kind.idOf(object);
  const noun = kind.noun.toLowerCase();
  const service = lookupService(
    ctx,
    object.metadata.namespace,
    object.spec.apimService,
  );
  const instance = object.status?.instance ??
    (service ? instanceOf(service) : undefined);
  const removal = decideEntityRemoval({
    noun: kind.noun,
    id,
    policy: object.spec.deletionPolicy,
    adopted: object.status?.adopted === true,
    managed: isManaged(object),
    apimService: object.spec.apimService,
    instance,
    claimedByOlder: instance !== undefined &&
      entityClaimConflict(ctx, kind, object, instanceIdentity(instance)) !==
        undefined,
  });
  if (removal.action === "release") return removal.release;
  try {
    await kind.remove(ctx, instanceRef(removal.instance), id);
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
