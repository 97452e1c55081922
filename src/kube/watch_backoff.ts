// How long a watcher waits after a failure: client-go's reflector backoff, started over after a quiet spell, never less than Retry-After.

import { Backoff, type BackoffPolicy } from "../util/backoff.ts";
import { KubeApiError } from "./kube_errors.ts";

/** The reflector's backoff in client-go: 0.8 s doubling to 30 s, full jitter. */
export const WATCH_BACKOFF: BackoffPolicy = {
  initialMs: 800,
  maxMs: 30_000,
  factor: 2,
  jitter: 1,
};

/** The delays of consecutive list or watch failures. */
export class WatchBackoff {
  readonly #backoff: Backoff;
  readonly #resetAfterMs: number;
  #lastFailureAt: number | undefined;

  /** A failure `resetAfterMs` or longer after the previous one starts `policy` over. */
  constructor(
    policy: BackoffPolicy,
    random: () => number,
    resetAfterMs: number,
  ) {
    this.#backoff = new Backoff(policy, random);
    this.#resetAfterMs = resetAfterMs;
  }

  /** The wait after `error`, which happened at `now`: at least the server's Retry-After. */
  next(error: unknown, now: number): number {
    if (
      this.#lastFailureAt !== undefined &&
      now - this.#lastFailureAt >= this.#resetAfterMs
    ) {
      this.#backoff.reset();
    }
    this.#lastFailureAt = now;
    const delayMs = this.#backoff.next();
    if (
      error instanceof KubeApiError && error.retryAfterSeconds !== undefined
    ) {
      return Math.max(delayMs, error.retryAfterSeconds * 1000);
    }
    return delayMs;
  }
}
