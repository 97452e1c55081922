// Writes a status through the /status subresource, guarded by the resourceVersion the decision was made on.
import { KubeApiError } from "../kube/kube_errors.ts";
import type { ResourceApi } from "../kube/resource_api.ts";
import type { KubeObject } from "../kube/kube_object.ts";
import { canonicalJson, type Hashable } from "../reconcile/hash.ts";

/** Status fields to set, each to exactly the value given; `null` removes a field. */
export type StatusPatch = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * `next` as a JSON merge patch over `current` that leaves exactly `next`: a merge patch merges
 * objects, so a key of `current` that `next` lacks is sent as null (a new pending operation must
 * not keep the poll URL of the one it replaces).
 */
export function replacing(current: unknown, next: unknown): unknown {
  if (!isRecord(next) || !isRecord(current)) return next;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(current)) {
    if (next[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(next)) {
    if (value !== undefined) {
      patch[key] = value === null ? null : replacing(current[key], value);
    }
  }
  return patch;
}

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
    // Only the given fields change; each of them becomes exactly its value.
    status: Object.fromEntries(
      Object.entries(patch).map((
        [field, value],
      ) => [field, value === null ? null : replacing(current[field], value)]),
    ),
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
