// Deleting an API Management entity when its CR goes: retained, not ours, already gone or deleted, and the Event that says so.

import { ArmError } from "../azure/arm_error.ts";
import { isInstanceGone } from "../azure/classify_arm_error.ts";
import type { DeletionPolicy } from "../crd/meta.ts";
import { entityClaimConflict } from "./apim_entity_claims.ts";
import type { EntityKind, EntityObject } from "./apim_entity_kind.ts";
import type { OperatorContext } from "./operator_context.ts";
import {
  lookupService,
  serviceIdentity,
  serviceRef,
} from "./service_lookup.ts";

/** The Event that lets the CR go. */
export interface RemovalOutcome {
  type: "Normal" | "Warning";
  reason: string;
  note: string;
}

/** Unset deletionPolicy: Delete for an entity the operator created, Retain for one it adopted. */
export function effectiveDeletionPolicy(object: EntityObject): DeletionPolicy {
  return object.spec.deletionPolicy ??
    (object.status?.adopted === true ? "Retain" : "Delete");
}

/** Removes the entity (unless retained or not ours) and says which Event lets the CR go. */
export async function removeEntity<
  T extends EntityObject,
  P extends Record<string, unknown>,
>(
  ctx: OperatorContext,
  kind: EntityKind<T, P>,
  object: T,
): Promise<RemovalOutcome> {
  const id = kind.idOf(object);
  const noun = kind.noun.toLowerCase();
  const service = lookupService(
    ctx,
    object.metadata.namespace,
    object.spec.apimService,
  );
  const adopted = object.status?.adopted === true;
  if (effectiveDeletionPolicy(object) === "Retain") {
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
  if (entityClaimConflict(ctx, kind, object, serviceIdentity(service))) {
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
