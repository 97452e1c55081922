// ARM-style throttling: token buckets for reads and writes per subscription and caller, Retry-After, and an Nth-write fault.

import type { Clock } from "../../../src/util/clock.ts";

/** One token bucket: `capacity` requests, refilled at `refillPerSecond`. */
export interface BucketConfig {
  capacity: number;
  refillPerSecond: number;
}

/** Budgets for reads (GET/HEAD) and writes (PUT/PATCH/DELETE/POST). */
export interface ThrottleConfig {
  reads: BucketConfig;
  writes: BucketConfig;
}

/** Request class for throttling and the `x-ms-ratelimit-remaining-subscription-*` header. */
export type RequestClass = "reads" | "writes";

/** Verdict for one request. */
export type ThrottleVerdict =
  | { allowed: true; remaining: number }
  | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  lastRefill: number;
  blockedUntil: number;
}

/**
 * Token buckets keyed by subscription + caller, with ARM's "new 429 before Retry-After elapsed" rule
 * (reference A.10: "If you send a request before the retry value has elapsed, your request isn't
 * processed and a new retry value is returned").
 */
export class Throttle {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  #writesUntilFault: number | null = null;
  #faultRetryAfterSeconds = 1;
  /** Clock time until which every request of the class is throttled (a storm), per class. */
  readonly #stormUntil: Record<RequestClass, number> = { reads: 0, writes: 0 };

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The `n`th write from now (1 = the next one) gets 429 with `Retry-After: retryAfterSeconds`. */
  failNthWrite(n: number, retryAfterSeconds: number): void {
    this.#writesUntilFault = n;
    this.#faultRetryAfterSeconds = retryAfterSeconds;
  }

  /**
   * A throttling storm: every request of `cls`, from any caller, is answered 429 for `seconds`, with
   * `Retry-After` counting down to the end (as when a subscription's bucket is drained by others).
   */
  storm(cls: RequestClass, seconds: number): void {
    this.#stormUntil[cls] = Math.max(
      this.#stormUntil[cls],
      this.#clock.now() + seconds * 1000,
    );
  }

  /** Refills every bucket and clears blocks, storms and the Nth-write fault. */
  reset(): void {
    this.#buckets.clear();
    this.#writesUntilFault = null;
    this.#stormUntil.reads = 0;
    this.#stormUntil.writes = 0;
  }

  #bucket(key: string, config: BucketConfig, now: number): Bucket {
    const bucket = this.#buckets.get(key) ??
      { tokens: config.capacity, lastRefill: now, blockedUntil: 0 };
    this.#buckets.set(key, bucket);
    const refilled = bucket.tokens +
      ((now - bucket.lastRefill) / 1000) * config.refillPerSecond;
    bucket.tokens = Math.min(config.capacity, refilled);
    bucket.lastRefill = now;
    return bucket;
  }

  #block(bucket: Bucket, now: number, seconds: number): ThrottleVerdict {
    bucket.blockedUntil = now + seconds * 1000;
    return { allowed: false, retryAfterSeconds: seconds };
  }

  /** Takes one token for a request of `cls` by `caller`, or says how long to wait. */
  take(
    caller: string,
    cls: RequestClass,
    config: ThrottleConfig,
  ): ThrottleVerdict {
    const now = this.#clock.now();
    const limits = config[cls];
    const bucket = this.#bucket(`${caller}|${cls}`, limits, now);
    const blockedUntil = Math.max(bucket.blockedUntil, this.#stormUntil[cls]);
    if (now < blockedUntil) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((blockedUntil - now) / 1000)),
      };
    }
    if (cls === "writes" && this.#writesUntilFault !== null) {
      this.#writesUntilFault -= 1;
      if (this.#writesUntilFault <= 0) {
        this.#writesUntilFault = null;
        return this.#block(bucket, now, this.#faultRetryAfterSeconds);
      }
    }
    if (bucket.tokens < 1) {
      const wait = limits.refillPerSecond > 0
        ? Math.ceil((1 - bucket.tokens) / limits.refillPerSecond)
        : 3600;
      return this.#block(bucket, now, Math.max(1, wait));
    }
    bucket.tokens -= 1;
    return { allowed: true, remaining: Math.floor(bucket.tokens) };
  }
}
