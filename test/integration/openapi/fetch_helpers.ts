// Test helpers for the OpenAPI fetcher: loopback HTTP and silent TCP servers, a deadline, a manual clock.

import assert from "node:assert/strict";
import { DocumentFetchError } from "../../../src/openapi/document_fetch_error.ts";
import {
  type FetchDocumentOptions,
  fetchOpenApiDocument,
} from "../../../src/openapi/fetch_document.ts";
import type { Clock } from "../../../src/util/clock.ts";

/** Runs the fetch and returns its failure; fails the test if it succeeds. */
export async function fetchFailure(
  url: string,
  options?: FetchDocumentOptions,
): Promise<DocumentFetchError> {
  try {
    await fetchOpenApiDocument(url, options);
  } catch (error) {
    assert.ok(error instanceof DocumentFetchError, String(error));
    return error;
  }
  assert.fail(`expected fetching ${url} to fail`);
}

/** A `Deno.serve` server on 127.0.0.1 with a free port; dispose it to shut it down. */
export interface LoopbackServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  readonly port: number;
}

/** Starts a loopback server that answers with `handler`. */
export function serveLoopback(
  handler: (request: Request) => Response | Promise<Response>,
): LoopbackServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    handler,
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A TCP server that reads requests and never answers; it notices when the client hangs up. */
export interface SilentServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Settles when the first request's bytes have arrived. */
  readonly requestArrived: Promise<void>;
  /** Settles when the client has closed (or reset) that connection. */
  readonly clientGone: Promise<void>;
}

/** Starts a {@linkcode SilentServer} on 127.0.0.1 that serves one connection. */
export function listenSilently(): SilentServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const arrived = Promise.withResolvers<void>();
  let connection: Deno.Conn | undefined;
  const clientGone = (async () => {
    connection = await listener.accept();
    const buffer = new Uint8Array(4096);
    try {
      while (await connection.read(buffer) !== null) arrived.resolve();
    } catch {
      // A reset is the client going away too.
    }
  })();
  return {
    origin: `http://127.0.0.1:${listener.addr.port}`,
    requestArrived: arrived.promise,
    clientGone,
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await clientGone.catch(() => {});
      connection?.close();
    },
  };
}

/**
 * Resolves with `promise`, or rejects when it has not settled within `ms`: a guard that turns a
 * missing event into a failed test instead of a hung run. Not a timing assertion.
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  what: string,
  ms = 10_000,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not happen within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A clock whose sleeps end only when the test calls `fire()`. */
export function manualClock(): { clock: Clock; fire(): void } {
  const sleepers: (() => void)[] = [];
  const clock: Clock = {
    now: () => 0,
    sleep: (_ms, signal) =>
      new Promise<void>((resolve, reject) => {
        sleepers.push(resolve);
        signal?.addEventListener("abort", () => reject(signal.reason), {
          once: true,
        });
      }),
  };
  return { clock, fire: () => sleepers.splice(0).forEach((wake) => wake()) };
}
