// WriteBudget: paces ARM writes per subscription from the remaining budget ARM reports, so the operator waits instead of drawing 429s.
//
// The ArmClient keys it by subscription and request class (writes, deletes: ARM budgets them
// apart) and reports the tighter of `x-ms-ratelimit-remaining-subscription-{class}` and
// `…-subscription-global-{class}` (arm_headers.ts `tightestRemaining`).

import { type Clock, systemClock } from "../util/clock.ts";

/** Options for {@linkcode WriteBudget}. */
export interface WriteBudgetOptions {
  /** How fast ARM refills a subscription's write bucket (ARM's token bucket: 10 per second). */
  refillPerSecond?: number;
  /** Writes left unused as a margin for other clients of the subscription (default 5). */
  reserve?: number;
  clock?: Clock;
}

interface Estimate {
  /** Writes ARM will still accept, as last reported and refilled since; undefined until reported. */
  tokens: number | undefined;
  at: number;
  /** Writes sent and not yet answered. */
  inFlight: number;
}

/** Gives back a write's place with the remaining budget ARM reported in its answer, if any. */
export type WriteDone = (remaining: number | undefined) => void;

/**
 * A mirror of ARM's write bucket per subscription. Nothing is held back until ARM reports a
 * remaining budget; below the reserve, writes are spaced at the refill rate.
 */
export class WriteBudget {
  readonly #refillPerMs: number;
  readonly #reserve: number;
  readonly #clock: Clock;
  readonly #estimates = new Map<string, Estimate>();

  constructor(options: WriteBudgetOptions = {}) {
    const refill = options.refillPerSecond ?? 10;
    if (!(refill > 0)) {
      throw new RangeError(
        `Invalid write refill rate "${refill}": must be positive`,
      );
    }
    this.#refillPerMs = refill / 1000;
    this.#reserve = options.reserve ?? 5;
    this.#clock = options.clock ?? systemClock;
  }

  /** Writes the budget believes ARM still accepts for `key` now (undefined until reported). */
  available(key: string): number | undefined {
    const estimate = this.#estimates.get(key);
    return estimate ? this.#refill(estimate) : undefined;
  }

  /** Waits until a write to `key` fits the budget; call the returned function with ARM's answer. */
  async acquire(key: string, signal?: AbortSignal): Promise<WriteDone> {
    const estimate = this.#estimates.get(key) ??
      { tokens: undefined, at: this.#clock.now(), inFlight: 0 };
    this.#estimates.set(key, estimate);
    for (;;) {
      signal?.throwIfAborted();
      const tokens = this.#refill(estimate);
      if (tokens === undefined || tokens >= 1 + this.#reserve) break;
      const waitMs = Math.ceil(
        (1 + this.#reserve - tokens) / this.#refillPerMs,
      );
      await this.#clock.sleep(waitMs, signal);
    }
    if (estimate.tokens !== undefined) estimate.tokens -= 1;
    estimate.inFlight++;
    let done = false;
    return (remaining) => {
      if (done) return;
      done = true;
      estimate.inFlight--;
      if (remaining !== undefined) {
        // Writes still in flight will spend from what ARM just reported.
        estimate.tokens = remaining - estimate.inFlight;
        estimate.at = this.#clock.now();
      }
    };
  }

  #refill(estimate: Estimate): number | undefined {
    if (estimate.tokens === undefined) return undefined;
    const now = this.#clock.now();
    estimate.tokens += (now - estimate.at) * this.#refillPerMs;
    estimate.at = now;
    return estimate.tokens;
  }
}
