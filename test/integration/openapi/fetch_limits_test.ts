// Integration tests for the fetcher's limits against real loopback servers: size cap, deadline, cancel.

import assert from "node:assert/strict";
import { fetchOpenApiDocument } from "../../../src/openapi/fetch_document.ts";
import {
  fetchFailure,
  listenSilently,
  manualClock,
  serveLoopback,
  withDeadline,
} from "./fetch_helpers.ts";

const CAP = 64 * 1024;
const CHUNK = 16 * 1024;

/** A body that never ends on its own; `cancelled` settles when the client stops reading. */
function endlessBody(): {
  body: ReadableStream<Uint8Array>;
  cancelled: Promise<void>;
} {
  const { promise: cancelled, resolve } = Promise.withResolvers<void>();
  const body = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.enqueue(new Uint8Array(CHUNK).fill(0x20)),
    cancel: () => resolve(),
  });
  return { body, cancelled };
}

Deno.test("a streamed body over the cap is cut off and the server sees the cancel", async () => {
  const { body, cancelled } = endlessBody();
  await using server = serveLoopback(() => new Response(body));
  const error = await fetchFailure(`${server.origin}/huge`, { maxBytes: CAP });
  assert.equal(error.reason, "TooLarge");
  assert.equal(error.retryable, false);
  assert.match(error.message, /larger than the limit of 65536 bytes/);
  await withDeadline(cancelled, "the server observing the cancelled stream");
});

Deno.test("a declared Content-Length over the cap is refused", async () => {
  await using server = serveLoopback(() =>
    new Response(new Uint8Array(CAP + 1).fill(0x20))
  );
  const error = await fetchFailure(`${server.origin}/big`, { maxBytes: CAP });
  assert.equal(error.reason, "TooLarge");
});

Deno.test("a body of exactly the cap is accepted", async () => {
  await using server = serveLoopback(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < CAP; sent += CHUNK) {
            controller.enqueue(new Uint8Array(CHUNK).fill(0x7b));
          }
          controller.close();
        },
      }),
    )
  );
  const fetched = await fetchOpenApiDocument(`${server.origin}/exact`, {
    maxBytes: CAP,
  });
  assert.equal(fetched.bytes.byteLength, CAP);
  assert.ok(fetched.bytes.every((b) => b === 0x7b));
});

Deno.test("a server that never answers hits the deadline and the client hangs up", async () => {
  await using server = listenSilently();
  const error = await fetchFailure(`${server.origin}/slow?sig=abc`, {
    timeoutMs: 50,
  });
  assert.equal(error.reason, "Timeout");
  assert.equal(error.retryable, true);
  assert.equal(
    error.message,
    `Fetching the OpenAPI document "${server.origin}/slow" failed: no complete answer within 50 ms`,
  );
  await withDeadline(server.clientGone, "the client closing the connection");
});

Deno.test("the deadline also covers a body that stalls after the headers", async () => {
  const { promise: headersReceived, resolve: onHeaders } = Promise
    .withResolvers<void>();
  const { clock, fire } = manualClock();
  const { body, cancelled } = stalledBody();
  await using server = serveLoopback(() => new Response(body));
  const failure = fetchFailure(`${server.origin}/stall`, {
    clock,
    fetch: async (url, init) => {
      const response = await fetch(url, init);
      onHeaders();
      return response;
    },
  });
  await withDeadline(headersReceived, "the response headers arriving");
  fire();
  const error = await failure;
  assert.equal(error.reason, "Timeout");
  assert.match(error.message, /no complete answer within 15 s/);
  await withDeadline(cancelled, "the server observing the cancelled stream");
});

/** A body that sends one chunk and then nothing, until the client goes away. */
function stalledBody(): {
  body: ReadableStream<Uint8Array>;
  cancelled: Promise<void>;
} {
  const { promise: cancelled, resolve } = Promise.withResolvers<void>();
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(new TextEncoder().encode("{")),
    pull: () => cancelled,
    cancel: () => resolve(),
  });
  return { body, cancelled };
}

Deno.test("cancelling through the caller's signal gives Aborted", async () => {
  const caller = new AbortController();
  await using server = listenSilently();
  const failure = fetchFailure(`${server.origin}/wait`, {
    signal: caller.signal,
  });
  await withDeadline(server.requestArrived, "the request reaching the server");
  caller.abort();
  const error = await failure;
  assert.equal(error.reason, "Aborted");
  assert.equal(error.retryable, true);
  await withDeadline(server.clientGone, "the client closing the connection");
});
