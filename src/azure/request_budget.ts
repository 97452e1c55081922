// RequestBudget: paces ARM requests per subscription and class from the remaining budget ARM reports, so the operator waits instead of drawing 429s.
//
// The ArmClient keys it by subscription and request class (reads, writes, deletes: ARM budgets
// them apart) and reports the tighter of `x-ms-ratelimit-remaining-subscription-{class}` and
// `…-subscription-global-{class}` (arm_headers.ts `tightestRemaining`).

import { type Clock, systemClock } from "../util/clock.ts";

/** The request classes ARM budgets apart. */
export type BudgetClass = "reads" | "writes" | "deletes";

/**
 * ARM's token-bucket refill per second and class (Azure Resource Manager throttling, 2024
 * regional limits: reads 25/s, writes and deletes 10/s per subscription).
 */
export const ARM_REFILL_PER_SECOND: Readonly<Record<BudgetClass, number>> = {
  reads: 25,
  writes: 10,
  deletes: 10,
};

/** Options for {@linkcode RequestBudget}. */
export interface RequestBudgetOptions {
  /** How fast ARM refills a subscription's bucket per class (default {@linkcode ARM_REFILL_PER_SECOND}). */
  refillPerSecond?: Partial<Record<BudgetClass, number>>;
  /** Requests left unused as a margin for other clients of the subscription (default 5). */
  reserve?: number;
  clock?: Clock;
}

interface Estimate {
  /** Requests ARM will still accept, as last reported and refilled since; undefined until reported. */
  tokens: number | undefined;
  at: number;
  /** Requests sent and not yet answered. */
  inFlight: number;
  refillPerMs: number;
  /** The last waiter in line: requests get their turn in the order they asked. */
  line: Promise<void>;
  /** ARM throttled the class: nothing goes before this time (a 429's Retry-After). */
  pausedUntil: number;
}

/**
 * Gives back a request's place with the remaining budget ARM reported in its answer, if any, and
 * the Retry-After of a 429 (every request of the class waits it out).
 */
export type BudgetDone = (
  remaining: number | undefined,
  pauseMs?: number | undefined,
) => void;

/** Rejects with the signal's reason once it aborts (never resolves). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else {signal.addEventListener("abort", () => reject(signal.reason), {
        once: true,
      });}
  });
}

/**
 * A mirror of ARM's buckets per subscription and class. Nothing is held back until ARM reports a
 * remaining budget; below the reserve, requests are spaced at the class's refill rate.
 */
export class RequestBudget {
  readonly #refillPerMs: Record<BudgetClass, number>;
  readonly #reserve: number;
  readonly #clock: Clock;
  readonly #estimates = new Map<string, Estimate>();

  constructor(options: RequestBudgetOptions = {}) {
    const refill = { ...ARM_REFILL_PER_SECOND, ...options.refillPerSecond };
    for (const [cls, rate] of Object.entries(refill)) {
      if (!(rate > 0)) {
        throw new RangeError(
          `Invalid ${cls} refill rate "${rate}": must be positive`,
        );
      }
    }
    this.#refillPerMs = {
      reads: refill.reads / 1000,
      writes: refill.writes / 1000,
      deletes: refill.deletes / 1000,
    };
    this.#reserve = options.reserve ?? 5;
    this.#clock = options.clock ?? systemClock;
  }

  /** Requests the budget believes ARM still accepts under `key` now (undefined until reported). */
  available(key: string): number | undefined {
    const estimate = this.#estimates.get(key);
    return estimate ? this.#refill(estimate) : undefined;
  }

  /**
   * Waits until a request of class `cls` under `key` (its subscription) fits the budget; call the
   * returned function with ARM's answer.
   */
  async acquire(
    key: string,
    cls: BudgetClass,
    signal?: AbortSignal,
  ): Promise<BudgetDone> {
    const id = `${key}|${cls}`;
    const estimate = this.#estimates.get(id) ?? {
      tokens: undefined,
      at: this.#clock.now(),
      inFlight: 0,
      refillPerMs: this.#refillPerMs[cls],
      line: Promise.resolve(),
      pausedUntil: 0,
    };
    this.#estimates.set(id, estimate);
    // First come, first served: wait for the ones ahead, then for a token (an aborted waiter
    // steps out of line without holding up the ones behind it).
    const ahead = estimate.line;
    const turn = ahead.then(() => this.#waitForToken(estimate, signal));
    estimate.line = turn.catch(() => {});
    await (signal ? Promise.race([turn, aborted(signal)]) : turn);
    estimate.inFlight++;
    let done = false;
    return (remaining, pauseMs) => {
      if (done) return;
      done = true;
      estimate.inFlight--;
      if (pauseMs !== undefined) {
        estimate.pausedUntil = Math.max(
          estimate.pausedUntil,
          this.#clock.now() + pauseMs,
        );
      }
      if (remaining !== undefined) {
        // Requests still in flight will spend from what ARM just reported.
        estimate.tokens = remaining - estimate.inFlight;
        estimate.at = this.#clock.now();
      }
    };
  }

  async #waitForToken(estimate: Estimate, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const paused = estimate.pausedUntil - this.#clock.now();
      if (paused > 0) {
        await this.#clock.sleep(paused, signal);
        continue;
      }
      const tokens = this.#refill(estimate);
      if (tokens === undefined || tokens >= 1 + this.#reserve) break;
      const waitMs = Math.ceil(
        (1 + this.#reserve - tokens) / estimate.refillPerMs,
      );
      await this.#clock.sleep(waitMs, signal);
    }
    if (estimate.tokens !== undefined) estimate.tokens -= 1;
  }

  #refill(estimate: Estimate): number | undefined {
    if (estimate.tokens === undefined) return undefined;
    const now = this.#clock.now();
    estimate.tokens += (now - estimate.at) * estimate.refillPerMs;
    estimate.at = now;
    return estimate.tokens;
  }
}
