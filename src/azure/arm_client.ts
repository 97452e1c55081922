// ArmClient: every ARM request goes through here (token, api-version, timeout, size cap, bounded retries).

import type { z } from "zod";
import { type Logger, silentLogger } from "../log.ts";
import { backoffDelay, type BackoffPolicy } from "../util/backoff.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  ArmError,
  type ArmRequestLine,
  ArmResponseError,
  ArmTransportError,
  FencedRequestError,
  parseArmError,
  UntrustedUrlError,
} from "./arm_error.ts";
import {
  parseRetryAfterMs,
  type RateLimitRemaining,
  readRateLimitRemaining,
  readRequestId,
  tightestRemaining,
} from "./arm_headers.ts";
import {
  type ArmPath,
  subscriptionOf,
  topLevelResourceId,
} from "./arm_path.ts";
import { BodyTooLargeError, readBoundedText } from "./bounded_body.ts";
import type { KeyedSemaphore } from "./keyed_semaphore.ts";
import type { TokenSource } from "./token_source.ts";
import type { BudgetClass, RequestBudget } from "./request_budget.ts";

/** HTTP methods ARM calls use. */
export type ArmMethod = "GET" | "HEAD" | "PUT" | "PATCH" | "DELETE";

/** Query parameters; undefined values are left out. */
export type ArmQuery = Readonly<
  Record<string, string | number | boolean | undefined>
>;

interface ArmRequestBase {
  method: ArmMethod;
  /** Extra headers, e.g. `If-Match`. */
  headers?: Readonly<Record<string, string>>;
  /** JSON body. */
  body?: unknown;
  /**
   * True (default): retry throttling, 5xx and transport failures. `"rejected"`: retry only answers
   * that prove the request was not applied (429), for writes that must never be sent twice
   * (imports). False: exactly one attempt (LRO polls). A 401 still gets one retry with a fresh token.
   */
  retry?: boolean | "rejected";
  signal?: AbortSignal;
}

/** A request to a path of ours: the client adds the base URL and `api-version`. */
export interface ArmPathRequest extends ArmRequestBase {
  path: ArmPath;
  query?: ArmQuery;
}

/** A request to an absolute URL ARM handed out (Location, nextLink): sent as is, ARM origin only. */
export interface ArmUrlRequest extends ArmRequestBase {
  url: string;
}

/** One ARM request. */
export type ArmRequest = ArmPathRequest | ArmUrlRequest;

/** A successful (2xx) ARM answer with its JSON body parsed (undefined when empty). */
export interface ArmResponse {
  method: ArmMethod;
  status: number;
  headers: Headers;
  body: unknown;
  /** The URL that was requested. */
  url: string;
  /** Its path (no query). */
  path: string;
  /** The `ETag` header, verbatim. */
  etag: string | undefined;
  /** When the answer arrived (the client's clock, ms since the epoch). */
  receivedAt: number;
}

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

/** Options for {@linkcode ArmClient}. */
export interface ArmClientOptions {
  tokenSource: TokenSource;
  /** ARM origin (default `https://management.azure.com`); must be https. */
  baseUrl?: string;
  /** Default `2024-05-01`; `2022-08-01` works too. */
  apiVersion?: string;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Random numbers in [0, 1) for backoff jitter. */
  random?: () => number;
  /** Per attempt, response body included, in real time (default 30 s). */
  timeoutMs?: number;
  /** Largest response body accepted (default 16 MiB). */
  maxResponseBytes?: number;
  /** Attempts per call for 429/5xx/transport failures (default 4). */
  maxAttempts?: number;
  /** Backoff between attempts (default 0.5 s doubling to 4 s, 50 % jitter). */
  backoff?: BackoffPolicy;
  /** Longest `Retry-After` waited for inside a call (default 5 s); longer ones are thrown to the caller. */
  maxRetryAfterMs?: number;
  /** Limits concurrent writes per top-level resource (per APIM instance). */
  writeLimit?: KeyedSemaphore;
  /** Paces writes (and, apart, deletes) per subscription to the budget ARM reports, instead of drawing 429s. */
  budget?: RequestBudget;
  /** Called after every attempt. */
  onRequest?: (event: ArmRequestEvent) => void;
  logger?: Logger;
}

