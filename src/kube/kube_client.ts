// KubeClient: the one seam over fetch — auth, timeouts, 401 re-auth, 429 Retry-After, typed errors.

import type { Logger } from "../log.ts";
import { silentLogger } from "../log.ts";
import { systemClock } from "../util/clock.ts";
import type { Clock } from "../util/clock.ts";
import type { Connection } from "./connection.ts";
import {
  KubeApiError,
  kubeApiErrorFromResponse,
  KubeCredentialError,
  KubeDecodeError,
  KubeTransportError,
} from "./kube_errors.ts";

/** HTTP methods the API server uses. */
export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Query parameters; undefined values are left out. */
export type QueryParams = Record<string, string | number | boolean | undefined>;

/** One API request. `body` is sent as JSON text. */
export interface KubeRequest {
  method: HttpMethod;
  /** Absolute path, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query?: QueryParams | undefined;
  body?: unknown;
  /** Content type of the body (default `application/json`). */
  contentType?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Overrides the client's request timeout (for a stream: until the headers arrive). */
  timeoutMs?: number | undefined;
}

/** Options of {@linkcode KubeClient}. */
export interface KubeClientOptions {
  clock?: Clock;
  logger?: Logger;
  /** Deadline of a whole request incl. reading the body (default 30 s). */
  requestTimeoutMs?: number;
  /** How often a 429 (or 5xx with Retry-After) is retried after waiting (default 3). */
  maxThrottleRetries?: number;
  /** Upper bound of one such wait (default 10 s); longer waits are left to the caller. */
  maxThrottleWaitMs?: number;
}

/** Talks raw REST to one API server over a {@linkcode Connection}. */
export class KubeClient {
  readonly #connection: Connection;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #maxThrottleRetries: number;
  readonly #maxThrottleWaitMs: number;

  constructor(connection: Connection, options: KubeClientOptions = {}) {
    this.#connection = connection;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#maxThrottleRetries = options.maxThrottleRetries ?? 3;
    this.#maxThrottleWaitMs = options.maxThrottleWaitMs ?? 10_000;
  }

  /** The connection's default namespace. */
  get defaultNamespace(): string {
    return this.#connection.namespace;
  }

  /** Sends a request and returns the parsed JSON response (undefined for an empty body). */
  async request(request: KubeRequest): Promise<unknown> {
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.#timeoutMs);
    const signal = request.signal
      ? AbortSignal.any([request.signal, timeout])
      : timeout;
    const response = await this.#send(request, signal, timeout);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.#transportError(request, error, timeout);
    }
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new KubeDecodeError(
        `the response of "${request.method} ${request.path}"`,
        "not JSON",
        error,
      );
    }
  }

  /**
   * Sends a request and returns the response body as a byte stream (watches). The timeout
   * covers only the wait for the response headers; the caller's signal ends the stream.
   */
  async stream(request: KubeRequest): Promise<ReadableStream<Uint8Array>> {
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException("timed out", "TimeoutError")),
      request.timeoutMs ?? this.#timeoutMs,
    );
    const signal = request.signal
      ? AbortSignal.any([request.signal, timeout.signal])
      : timeout.signal;
    try {
      const response = await this.#send(request, signal, timeout.signal);
      if (response.body === null) {
        throw new KubeDecodeError(
          `the response of "${request.method} ${request.path}"`,
          "no body",
        );
      }
      return response.body;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Releases the connection's HTTP clients. */
  close(): void {
    this.#connection.close();
  }

  /** Sends until the answer is final: re-authenticates once on 401, waits out throttling. */
  async #send(
    request: KubeRequest,
    signal: AbortSignal,
    timeout: AbortSignal,
  ): Promise<Response> {
    const url = this.#url(request);
    const body = request.body === undefined
      ? undefined
      : JSON.stringify(request.body);
    let reauthenticated = false;
    let throttled = 0;
    for (;;) {
      let response: Response;
      try {
        const auth = await this.#connection.auth(signal, body !== undefined);
        const headers: Record<string, string> = {
          ...auth.headers,
          "Accept": "application/json",
        };
        if (body !== undefined) {
          headers["Content-Type"] = request.contentType ?? "application/json";
        }
        response = await fetch(url, {
          method: request.method,
          headers,
          signal,
          ...(body !== undefined ? { body } : {}),
          ...(auth.client ? { client: auth.client } : {}),
        });
      } catch (error) {
        throw this.#transportError(request, error, timeout);
      }
      if (response.ok) return response;

      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        throw this.#transportError(request, error, timeout);
      }
      const error = kubeApiErrorFromResponse(
        response.status,
        response.headers.get("Retry-After"),
        text,
        { method: request.method, path: request.path },
      );
      if (error.isUnauthorized() && !reauthenticated) {
        reauthenticated = true;
        this.#logger.info("Re-authenticating after 401 Unauthorized", {
          method: request.method,
          path: request.path,
        });
        this.#connection.invalidate();
        continue;
      }
      const waitMs = this.#throttleWait(error, throttled);
      if (waitMs === undefined) throw error;
      throttled++;
      this.#logger.info("Throttled by the API server, retrying", {
        method: request.method,
        path: request.path,
        status: error.status,
        waitMs,
      });
      try {
        await this.#clock.sleep(waitMs, signal);
      } catch (abort) {
        throw this.#transportError(request, abort, timeout);
      }
    }
  }

  /** How long to wait before retrying a throttled request, or undefined to give up. */
  #throttleWait(error: KubeApiError, attempts: number): number | undefined {
    const throttled = error.isTooManyRequests() ||
      (error.status >= 500 && error.retryAfterSeconds !== undefined);
    if (!throttled || attempts >= this.#maxThrottleRetries) return undefined;
    const waitMs = (error.retryAfterSeconds ?? 1) * 1000;
    return waitMs <= this.#maxThrottleWaitMs ? waitMs : undefined;
  }

  #url(request: KubeRequest): string {
    const url = new URL(this.#connection.server + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  #transportError(
    request: KubeRequest,
    error: unknown,
    timeout: AbortSignal,
  ): Error {
    if (
      error instanceof KubeApiError || error instanceof KubeDecodeError ||
      error instanceof KubeTransportError ||
      error instanceof KubeCredentialError
    ) return error;
    // The caller's own abort is passed through unchanged so loops can tell shutdown apart.
    if (request.signal?.aborted) return request.signal.reason;
    return new KubeTransportError(
      { method: request.method, path: request.path },
      error,
      timeout.aborted,
    );
  }
}
