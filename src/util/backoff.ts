// Exponential backoff with jitter, shared by the watcher, the work queue and the ARM client.

/** Shape of an exponential backoff: the first delay, the cap, the growth factor and the jitter. */
export interface BackoffPolicy {
  /** First delay in milliseconds. */
  initialMs: number;
  /** Upper bound of the un-jittered delay in milliseconds. */
  maxMs: number;
  /** Growth per attempt (2 doubles). */
  factor: number;
  /** Fraction of random spread added on top: 1.0 means up to +100 %, like client-go's jitter. */
  jitter: number;
}

/**
 * Delay before retry number `attempt` (0-based): `initialMs * factor^attempt`, capped at `maxMs`,
 * then stretched by up to `jitter` using `random` (a value in [0, 1)).
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(
    policy.maxMs,
    policy.initialMs * Math.pow(policy.factor, Math.max(0, attempt)),
  );
  return Math.round(base * (1 + policy.jitter * random()));
}

/** Counts consecutive failures and hands out the matching delay; `reset()` after a success. */
export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #attempt = 0;

  constructor(policy: BackoffPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** The delay for the next retry; each call counts one more failure. */
  next(): number {
    return backoffDelay(this.#policy, this.#attempt++, this.#random);
  }

  /** Forget past failures. */
  reset(): void {
    this.#attempt = 0;
  }

  /** Consecutive failures counted since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }
}
