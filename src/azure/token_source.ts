// TokenSource: one cached, coalescing source of ARM bearer tokens per process.

import { type Clock, systemClock } from "../util/clock.ts";

/** A bearer token and when it stops being valid. */
export interface AccessToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresOnTimestamp: number;
  /** When the issuer wants the token refreshed (Entra `refresh_in`), if it said. */
  refreshAfterTimestamp?: number;
}

/** Options of {@linkcode TokenSource.getToken}. */
export interface GetTokenOptions {
  /** Ignore the cache and get a new token (after ARM rejected one with 401). */
  forceRefresh?: boolean;
  /**
   * The token ARM rejected. A forced refresh is skipped when the cache already holds a
   * different token, so many calls failing with the same token cause one refresh.
   */
  rejectedToken?: string;
}

/** Where the ARM client gets bearer tokens. */
export interface TokenSource {
  getToken(options?: GetTokenOptions): Promise<AccessToken>;
}

/** The credential behind a {@linkcode CachedTokenSource}: `@azure/identity`'s `TokenCredential` fits. */
export interface TokenCredentialLike {
  getToken(scopes: string | string[]): Promise<AccessToken | null>;
}

/** Options for {@linkcode CachedTokenSource}. */
export interface CachedTokenSourceOptions {
  /**
   * Makes the credential. Called once, and again for a forced refresh: a new instance has an
   * empty MSAL cache, which is the only way to make `@azure/identity` request a new token.
   */
  createCredential: () => TokenCredentialLike;
  /** OAuth scope, e.g. `https://management.azure.com/.default`. */
  scope: string;
  clock?: Clock;
  /** Refresh this long before expiry (default 5 min, at most half the token's lifetime). */
  refreshMarginMs?: number;
  /** After a failed proactive refresh, keep using the still-valid token this long before trying again (default 30 s). */
  refreshRetryMs?: number;
}

/** Getting a token failed: the credential is unusable or Entra refused it. Never carries secrets. */
export class TokenRequestError extends Error {
  override name = "TokenRequestError";
  /** Entra error (`invalid_client`) or `CredentialUnavailable`. */
  readonly code: string;
  /** The AADSTS code, e.g. `AADSTS7000215`, when Entra sent one. */
  readonly aadstsCode: string | undefined;
  /** HTTP status of the token endpoint, when there was an answer. */
  readonly statusCode: number | undefined;

  constructor(
    message: string,
    details: { code: string; aadstsCode?: string; statusCode?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = details.code;
    this.aadstsCode = details.aadstsCode;
    this.statusCode = details.statusCode;
  }
}

interface CachedToken extends AccessToken {
  /** When this source should get a new one. */
  refreshAt: number;
}

/**
 * Caches one token until shortly before expiry (or Entra's refresh time), coalesces concurrent
 * requests into one, and counts the tokens it requested (for metrics).
 */
export class CachedTokenSource implements TokenSource {
  readonly #options: CachedTokenSourceOptions;
  readonly #clock: Clock;
  #credential: TokenCredentialLike;
  #cached: CachedToken | undefined;
  #inflight: Promise<AccessToken> | undefined;
  #requests = 0;
  #failures = 0;

  constructor(options: CachedTokenSourceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#credential = options.createCredential();
  }

  /** How many tokens were requested from the credential (first one included). */
  get tokenRequests(): number {
    return this.#requests;
  }

  /** How many of those requests failed (a failed refresh that fell back to the old token included). */
  get tokenFailures(): number {
    return this.#failures;
  }

  /** A valid token: the cached one, or a new one when it is due for refresh or `forceRefresh` is set. */
  getToken(options: GetTokenOptions = {}): Promise<AccessToken> {
    if (this.#inflight) return this.#inflight;
    const cached = this.#cached;
    const now = this.#clock.now();
    if (options.forceRefresh) {
      const alreadyReplaced = cached !== undefined &&
        options.rejectedToken !== undefined &&
        cached.token !== options.rejectedToken;
      if (alreadyReplaced) return Promise.resolve(cached);
      this.#cached = undefined;
      this.#credential = this.#options.createCredential();
    } else if (cached && now < cached.refreshAt) {
      return Promise.resolve(cached);
    }
    const request = this.#request(options.forceRefresh ? undefined : cached);
    this.#inflight = request;
    return request.finally(() => {
      this.#inflight = undefined;
    });
  }

  async #request(fallback: CachedToken | undefined): Promise<AccessToken> {
    this.#requests++;
    try {
      const token = await this.#credential.getToken(this.#options.scope);
      if (!token) {
        throw new TokenRequestError("Credential returned no token", {
          code: "NoToken",
        });
      }
      this.#cached = { ...token, refreshAt: this.#refreshAt(token) };
      return this.#cached;
    } catch (error) {
      this.#failures++;
      const now = this.#clock.now();
      if (fallback && now < fallback.expiresOnTimestamp) {
        // A proactive refresh failed but the old token still works: use it, try again later.
        this.#cached = {
          ...fallback,
          refreshAt: now + (this.#options.refreshRetryMs ?? 30_000),
        };
        return this.#cached;
      }
      throw error;
    }
  }

  #refreshAt(token: AccessToken): number {
    const now = this.#clock.now();
    const lifetime = token.expiresOnTimestamp - now;
    const margin = Math.min(
      this.#options.refreshMarginMs ?? 5 * 60_000,
      lifetime / 2,
    );
    return Math.min(
      token.expiresOnTimestamp - margin,
      token.refreshAfterTimestamp ?? Infinity,
    );
  }
}
