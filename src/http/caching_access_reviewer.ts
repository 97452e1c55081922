// Remembers review answers briefly so a scraper does not cost a TokenReview and a SubjectAccessReview per scrape.

import { type Clock, systemClock } from "../util/clock.ts";
import type {
  AccessReviewer,
  AuthenticationResult,
  AuthorizationResult,
  NonResourceAttributes,
  UserInfo,
} from "./access_review.ts";
import { TtlCache } from "./ttl_cache.ts";

/** Options of {@linkcode CachingAccessReviewer}. */
export interface CachingAccessReviewerOptions {
  clock?: Clock;
  /** How long an authenticated token or an allowed request is remembered (default 60 s). */
  allowTtlMs?: number;
  /** How long a rejected token or a denied request is remembered (default 10 s). */
  denyTtlMs?: number;
  /** Bound of each of the two caches (default 1024 entries). */
  maxEntries?: number;
}

/**
 * An {@linkcode AccessReviewer} that caches another one's answers: positive ones for
 * `allowTtlMs`, negative ones for `denyTtlMs`. Errors are not cached. Tokens are keyed by
 * their SHA-256 digest, so the cache holds no token.
 */
export class CachingAccessReviewer implements AccessReviewer {
  readonly #inner: AccessReviewer;
  readonly #allowTtlMs: number;
  readonly #denyTtlMs: number;
  readonly #authentications: TtlCache<AuthenticationResult>;
  readonly #authorizations: TtlCache<AuthorizationResult>;

  constructor(
    inner: AccessReviewer,
    options: CachingAccessReviewerOptions = {},
  ) {
    const clock = options.clock ?? systemClock;
    const maxEntries = options.maxEntries ?? 1024;
    this.#inner = inner;
    this.#allowTtlMs = options.allowTtlMs ?? 60_000;
    this.#denyTtlMs = options.denyTtlMs ?? 10_000;
    this.#authentications = new TtlCache(clock, maxEntries);
    this.#authorizations = new TtlCache(clock, maxEntries);
  }

  async authenticate(
    token: string,
    signal?: AbortSignal,
  ): Promise<AuthenticationResult> {
    return await this.#remembered(
      this.#authentications,
      await sha256Hex(token),
      () => this.#inner.authenticate(token, signal),
      (result) => result.authenticated,
    );
  }

  async authorize(
    user: UserInfo,
    attributes: NonResourceAttributes,
    signal?: AbortSignal,
  ): Promise<AuthorizationResult> {
    return await this.#remembered(
      this.#authorizations,
      authorizationKey(user, attributes),
      () => this.#inner.authorize(user, attributes, signal),
      (result) => result.allowed,
    );
  }

  /** The cached answer for `key`, or a fresh one kept for the positive or negative TTL. */
  async #remembered<T>(
    cache: TtlCache<T>,
    key: string,
    ask: () => Promise<T>,
    positive: (result: T) => boolean,
  ): Promise<T> {
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const result = await ask();
    cache.set(
      key,
      result,
      positive(result) ? this.#allowTtlMs : this.#denyTtlMs,
    );
    return result;
  }
}

/** Everything the answer depends on, in a canonical order. */
function authorizationKey(
  user: UserInfo,
  attributes: NonResourceAttributes,
): string {
  const extra = Object.keys(user.extra).sort().map((k) => [
    k,
    [...(user.extra[k] ?? [])].sort(),
  ]);
  return JSON.stringify([
    user.username,
    user.uid ?? "",
    [...user.groups].sort(),
    extra,
    attributes.path,
    attributes.verb,
  ]);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}
