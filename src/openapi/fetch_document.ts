// Fetching an OpenAPI document over HTTP(S): one deadline, a size cap, manual redirects, the SSRF guard.

import { type Clock, systemClock } from "../util/clock.ts";
import { DocumentFetchError } from "./document_fetch_error.ts";
import { checkFetchableUrl, redactUrl } from "./document_url.ts";
import {
  assertHostAllowed,
  dnsHostResolver,
  type HostResolver,
} from "./host_guard.ts";

/** Default deadline for the whole fetch: DNS, connecting, every redirect hop and the body. */
export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;

/** Default cap on the document size; reading stops as soon as the body goes past it. */
export const DEFAULT_MAX_DOCUMENT_BYTES = 8 * 1024 * 1024;

/** Redirects followed at most; one more is a `TooManyRedirects` failure. */
export const MAX_REDIRECTS = 3;

/** The `Accept` header sent with every request. */
export const DOCUMENT_ACCEPT =
  "application/json, application/yaml, text/yaml;q=0.9, */*;q=0.1";

/** The subset of `fetch` the fetcher uses; injectable, e.g. to pass a `Deno.HttpClient`. */
export type FetchFunction = (url: URL, init: RequestInit) => Promise<Response>;

/** Options for {@linkcode fetchOpenApiDocument}. */
export interface FetchDocumentOptions {
  /** Deadline for the whole fetch in milliseconds (default 15 s). */
  timeoutMs?: number;
  /** Largest accepted body in bytes (default 8 MiB). */
  maxBytes?: number;
  /** Cancels the fetch (operator shutdown); the failure then has reason `Aborted`. */
  signal?: AbortSignal;
  /** Resolves host names for the address check (default {@linkcode dnsHostResolver}). */
  resolveHost?: HostResolver;
  /** The HTTP client (default the global `fetch`). */
  fetch?: FetchFunction;
  /** Source of time for the deadline and `Retry-After` dates (default the system clock). */
  clock?: Clock;
}

/** A fetched document: the exact bytes, where they came from after redirects, their media type. */
export interface FetchedDocument {
  bytes: Uint8Array;
  /** The URL of the last hop (not redacted; use `redactUrl` before showing it). */
  finalUrl: string;
  /** The `Content-Type` header, when the server sent one. */
  contentType?: string;
}

interface FetchContext {
  readonly signal: AbortSignal;
  readonly maxBytes: number;
  readonly resolveHost: HostResolver;
  readonly fetch: FetchFunction;
  readonly clock: Clock;
  /** The hop being fetched, for error messages. */
  hop: string | URL;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches an OpenAPI document with a GET. Only http and https URLs without credentials are
 * fetched; every hop's host must pass {@linkcode assertHostAllowed}; at most
 * {@linkcode MAX_REDIRECTS} redirects are followed; any 2xx answer is read up to `maxBytes`.
 * Does not look at the content: that is `parseOpenApiDocument`'s job.
 * Throws {@linkcode DocumentFetchError} for every failure.
 */
export async function fetchOpenApiDocument(
  url: string | URL,
  options: FetchDocumentOptions = {},
): Promise<FetchedDocument> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const clock = options.clock ?? systemClock;
  const deadline = new AbortController();
  const stopTimer = new AbortController();
  clock.sleep(timeoutMs, stopTimer.signal).then(
    () => deadline.abort(),
    () => {},
  );
  const ctx: FetchContext = {
    signal: options.signal === undefined
      ? deadline.signal
      : AbortSignal.any([options.signal, deadline.signal]),
    maxBytes: options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES,
    resolveHost: options.resolveHost ?? dnsHostResolver,
    fetch: options.fetch ?? fetch,
    clock,
    hop: url,
  };
  try {
    return await followRedirects(checkFetchableUrl(url), ctx);
  } catch (error) {
    if (error instanceof DocumentFetchError) throw error;
    const where = redactUrl(ctx.hop);
    if (options.signal?.aborted) {
      throw new DocumentFetchError(
        "Aborted",
        where,
        "the fetch was cancelled",
        {
          cause: error,
        },
      );
    }
    if (deadline.signal.aborted) {
      throw new DocumentFetchError(
        "Timeout",
        where,
        `no complete answer within ${formatMs(timeoutMs)}`,
        { cause: error },
      );
    }
    throw new DocumentFetchError(
      "Unreachable",
      where,
      transportDetail(error, String(ctx.hop), where),
      { cause: error },
    );
  } finally {
    stopTimer.abort();
  }
}

