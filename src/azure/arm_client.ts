// ArmClient: every ARM request goes through here (token, api-version, timeout, size cap, bounded retries).

import { type Logger, silentLogger } from "../log.ts";
import { backoffDelay, type BackoffPolicy } from "../util/backoff.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  ArmError,
  ArmResponseError,
  ArmTransportError,
  FencedRequestError,
  parseArmError,
} from "./arm_error.ts";
import {
  parseRetryAfterMs,
  type RateLimitRemaining,
  readRequestId,
} from "./arm_headers.ts";
import { ArmPacing, type PacedAnswer } from "./arm_pacing.ts";
import {
  type ArmCallLine,
  type ArmRequest,
  armUserAgent,
  resolveArmUrl,
} from "./arm_request.ts";
import {
  type ArmRequestEvent,
  ArmRequestReport,
} from "./arm_request_report.ts";
import { type ArmResponse, armResponse, readArmBody } from "./arm_response.ts";
import type { KeyedSemaphore } from "./keyed_semaphore.ts";
import type { TokenSource } from "./token_source.ts";
import type { RequestBudget } from "./request_budget.ts";

/** Options for {@linkcode ArmClient}. */
export interface ArmClientOptions {
  tokenSource: TokenSource;
  /** ARM origin (default `https://management.azure.com`); must be https. */
  baseUrl?: string;
  /** Default `2024-05-01`; `2022-08-01` works too. */
  apiVersion?: string;
  fetch?: typeof fetch;
  /** Sends the requests that carry a body (see `BODY_CLIENT_OPTIONS`); default `fetch`'s own. */
  bodyClient?: Deno.HttpClient;
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
  /** This process's instance id, named in every request's `User-Agent` (default `local`). */
  instance?: string;
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

interface Attempt extends PacedAnswer {
  text: string;
}

/** The ARM REST client. Throws ArmError, ArmTransportError, ArmResponseError, UntrustedUrlError. */
export class ArmClient {
  readonly #tokens: TokenSource;
  readonly #origin: string;
  readonly #apiVersion: string;
  readonly #fetch: typeof fetch;
  readonly #bodyClient: Deno.HttpClient | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #timeoutMs: number;
  readonly #maxResponseBytes: number;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffPolicy;
  readonly #maxRetryAfterMs: number;
  readonly #userAgent: string;
  readonly #pacing: ArmPacing;
  readonly #log: Logger;
  readonly #options: ArmClientOptions;
  /** Shared by this client and the clients {@linkcode withSignal} derives from it. */
  readonly #report: ArmRequestReport;
  readonly #signal: AbortSignal | undefined;
  readonly #fence: (() => boolean) | undefined;

  constructor(
    options: ArmClientOptions,
    derived?: {
      report: ArmRequestReport;
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
    this.#bodyClient = options.bodyClient;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
    this.#maxAttempts = options.maxAttempts ?? 4;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 5_000;
    this.#userAgent = armUserAgent(options.instance ?? "local");
    this.#pacing = new ArmPacing(
      options.writeLimit,
      options.budget,
      this.#clock,
    );
    this.#log = options.logger ?? silentLogger;
    this.#options = options;
    this.#report = derived?.report ??
      new ArmRequestReport(this.#clock, options.onRequest, this.#log);
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
      report: this.#report,
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
    return this.#report.rateLimitRemaining;
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
    const url = resolveArmUrl(request, this.#origin, this.#apiVersion);
    const line: ArmCallLine = { method: request.method, path: url.pathname };
    const retry = request.retry ?? true;
    let rejectedToken: string | undefined;
    let attempt = 0;
    while (true) {
      const token = await this.#tokens.getToken(
        rejectedToken ? { forceRefresh: true, rejectedToken } : {},
      );
      let result: Attempt;
      try {
        result = await this.#pacing.send(
          url,
          request,
          async () => {
            await request.beforeAttempt?.();
            return await this.#send(url, request, token.token, line);
          },
        );
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
      if (response.ok) {
        return armResponse(url, response, text, line, this.#clock.now());
      }
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
    line: ArmCallLine,
    cause: number | string,
    delayMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.#log.debug("Retrying ARM request", { ...line, cause, delayMs });
    await this.#clock.sleep(delayMs, signal);
  }

  async #send(
    url: URL,
    request: ArmRequest,
    token: string,
    line: ArmCallLine,
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
    headers.set("user-agent", this.#userAgent);
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
          ? {
            body: JSON.stringify(request.body),
            ...(this.#bodyClient ? { client: this.#bodyClient } : {}),
          }
          : {}),
      });
      const text = await readArmBody(response, line, this.#maxResponseBytes);
      const remaining = this.#report.answered(line, response, started);
      return { response, text, remaining };
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (error instanceof ArmResponseError) throw error;
      const reason = timeout.signal.aborted ? "timeout" : "network";
      this.#report.failed(line, reason, started);
      throw new ArmTransportError(line, reason, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
