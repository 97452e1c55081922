// ARM-style throttling: token buckets per subscription and caller plus the subscription-wide global bucket, Retry-After, and an Nth-write fault.
//
// ARM's 2024 limits (learn.microsoft.com, "Azure Resource Manager request limits and throttling"):
// per subscription, per service principal and per operation type a token bucket (reads 250 / 25 per
// second, writes 200 / 10, deletes 200 / 10), and a global subscription bucket for each operation
// type, shared by all principals, 15 times the per-principal one; a request is throttled when any
// of them is empty. The remaining budgets come back as
// `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}` and
// `x-ms-ratelimit-remaining-subscription-global-{reads,writes,deletes}`: both names on the same
// response in 2026 traffic (test/fixtures/azure-recordings/py-service_list.json), deletes counted
// apart from writes (net-ApiTests#19, aso-…20240501#77).

import type { Clock } from "../../../src/util/clock.ts";

/** One token bucket: `capacity` requests, refilled at `refillPerSecond`. */
export interface BucketConfig {
  capacity: number;
  refillPerSecond: number;
}

/** Per-principal budgets for reads (GET/HEAD), writes (PUT/PATCH/POST) and deletes. */
export interface ThrottleConfig {
  reads: BucketConfig;
  writes: BucketConfig;
  /** Default: the writes bucket's size and rate. */
  deletes?: BucketConfig;
  /** Size of the subscription's global buckets relative to a principal's (default 15). */
  globalFactor?: number;
}

/** Request class for throttling and the `x-ms-ratelimit-remaining-subscription-*` headers. */
export type RequestClass = "reads" | "writes" | "deletes";

/** What is left after a request, per bucket. */
export interface Remaining {
  /** The caller's bucket (`x-ms-ratelimit-remaining-subscription-{class}`). */
  principal: number;
  /** The subscription's bucket (`x-ms-ratelimit-remaining-subscription-global-{class}`). */
  global: number;
}

/** Verdict for one request. */
export type ThrottleVerdict =
  | { allowed: true; remaining: Remaining }
  | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  lastRefill: number;
  blockedUntil: number;
}

const DEFAULT_GLOBAL_FACTOR = 15;

function bucketConfig(config: ThrottleConfig, cls: RequestClass): BucketConfig {
  return cls === "deletes" ? config.deletes ?? config.writes : config[cls];
}

function scaled(config: BucketConfig, factor: number): BucketConfig {
  return {
    capacity: config.capacity * factor,
    refillPerSecond: config.refillPerSecond * factor,
  };
}

/**
 * Token buckets keyed by subscription (+ caller), with ARM's "new 429 before Retry-After elapsed" rule
 * (reference A.10: "If you send a request before the retry value has elapsed, your request isn't
 * processed and a new retry value is returned").
 */
export class Throttle {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  #writesUntilFault: number | null = null;
  #faultRetryAfterSeconds = 1;
  /** Clock time until which every request of the class is throttled (a storm), per class. */
  readonly #stormUntil: Record<RequestClass, number> = {
    reads: 0,
    writes: 0,
    deletes: 0,
  };

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The `n`th write or delete from now (1 = the next one) gets 429 with `Retry-After: retryAfterSeconds`. */
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
    this.#stormUntil.deletes = 0;
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

  #blocked(bucket: Bucket, now: number): ThrottleVerdict | null {
    if (now >= bucket.blockedUntil) return null;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(
        1,
        Math.ceil((bucket.blockedUntil - now) / 1000),
      ),
    };
  }

  #storm(cls: RequestClass, now: number): ThrottleVerdict | null {
    const until = this.#stormUntil[cls];
    if (now >= until) return null;
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)),
    };
  }

  #empty(bucket: Bucket, config: BucketConfig, now: number) {
    if (bucket.tokens >= 1) return null;
    const wait = config.refillPerSecond > 0
      ? Math.ceil((1 - bucket.tokens) / config.refillPerSecond)
      : 3600;
    return this.#block(bucket, now, Math.max(1, wait));
  }

  /** Takes one token of `cls` for `caller` in `subscription` (and from the global bucket), or says how long to wait. */
  take(
    subscription: string,
    caller: string,
    cls: RequestClass,
    config: ThrottleConfig,
  ): ThrottleVerdict {
    const now = this.#clock.now();
    const own = bucketConfig(config, cls);
    const shared = scaled(own, config.globalFactor ?? DEFAULT_GLOBAL_FACTOR);
    const bucket = this.#bucket(`${subscription}|${caller}|${cls}`, own, now);
    const global = this.#bucket(`${subscription}|*|${cls}`, shared, now);
    const blocked = this.#storm(cls, now) ?? this.#blocked(bucket, now) ??
      this.#blocked(global, now);
    if (blocked) return blocked;
    if (cls !== "reads" && this.#writesUntilFault !== null) {
      this.#writesUntilFault -= 1;
      if (this.#writesUntilFault <= 0) {
        this.#writesUntilFault = null;
        return this.#block(bucket, now, this.#faultRetryAfterSeconds);
      }
    }
    const empty = this.#empty(bucket, own, now) ??
      this.#empty(global, shared, now);
    if (empty) return empty;
    bucket.tokens -= 1;
    global.tokens -= 1;
    return {
      allowed: true,
      remaining: {
        principal: Math.floor(bucket.tokens),
        global: Math.floor(global.tokens),
      },
    };
  }
}
