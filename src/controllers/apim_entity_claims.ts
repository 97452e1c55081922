// Which CR manages an API Management entity when two name the same one in one instance: the older.

import { objectKey } from "../kube/kube_object.ts";
import type { EntityKind, EntityObject } from "./apim_entity_kind.ts";
import type { OperatorContext } from "./operator_context.ts";
import { lookupService, serviceIdentity } from "./service_lookup.ts";

/** The older CR wins when two name the same entity in the same instance. */
export function entityClaimConflict<
  T extends EntityObject,
  P extends Record<string, unknown>,
>(
  ctx: OperatorContext,
  kind: EntityKind<T, P>,
  object: T,
  identity: string,
): string | undefined {
  const id = kind.idOf(object).toLowerCase();
  const mine = `${object.metadata.creationTimestamp ?? ""}|${
    objectKey(object)
  }`;
  const older = kind.cache(ctx).list().find((other) => {
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
