// retryOnConflict: re-runs a read-modify-write while the API server answers 409 Conflict.

import { Backoff, type BackoffPolicy } from "../util/backoff.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { KubeApiError } from "./kube_errors.ts";

/** Options of {@linkcode retryOnConflict}. */
export interface RetryOnConflictOptions {
  /** Total attempts including the first (default 5, like client-go's DefaultRetry). */
  attempts?: number;
  /** Pause between attempts (default 10 ms growing to 1 s, with jitter). */
  backoff?: BackoffPolicy;
  clock?: Clock;
  random?: () => number;
  signal?: AbortSignal;
}

const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 10,
  maxMs: 1000,
  factor: 2,
  jitter: 0.5,
};

/**
 * Runs `update` (which must read the latest object, change it and write it with its
 * resourceVersion) again when it fails with 409 Conflict; other errors and the last
 * conflict are thrown.
 */
export async function retryOnConflict<T>(
  update: (attempt: number) => Promise<T>,
  options: RetryOnConflictOptions = {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const clock = options.clock ?? systemClock;
  const backoff = new Backoff(
    options.backoff ?? DEFAULT_BACKOFF,
    options.random,
  );
  for (let attempt = 1;; attempt++) {
    try {
      return await update(attempt);
    } catch (error) {
      const conflict = error instanceof KubeApiError && error.isConflict();
      if (!conflict || attempt >= attempts) throw error;
    }
    await clock.sleep(backoff.next(), options.signal);
  }
}