async function followRedirects(
  start: URL,
  ctx: FetchContext,
): Promise<FetchedDocument> {
  let url = start;
  for (let redirects = 0;; redirects++) {
    ctx.hop = url;
    await assertHostAllowed(url, ctx.resolveHost, ctx.signal);
    const response = await ctx.fetch(url, {
      method: "GET",
      headers: { accept: DOCUMENT_ACCEPT },
      redirect: "manual",
      signal: ctx.signal,
    });
    if (!REDIRECT_STATUSES.has(response.status)) {
      return await readDocument(response, url, ctx);
    }
    await response.body?.cancel();
    url = redirectTarget(response, url, redirects);
  }
}

function redirectTarget(
  response: Response,
  from: URL,
  redirectsSoFar: number,
): URL {
  const location = response.headers.get("location");
  if (location === null) {
    throw httpStatusError(response, from, "a redirect without a Location");
  }
  if (redirectsSoFar >= MAX_REDIRECTS) {
    throw new DocumentFetchError(
      "TooManyRedirects",
      redactUrl(from),
      `more than ${MAX_REDIRECTS} redirects`,
    );
  }
  if (!URL.canParse(location, from)) {
    throw new DocumentFetchError(
      "InvalidUrl",
      redactUrl(from),
      `the redirect target "${redactUrl(location)}" is not a valid URL`,
    );
  }
  return checkFetchableUrl(new URL(location, from));
}

async function readDocument(
  response: Response,
  url: URL,
  ctx: FetchContext,
): Promise<FetchedDocument> {
  if (!response.ok) {
    await response.body?.cancel();
    const retryAfterMs = parseRetryAfter(
      response.headers.get("retry-after"),
      ctx.clock.now(),
    );
    throw httpStatusError(response, url, "", retryAfterMs);
  }
  const bytes = await readCapped(response, url, ctx.maxBytes);
  const contentType = response.headers.get("content-type");
  return {
    bytes,
    finalUrl: url.href,
    ...(contentType === null ? {} : { contentType }),
  };
}

/** Reads the body up to `maxBytes`, cancelling the stream as soon as it goes past. */
async function readCapped(
  response: Response,
  url: URL,
  maxBytes: number,
): Promise<Uint8Array> {
  const tooLarge = () =>
    new DocumentFetchError(
      "TooLarge",
      redactUrl(url),
      `the document is larger than the limit of ${maxBytes} bytes`,
    );
  const declared = declaredLength(response.headers);
  if (declared !== undefined && declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) throw tooLarge();
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  return concatChunks(chunks, total);
}

/** `Content-Length` when it describes the body we read (no content coding in between). */
function declaredLength(headers: Headers): number | undefined {
  const encoding = headers.get("content-encoding");
  if (encoding !== null && encoding.trim().toLowerCase() !== "identity") {
    return undefined;
  }
  const length = headers.get("content-length")?.trim();
  return length !== undefined && /^\d+$/.test(length)
    ? Number(length)
    : undefined;
}

function concatChunks(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function httpStatusError(
  response: Response,
  url: URL,
  what: string,
  retryAfterMs?: number,
): DocumentFetchError {
  const status = `HTTP ${response.status}${
    response.statusText ? ` ${response.statusText}` : ""
  }`;
  return new DocumentFetchError(
    "HttpStatus",
    redactUrl(url),
    `the server answered ${status}${what === "" ? "" : ` with ${what}`}`,
    {
      status: response.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  );
}

/** `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP date; else `undefined`. */
export function parseRetryAfter(
  header: string | null,
  now: number,
): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Words for a transport failure. Deno's `fetch` rejects with "fetch failed" and puts the reason in
 * `cause` ("error sending request for url (<url>): client error (Connect): tcp connect error: ...");
 * the URL, which may carry a query, is removed.
 */
function transportDetail(
  error: unknown,
  href: string,
  redacted: string,
): string {
  const cause = error instanceof Error && error.cause instanceof Error
    ? error.cause
    : error;
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/^error sending request for url \([^)]*\): /, "")
    .replaceAll(href, redacted);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
