// Writes a status through the /status subresource, guarded by the resourceVersion the decision was made on.
import { KubeApiError } from "../kube/kube_errors.ts";
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

/**
 * {@linkcode patchStatus} that survives concurrent writes of other fields (an annotation set by a
 * GitOps tool, the watcher's workload list): on 409 Conflict it reads the object again and, if
 * `accept` still finds it in the state the decision was made on, patches `build(fresh)` again.
 * Throws the conflict when `accept` refuses or after `attempts` tries.
 */
export async function patchStatusRetrying<
  T extends KubeObject & { status?: unknown },
>(
  api: ResourceApi<T>,
  object: T,
  build: (current: T) => StatusPatch,
  options: {
    accept: (fresh: T) => boolean;
    signal?: AbortSignal | undefined;
    attempts?: number;
  },
): Promise<T> {
  const attempts = options.attempts ?? 5;
  let current = object;
  for (let attempt = 1;; attempt++) {
    try {
      return await patchStatus(api, current, build(current), options.signal);
    } catch (error) {
      const conflict = error instanceof KubeApiError && error.isConflict();
      if (!conflict || attempt >= attempts) throw error;
      const meta = current.metadata ?? {};
      const fresh = await api.find(meta.name ?? "", {
        namespace: meta.namespace,
        signal: options.signal,
      });
      if (!fresh || !options.accept(fresh)) throw error;
      current = fresh;
    }
  }
}
