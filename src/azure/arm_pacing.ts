// Pacing of ARM requests: writes limited per APIM instance, each request class held to the subscription budget ARM reports.

import type { Clock } from "../util/clock.ts";
import {
  parseRetryAfterMs,
  type RateLimitRemaining,
  tightestRemaining,
} from "./arm_headers.ts";
import { subscriptionOf, topLevelResourceId } from "./arm_path.ts";
import type { ArmRequest } from "./arm_request.ts";
import type { KeyedSemaphore } from "./keyed_semaphore.ts";
import type { BudgetClass, RequestBudget } from "./request_budget.ts";

/** What pacing reads of an answer: its status and headers, and its `x-ms-ratelimit-remaining-*` headers. */
export interface PacedAnswer {
  response: Response;
  remaining: RateLimitRemaining;
}

/** Holds each ARM request back until its write slot and its subscription budget allow it. */
export class ArmPacing {
  readonly #writeLimit: KeyedSemaphore | undefined;
  readonly #budget: RequestBudget | undefined;
  readonly #clock: Clock;

  constructor(
    writeLimit: KeyedSemaphore | undefined,
    budget: RequestBudget | undefined,
    clock: Clock,
  ) {
    this.#writeLimit = writeLimit;
    this.#budget = budget;
    this.#clock = clock;
  }

  /** Runs `send` (one attempt of `request` to `url`) once its write slot and budget allow. */
  async send<A extends PacedAnswer>(
    url: URL,
    request: ArmRequest,
    send: () => Promise<A>,
  ): Promise<A> {
    if (request.method === "GET" || request.method === "HEAD") {
      return await this.#sendWithinBudget(url, request, send);
    }
    const key = topLevelResourceId(url.pathname);
    const release = key && this.#writeLimit
      ? await this.#writeLimit.acquire(key, request.signal)
      : undefined;
    try {
      return await this.#sendWithinBudget(url, request, send);
    } finally {
      release?.();
    }
  }

  // A request waits for room in the subscription's budget for its class (ARM counts reads,
  // writes and deletes apart) and reports what ARM says is left: the tighter of the caller's and
  // the subscription-wide (global) budget.
  async #sendWithinBudget<A extends PacedAnswer>(
    url: URL,
    request: ArmRequest,
    send: () => Promise<A>,
  ): Promise<A> {
    const subscription = subscriptionOf(url.pathname);
    if (!this.#budget || !subscription) return await send();
    const cls: BudgetClass = request.method === "DELETE"
      ? "deletes"
      : request.method === "GET" || request.method === "HEAD"
      ? "reads"
      : "writes";
    const done = await this.#budget.acquire(subscription, cls, request.signal);
    let remaining: number | undefined;
    let pauseMs: number | undefined;
    try {
      const attempt = await send();
      if (attempt.response.status === 429) {
        // The whole class is throttled for the subscription: nothing of it goes before Retry-After.
        remaining = 0;
        pauseMs = parseRetryAfterMs(
          attempt.response.headers.get("retry-after"),
          this.#clock.now(),
        );
      } else remaining = tightestRemaining(attempt.remaining, cls);
      return attempt;
    } finally {
      done(remaining, pauseMs);
    }
  }
}