const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 500,
  maxMs: 4_000,
  factor: 2,
  jitter: 0.5,
};

// The request line with its method typed, for the hook.
interface Line extends ArmRequestLine {
  method: ArmMethod;
}

interface Attempt {
  response: Response;
  text: string;
  /** The answer's `x-ms-ratelimit-remaining-*` headers. */
  remaining: RateLimitRemaining;
}

/** The ARM REST client. Throws ArmError, ArmTransportError, ArmResponseError, UntrustedUrlError. */
export class ArmClient {
  readonly #tokens: TokenSource;
  readonly #origin: string;
  readonly #apiVersion: string;
  readonly #fetch: typeof fetch;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffPolicy;
  readonly #maxRetryAfterMs: number;
  readonly #writeLimit: KeyedSemaphore | undefined;
  readonly #budget: RequestBudget | undefined;
  readonly #onRequest: ((event: ArmRequestEvent) => void) | undefined;
  readonly #log: Logger;
  readonly #options: ArmClientOptions;
  /** Shared by this client and the clients {@linkcode withSignal} derives from it. */
  readonly #seen: { rateLimit: RateLimitRemaining };
  readonly #signal: AbortSignal | undefined;
  readonly #fence: (() => boolean) | undefined;

  constructor(
    options: ArmClientOptions,
    derived?: {
      seen: { rateLimit: RateLimitRemaining };
      signal: AbortSignal;
      fence?: (() => boolean) | undefined;
    },
  ) {
    const base = new URL(options.baseUrl ?? "https://management.azure.com");
    if (base.protocol !== "https:" || base.pathname !== "/" || base.search) {
      throw new TypeError(
        `Invalid ARM base URL "${options.baseUrl}": must be an https origin`,
      );
    }
    this.#tokens = options.tokenSource;
    this.#origin = base.origin;
    this.#apiVersion = options.apiVersion ?? "2024-05-01";
    this.#fetch = options.fetch ?? fetch;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 5_000;
    this.#writeLimit = options.writeLimit;
    this.#budget = options.budget;
    this.#onRequest = options.onRequest;
    this.#log = options.logger ?? silentLogger;
    this.#options = options;
    this.#seen = derived?.seen ?? { rateLimit: {} };
    this.#signal = derived?.signal;
    this.#fence = derived?.fence;
  }

