// What every ARM attempt reports: the request hook's event, the rate-limit budget last seen, a log line when throttled.

import type { Logger } from "../log.ts";
import type { Clock } from "../util/clock.ts";
import {
  type RateLimitRemaining,
  readRateLimitRemaining,
} from "./arm_headers.ts";
import type { ArmCallLine, ArmMethod } from "./arm_request.ts";

/** What the request hook sees after every attempt (for metrics). */
export interface ArmRequestEvent {
  method: ArmMethod;
  /** HTTP status, or how the attempt failed without one. */
  status: number | "timeout" | "network";
  durationMs: number;
  /** ARM answered 429. */
  throttled: boolean;
  /** The `x-ms-ratelimit-remaining-*` headers of this answer. */
  rateLimitRemaining: RateLimitRemaining;
}

/** Reports attempts to the hook and keeps the latest rate-limit headers (one per client family). */
export class ArmRequestReport {
  readonly #clock: Clock;
  readonly #onRequest: ((event: ArmRequestEvent) => void) | undefined;
  readonly #log: Logger;
  #rateLimit: RateLimitRemaining = {};

  constructor(
    clock: Clock,
    onRequest: ((event: ArmRequestEvent) => void) | undefined,
    log: Logger,
  ) {
    this.#clock = clock;
    this.#onRequest = onRequest;
    this.#log = log;
  }

  /** The latest `x-ms-ratelimit-remaining-*` value seen for each header (the remaining budget). */
  get rateLimitRemaining(): Readonly<RateLimitRemaining> {
    return { ...this.#rateLimit };
  }

  /** Reports an answer to an attempt started at `started`; returns its rate-limit headers. */
  answered(
    line: ArmCallLine,
    response: Response,
    started: number,
  ): RateLimitRemaining {
    const remaining = readRateLimitRemaining(response.headers);
    this.#rateLimit = { ...this.#rateLimit, ...remaining };
    this.#emit(line, response.status, started, remaining);
    if (response.status === 429) {
      this.#log.info("ARM throttled a request", {
        ...line,
        retryAfter: response.headers.get("retry-after"),
      });
    }
    return remaining;
  }

  /** Reports an attempt started at `started` that got no answer. */
  failed(
    line: ArmCallLine,
    reason: "timeout" | "network",
    started: number,
  ): void {
    this.#emit(line, reason, started, {});
  }

  #emit(
    line: ArmCallLine,
    status: ArmRequestEvent["status"],
    started: number,
    rateLimitRemaining: RateLimitRemaining,
  ): void {
    this.#onRequest?.({
      method: line.method,
      status,
      durationMs: this.#clock.now() - started,
      throttled: status === 429,
      rateLimitRemaining,
    });
  }
}
