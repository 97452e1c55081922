// The typed error of the OpenAPI fetcher: a machine reason, a redacted human message, a retry decision.

/** Machine-readable cause of a failed document fetch; doubles as a condition reason. */
export type FetchFailureReason =
  | "InvalidUrl"
  | "UnsupportedScheme"
  | "CredentialsInUrl"
  | "ForbiddenAddress"
  | "Unreachable"
  | "Timeout"
  | "Aborted"
  | "HttpStatus"
  | "TooManyRedirects"
  | "TooLarge";

/** Reasons that can go away on their own, so another attempt later is worthwhile. */
const TRANSIENT_REASONS: ReadonlySet<FetchFailureReason> = new Set([
  "Unreachable",
  "Timeout",
  "Aborted",
]);

/** Details a {@linkcode DocumentFetchError} may carry besides its reason and message. */
export interface DocumentFetchErrorDetails {
  /** The HTTP status, for `HttpStatus`. */
  status?: number;
  /** How long the server asked us to wait (from `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

/**
 * Whether a failed HTTP status is worth retrying: 5xx, 408, 425 and 429, and also 404, because
 * a backend that has just rolled out, or an ingress that is still reloading, briefly answers 404.
 * Other 4xx statuses (401, 403, 410, ...) need a change by a person.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || [404, 408, 425, 429].includes(status);
}

/**
 * A failed fetch of an OpenAPI document. `message` is ready for a status condition: it names the
 * URL without userinfo, query or fragment, and never contains the response body.
 */
export class DocumentFetchError extends Error {
  override readonly name = "DocumentFetchError";
  /** What went wrong, for condition reasons and metrics. */
  readonly reason: FetchFailureReason;
  /** The redacted URL of the hop that failed. */
  readonly url: string;
  /** What went wrong, in words, without the URL. */
  readonly detail: string;
  /** The HTTP status, for `HttpStatus`. */
  readonly status: number | undefined;
  /** How long the server asked us to wait, in milliseconds, when it said so. */
  readonly retryAfterMs: number | undefined;
  /** Whether trying again later, with the same spec, can succeed. */
  readonly retryable: boolean;

  constructor(
    reason: FetchFailureReason,
    url: string,
    detail: string,
    details: DocumentFetchErrorDetails = {},
  ) {
    super(
      `Fetching the OpenAPI document "${url}" failed: ${detail}`,
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.reason = reason;
    this.url = url;
    this.detail = detail;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.retryable = details.status !== undefined
      ? isRetryableStatus(details.status)
      : TRANSIENT_REASONS.has(reason);
  }
}
