// Unit tests of the watch stream decoding: JSON lines split across chunks, bookmarks, ERROR events.

import assert from "node:assert/strict";
import { z } from "zod";
import { jsonLines } from "../../../src/kube/json_lines.ts";
import { KubeDecodeError } from "../../../src/kube/kube_errors.ts";
import { decodeWatchEvent } from "../../../src/kube/watch_event.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const value of jsonLines(stream, "test stream")) out.push(value);
  return out;
}

Deno.test("jsonLines joins lines split across chunks, including multi-byte characters", async () => {
  const bytes = new TextEncoder().encode('{"a":"é"}\n\n{"b":2}\n{"c":3}');
  const chunks = Array.from(
    { length: bytes.length },
    (_, i) => bytes.slice(i, i + 1),
  );
  assert.deepEqual(await collect(streamOf(chunks)), [{ a: "é" }, { b: 2 }, {
    c: 3,
  }]);
});

Deno.test("jsonLines reports a line that is not JSON and cancels the stream when stopped early", async () => {
  const text = new TextEncoder().encode('{"a":1}\nnot json\n');
  await assert.rejects(collect(streamOf([text])), KubeDecodeError);
  let cancelled = false;
  const open = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"a":1}\n{"b":2}\n'));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const _ of jsonLines(open, "test stream")) break;
  assert.equal(
    cancelled,
    true,
    "a watch left early must not keep its connection",
  );
});

const request = { method: "GET", path: "/api/v1/configmaps" };
const decode = (o: unknown) =>
  z.object({ metadata: z.object({ name: z.string() }) }).parse(o);

Deno.test("decodeWatchEvent decodes objects, bookmarks and ERROR statuses", () => {
  assert.deepEqual(
    decodeWatchEvent(
      { type: "ADDED", object: { metadata: { name: "a" } } },
      decode,
      request,
    ),
    { type: "ADDED", object: { metadata: { name: "a" } } },
  );
  assert.deepEqual(
    decodeWatchEvent(
      {
        type: "BOOKMARK",
        object: { kind: "ConfigMap", metadata: { resourceVersion: "42" } },
      },
      decode,
      request,
    ),
    { type: "BOOKMARK", resourceVersion: "42" },
  );
  const error = decodeWatchEvent(
    {
      type: "ERROR",
      object: {
        kind: "Status",
        status: "Failure",
        message: "too old resource version: 5 (10)",
        reason: "Expired",
        code: 410,
      },
    },
    decode,
    request,
  );
  assert.equal(error.type, "ERROR");
  assert.ok(error.type === "ERROR" && error.error.isGone());
  assert.throws(
    () => decodeWatchEvent({ type: "NOPE", object: {} }, decode, request),
    KubeDecodeError,
  );
  assert.throws(() =>
    decodeWatchEvent(
      { type: "ADDED", object: { metadata: {} } },
      decode,
      request,
    )
  );
});

Deno.test("jsonLines() ends a read that is waiting for data when its signal aborts", async () => {
  let cancelled: unknown = undefined;
  const silent = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"a":1}\n'));
    },
    cancel(reason) {
      cancelled = reason;
    },
  });
  const abort = new AbortController();
  const seen: unknown[] = [];
  const reading = (async () => {
    for await (
      const value of jsonLines(silent, "a test stream", abort.signal)
    ) {
      seen.push(value);
      abort.abort(new Error("shutting down"));
    }
  })();
  await assert.rejects(reading, /shutting down/);
  assert.deepEqual(seen, [{ a: 1 }]);
  assert.ok(cancelled instanceof Error, "the underlying stream was cancelled");
});
