// Writes a status through the /status subresource, guarded by the resourceVersion the decision was made on.
import type { ResourceApi } from "../kube/resource_api.ts";
import type { KubeObject } from "../kube/kube_object.ts";
import { canonicalJson, type Hashable } from "../reconcile/hash.ts";

/** Status fields to set; `null` removes a field (JSON merge patch). */
export type StatusPatch = Record<string, unknown>;

/**
 * Merge-patches `status` with the object's resourceVersion as a precondition, so a decision taken
 * on a stale read fails with 409 Conflict (and the reconcile runs again on fresh data) instead of
 * overwriting a newer status. Skips the write when every field already has the given value.
 */
export async function patchStatus<T extends KubeObject & { status?: unknown }>(
  api: ResourceApi<T>,
  object: T,
  patch: StatusPatch,
  signal?: AbortSignal,
): Promise<T> {
  const current = (object.status ?? {}) as Record<string, unknown>;
  const changed = Object.entries(patch).some(([field, value]) =>
    value === null
      ? current[field] !== undefined
      : canonicalJson(current[field] as Hashable) !==
        canonicalJson(value as Hashable)
  );
  if (!changed) return object;
  const meta = object.metadata ?? {};
  return await api.mergePatch(meta.name ?? "", {
    metadata: { resourceVersion: meta.resourceVersion },
    status: patch,
  }, { namespace: meta.namespace, subresource: "status", signal });
}
