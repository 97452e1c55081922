// Bounded concurrency for bulk work (creating thousands of objects without flooding the API server).

/**
 * Runs `work` for every item with at most `limit` calls in flight; rejects with the first error
 * after the calls in flight have settled.
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane),
  );
  if (failure) throw failure.error;
}

/** `[0, 1, ..., count - 1]`. */
export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable to `Date.now()`). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
