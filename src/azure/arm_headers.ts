// Reading ARM response headers: Retry-After, x-ms-ratelimit-remaining-*, request ids.

const RATE_LIMIT_PREFIX = "x-ms-ratelimit-remaining-";

/** Remaining ARM request budget by header suffix, e.g. `{"subscription-writes": 1199}`. */
export type RateLimitRemaining = Record<string, number>;

/**
 * `Retry-After` in milliseconds: integer (or decimal) seconds, or an HTTP date relative to
 * `nowMs`. Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfterMs(
  value: string | null,
  nowMs: number,
): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // An HTTP date names its weekday or month; bare numbers like "-5" are junk, not years.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The `x-ms-ratelimit-remaining-*` headers of a response, as numbers. */
export function readRateLimitRemaining(headers: Headers): RateLimitRemaining {
  const remaining: RateLimitRemaining = {};
  for (const [name, value] of headers) {
    if (!name.startsWith(RATE_LIMIT_PREFIX)) continue;
    const count = Number(value);
    if (Number.isFinite(count)) {
      remaining[name.slice(RATE_LIMIT_PREFIX.length)] = count;
    }
  }
  return remaining;
}

/** Request classes ARM budgets apart. */
export type RateLimitClass = "reads" | "writes" | "deletes";

/**
 * What ARM will still accept for a class of requests: the tighter of the caller's budget
 * (`x-ms-ratelimit-remaining-subscription-{class}`) and the subscription's budget shared by all
 * callers (`…-subscription-global-{class}`). ARM sends both (2026 traffic:
 * test/fixtures/azure-recordings/py-service_list.json, 1099 and 16499) or only one of them;
 * undefined when it sent neither.
 */
export function tightestRemaining(
  remaining: RateLimitRemaining,
  cls: RateLimitClass,
): number | undefined {
  const reported = [
    remaining[`subscription-${cls}`],
    remaining[`subscription-global-${cls}`],
  ].filter((n): n is number => n !== undefined);
  return reported.length === 0 ? undefined : Math.min(...reported);
}

/** The id ARM support asks for: `x-ms-request-id`, else the correlation id. */
export function readRequestId(headers: Headers): string | undefined {
  return headers.get("x-ms-request-id") ??
    headers.get("x-ms-correlation-request-id") ?? undefined;
}
