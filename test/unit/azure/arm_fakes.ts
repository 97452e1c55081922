// Test doubles for the ARM edge: a clock that jumps when slept on, a token source, a recording fetch, a client on them.

import {
  ArmClient,
  type ArmClientOptions,
} from "../../../src/azure/arm_client.ts";
import type { Clock } from "../../../src/util/clock.ts";
import type {
  AccessToken,
  GetTokenOptions,
  TokenSource,
} from "../../../src/azure/token_source.ts";

/** Virtual time that moves only when someone sleeps: `sleep(ms)` advances `now` by `ms` at once. */
export class JumpClock implements Clock {
  #now: number;
  /** Every sleep, in order. */
  readonly sleeps: number[] = [];

  constructor(startMs: number = Date.UTC(2025, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    this.#now += Math.max(0, ms);
    return Promise.resolve();
  }
}

/** Hands out `token-1`, then `token-2` after a forced refresh, and so on. */
export class SequenceTokenSource implements TokenSource {
  #generation = 1;
  forcedRefreshes = 0;

  getToken(options: GetTokenOptions = {}): Promise<AccessToken> {
    if (options.forceRefresh) {
      this.forcedRefreshes++;
      this.#generation++;
    }
    return Promise.resolve({
      token: `token-${this.#generation}`,
      expiresOnTimestamp: Date.UTC(2100, 0, 1),
    });
  }
}

/** One request a {@linkcode RecordingFetch} saw. */
export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: unknown;
  /** The clock's time when it was sent. */
  at: number;
  /** The HTTP client it was sent with (undefined: `fetch`'s own). */
  client: Deno.HttpClient | undefined;
}

/** Answers a request; may return a Response or throw (a transport failure). */
export type FakeHandler = (
  request: RecordedRequest,
) => Response | Promise<Response>;

/** A `fetch` that records every request and answers with `handler`. */
export class RecordingFetch {
  readonly requests: RecordedRequest[] = [];
  readonly #handler: FakeHandler;
  readonly #clock: Clock;

  constructor(handler: FakeHandler, clock: Clock) {
    this.#handler = handler;
    this.#clock = clock;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const { client, ...rest }: RequestInit & { client?: Deno.HttpClient } =
      init ?? {};
    const request = new Request(input, rest);
    const text = await request.text();
    const recorded: RecordedRequest = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: text === "" ? undefined : JSON.parse(text),
      at: this.#clock.now(),
      client,
    };
    this.requests.push(recorded);
    return await this.#handler(recorded);
  };
}

/** A JSON response. */
export function jsonResponse(
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Origin of the fake ARM in unit tests. */
export const FAKE_ARM_ORIGIN = "https://arm.example.test";

/** An ArmClient on a recording fake fetch, a {@linkcode JumpClock} and a {@linkcode SequenceTokenSource}. */
export function fakeArmClient(
  handler: FakeHandler,
  options: Partial<ArmClientOptions> = {},
): {
  client: ArmClient;
  fake: RecordingFetch;
  tokens: SequenceTokenSource;
  clock: JumpClock;
} {
  const clock = new JumpClock();
  const fake = new RecordingFetch(handler, clock);
  const tokens = new SequenceTokenSource();
  const client = new ArmClient({
    tokenSource: tokens,
    baseUrl: FAKE_ARM_ORIGIN,
    fetch: fake.fetch,
    clock,
    random: () => 0.5,
    ...options,
  });
  return { client, fake, tokens, clock };
}