  /**
   * The same client (tokens, write limits, budgets) whose every request also carries `signal`:
   * once it aborts, nothing more is sent and requests in flight are cut off (a deposed leader's
   * fence). Requests already carrying a signal stop on either. `fence`, checked right before each
   * request leaves, refuses it when false (a leader frozen past its renew deadline, not yet told).
   */
  withSignal(signal: AbortSignal, fence?: () => boolean): ArmClient {
    const combined = this.#signal
      ? AbortSignal.any([this.#signal, signal])
      : signal;
    return new ArmClient(this.#options, {
      seen: this.#seen,
      signal: combined,
      fence: fence ?? this.#fence,
    });
  }

  /** The ARM origin, the only one that receives the bearer token. */
  get origin(): string {
    return this.#origin;
  }

  /** The `api-version` added to path requests. */
  get apiVersion(): string {
    return this.#apiVersion;
  }

  /** The latest `x-ms-ratelimit-remaining-*` value seen for each header (the remaining budget). */
  get rateLimitRemaining(): Readonly<RateLimitRemaining> {
    return { ...this.#seen.rateLimit };
  }

  /**
   * Sends one ARM call, retrying inside the call only for short waits: 429/503 whose
   * `Retry-After` is at most `maxRetryAfterMs`, other 5xx and transport failures with
   * backoff, up to `maxAttempts`. A 401 gets one retry with a fresh token. Resolves with
   * 2xx answers; throws {@linkcode ArmError} for the others (with `retryAfterMs`).
   */
  async request(original: ArmRequest): Promise<ArmResponse> {
    const request = this.#fenced(original);
    request.signal?.throwIfAborted();
    const url = this.#resolve(request);
    const line: Line = { method: request.method, path: url.pathname };
    const retry = request.retry ?? true;
    let rejectedToken: string | undefined;
    let attempt = 0;
    while (true) {
      const token = await this.#tokens.getToken(
        rejectedToken ? { forceRefresh: true, rejectedToken } : {},
      );
      let result: Attempt;
      try {
        result = await this.#attempt(url, request, token.token, line);
      } catch (error) {
        if (
          !(error instanceof ArmTransportError) ||
          !this.#canRetry(retry === true, attempt)
        ) {
          throw error;
        }
        const delay = backoffDelay(this.#backoff, attempt++, this.#random);
        await this.#pause(line, error.reason, delay, request.signal);
        continue;
      }
      const { response, text } = result;
      if (response.status === 401 && rejectedToken === undefined) {
        rejectedToken = token.token;
        this.#log.debug("Refreshing the Azure token after ARM rejected it", {
          ...line,
        });
        continue;
      }
      if (response.ok) return this.#success(url, response, text, line);
      const error = parseArmError(text, {
        ...line,
        status: response.status,
        statusText: response.statusText,
        retryAfterMs: parseRetryAfterMs(
          response.headers.get("retry-after"),
          this.#clock.now(),
        ),
        requestId: readRequestId(response.headers),
      });
      const rejected = retry !== "rejected" || error.status === 429;
      const delay = this.#canRetry(retry !== false && rejected, attempt)
        ? this.#retryDelay(error, attempt++)
        : undefined;
      if (delay === undefined) throw error;
      await this.#pause(line, error.status, delay, request.signal);
    }
  }

  #fenced(request: ArmRequest): ArmRequest {
    if (!this.#signal) return request;
    const signal = request.signal
      ? AbortSignal.any([request.signal, this.#signal])
      : this.#signal;
    return { ...request, signal };
  }

  #canRetry(retry: boolean, attempt: number): boolean {
    return retry && attempt + 1 < this.#maxAttempts;
  }

  // How long to wait before retrying inside this call, or undefined to throw now.
  #retryDelay(error: ArmError, attempt: number): number | undefined {
    const throttled = error.status === 429 || error.status === 503;
    if (throttled && error.retryAfterMs !== undefined) {
      return error.retryAfterMs <= this.#maxRetryAfterMs
        ? error.retryAfterMs
        : undefined;
    }
    if (throttled || error.status >= 500) {
      return backoffDelay(this.#backoff, attempt, this.#random);
    }
    return undefined;
  }

  async #pause(
    line: Line,
    cause: number | string,
    delayMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.#log.debug("Retrying ARM request", { ...line, cause, delayMs });
    await this.#clock.sleep(delayMs, signal);
  }

  #resolve(request: ArmRequest): URL {
    if ("url" in request) {
      let url: URL | undefined;
      try {
        url = new URL(request.url);
      } catch {
        url = undefined;
      }
      if (url?.origin !== this.#origin) {
        throw new UntrustedUrlError(request.url, this.#origin);
      }
      return url;
    }
    const url = new URL(String(request.path), this.#origin);
    url.searchParams.set("api-version", this.#apiVersion);
    for (const [name, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url;
  }

  async #attempt(
    url: URL,
    request: ArmRequest,
    token: string,
    line: Line,
  ): Promise<Attempt> {
    if (request.method === "GET" || request.method === "HEAD") {
      return await this.#sendWithinBudget(url, request, token, line);
    }
    const key = topLevelResourceId(url.pathname);
    const release = key && this.#writeLimit
      ? await this.#writeLimit.acquire(key, request.signal)
      : undefined;
    try {
      return await this.#sendWithinBudget(url, request, token, line);
    } finally {
      release?.();
    }
  }

  // A request waits for room in the subscription's budget for its class (ARM counts reads,
  // writes and deletes apart) and reports what ARM says is left: the tighter of the caller's and
  // the subscription-wide (global) budget.
  async #sendWithinBudget(
    url: URL,
    request: ArmRequest,
    token: string,
    line: Line,
  ): Promise<Attempt> {
    const subscription = subscriptionOf(url.pathname);
    if (!this.#budget || !subscription) {
      return await this.#send(url, request, token, line);
    }
    const cls: BudgetClass = request.method === "DELETE"
      ? "deletes"
      : request.method === "GET" || request.method === "HEAD"
      ? "reads"
      : "writes";
    const done = await this.#budget.acquire(subscription, cls, request.signal);
    let remaining: number | undefined;
    let pauseMs: number | undefined;
    try {
      const attempt = await this.#send(url, request, token, line);
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

  async #send(
    url: URL,
    request: ArmRequest,
    token: string,
    line: Line,
  ): Promise<Attempt> {
    if (this.#fence && !this.#fence()) throw new FencedRequestError(line);
    // A real timer: the timeout guards the real network, whatever clock the retries use.
    const timeout = new AbortController();
    const timer = setTimeout(
      () =>
        timeout.abort(
          new DOMException("ARM request timed out", "TimeoutError"),
        ),
      this.#timeoutMs,
    );
    const signal = request.signal
      ? AbortSignal.any([timeout.signal, request.signal])
      : timeout.signal;
    const started = this.#clock.now();
    const headers = new Headers(request.headers);
    headers.set("authorization", `Bearer ${token}`);
    headers.set("accept", "application/json");
    if (request.body !== undefined) {
      headers.set("content-type", "application/json");
    }
    try {
      const response = await this.#fetch(url, {
        method: request.method,
        headers,
        redirect: "manual",
        signal,
        ...(request.body !== undefined
          ? { body: JSON.stringify(request.body) }
          : {}),
      });
      const text = await this.#readBody(response, line);
      const remaining = this.#report(line, response, started);
      return { response, text, remaining };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (error instanceof ArmResponseError) throw error;
      const reason = timeout.signal.aborted ? "timeout" : "network";
      this.#emit(line, reason, started, {});
      throw new ArmTransportError(line, reason, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async #readBody(response: Response, line: Line): Promise<string> {
    try {
      return await readBoundedText(response, this.#maxResponseBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      throw new ArmResponseError(line, response.status, error.message, {
        cause: error,
      });
    }
  }

  #report(
    line: Line,
    response: Response,
    started: number,
  ): RateLimitRemaining {
    const remaining = readRateLimitRemaining(response.headers);
    this.#seen.rateLimit = { ...this.#seen.rateLimit, ...remaining };
    this.#emit(line, response.status, started, remaining);
    if (response.status === 429) {
      this.#log.info("ARM throttled a request", {
        ...line,
        retryAfter: response.headers.get("retry-after"),
      });
    }
    return remaining;
  }

  #emit(
    line: Line,
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

  #success(
    url: URL,
    response: Response,
    text: string,
    line: Line,
  ): ArmResponse {
    let body: unknown;
    if (text.trim() !== "") {
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new ArmResponseError(line, response.status, "body is not JSON", {
          cause: error,
        });
      }
    }
    return {
      method: line.method,
      status: response.status,
      headers: response.headers,
      body,
      url: url.href,
      path: url.pathname,
      etag: response.headers.get("etag") ?? undefined,
      receivedAt: this.#clock.now(),
    };
  }
}

/**
 * Parses an ARM response body with `schema`.
 *
 * @throws {ArmResponseError} naming the first mismatch
 */
export function parseArmBody<T>(
  response: ArmResponse,
  schema: z.ZodType<T>,
): T {
  const parsed = schema.safeParse(response.body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ArmResponseError(
    { method: response.method, path: response.path },
    response.status,
    `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
  );
}
