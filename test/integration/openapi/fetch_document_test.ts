// Integration tests for fetching OpenAPI documents from real loopback servers: answers, redirects, guards.

import assert from "node:assert/strict";
import {
  DOCUMENT_ACCEPT,
  fetchOpenApiDocument,
} from "../../../src/openapi/fetch_document.ts";
import type { HostResolver } from "../../../src/openapi/host_guard.ts";
import { InvalidDocumentError } from "../../../src/openapi/invalid_document_error.ts";
import { parseOpenApiDocument } from "../../../src/openapi/parse_document.ts";
import { fetchFailure, serveLoopback } from "./fetch_helpers.ts";

const DOCUMENT = JSON.stringify({
  openapi: "3.0.3",
  info: { title: "Pets", version: "1" },
  paths: { "/pets": { get: { operationId: "listPets" } } },
});

Deno.test("a document is fetched with its bytes, content type and Accept header", async () => {
  const accepts: (string | null)[] = [];
  await using server = serveLoopback((request) => {
    accepts.push(request.headers.get("accept"));
    return new Response(DOCUMENT, {
      headers: { "content-type": "application/json; charset=utf-8" },
    });
  });
  const fetched = await fetchOpenApiDocument(`${server.origin}/swagger.json`);
  assert.equal(new TextDecoder().decode(fetched.bytes), DOCUMENT);
  assert.equal(fetched.finalUrl, `${server.origin}/swagger.json`);
  assert.equal(fetched.contentType, "application/json; charset=utf-8");
  assert.deepEqual(accepts, [DOCUMENT_ACCEPT]);
  const doc = parseOpenApiDocument(fetched.bytes, fetched.contentType);
  assert.equal(doc.importFormat, "openapi+json");
  assert.equal(doc.title, "Pets");
});

Deno.test("a body sent in many chunks arrives whole", async () => {
  const bytes = new TextEncoder().encode(DOCUMENT);
  await using server = serveLoopback(() =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 7) {
            controller.enqueue(bytes.slice(i, i + 7));
          }
          controller.close();
        },
      }),
    )
  );
  const fetched = await fetchOpenApiDocument(`${server.origin}/doc`);
  assert.deepEqual(fetched.bytes, bytes);
  assert.equal(fetched.contentType, undefined);
});

/** `/hop/N` redirects to `/hop/N-1` (relative Location); `/hop/0` serves the document. */
function redirectChain(seen: string[]) {
  return (request: Request) => {
    const { pathname } = new URL(request.url);
    seen.push(pathname);
    const n = Number(pathname.split("/").pop());
    if (n === 0) return new Response(DOCUMENT);
    return new Response(null, {
      status: [301, 302, 307, 308][n % 4] ?? 302,
      headers: { location: `/hop/${n - 1}` },
    });
  };
}

Deno.test("up to three redirects are followed", async () => {
  const seen: string[] = [];
  await using server = serveLoopback(redirectChain(seen));
  const fetched = await fetchOpenApiDocument(`${server.origin}/hop/3`);
  assert.equal(fetched.finalUrl, `${server.origin}/hop/0`);
  assert.equal(new TextDecoder().decode(fetched.bytes), DOCUMENT);
  assert.deepEqual(seen, ["/hop/3", "/hop/2", "/hop/1", "/hop/0"]);
});

Deno.test("a fourth redirect is refused without being followed", async () => {
  const seen: string[] = [];
  await using server = serveLoopback(redirectChain(seen));
  const error = await fetchFailure(`${server.origin}/hop/4`);
  assert.equal(error.reason, "TooManyRedirects");
  assert.equal(error.retryable, false);
  assert.deepEqual(seen, ["/hop/4", "/hop/3", "/hop/2", "/hop/1"]);
});

Deno.test("redirects to forbidden addresses are refused before connecting", async () => {
  const asked: string[] = [];
  const resolveHost: HostResolver = (hostname) => {
    asked.push(hostname);
    return Promise.resolve(
      hostname === "metadata.test" ? ["10.0.0.1", "168.63.129.16"] : [],
    );
  };
  const targets: Record<string, string> = {
    "/literal": "http://169.254.169.254/latest/meta-data/?token=x",
    "/mapped": "http://[::ffff:a9fe:a9fe]/metadata",
    "/aws6": "http://[fd00:ec2::254]/latest/",
    "/name": "http://metadata.test/machine",
  };
  await using server = serveLoopback((request) =>
    new Response(null, {
      status: 302,
      headers: { location: targets[new URL(request.url).pathname] ?? "/" },
    })
  );
  for (const [path, target] of Object.entries(targets)) {
    const error = await fetchFailure(`${server.origin}${path}`, {
      resolveHost,
    });
    assert.equal(error.reason, "ForbiddenAddress", path);
    assert.equal(error.retryable, false, path);
    assert.equal(error.url, target.replace(/\?.*$/, ""), path);
  }
  assert.deepEqual(asked, ["metadata.test"]);
});

Deno.test("a forbidden first URL is refused", async () => {
  const error = await fetchFailure("http://169.254.169.254/openapi.json");
  assert.equal(error.reason, "ForbiddenAddress");
  assert.match(error.message, /169\.254\.169\.254 is a cloud metadata address/);
});

Deno.test("redirects to other schemes or to URLs with credentials are refused", async () => {
  await using server = serveLoopback((request) => {
    const path = new URL(request.url).pathname;
    const location = path === "/ftp"
      ? "ftp://127.0.0.1/doc.json"
      : `http://user:pw@127.0.0.1:${new URL(request.url).port}/doc.json`;
    return new Response(null, { status: 307, headers: { location } });
  });
  assert.equal(
    (await fetchFailure(`${server.origin}/ftp`)).reason,
    "UnsupportedScheme",
  );
  const credentials = await fetchFailure(`${server.origin}/creds`);
  assert.equal(credentials.reason, "CredentialsInUrl");
  assert.doesNotMatch(credentials.message, /pw/);
});

Deno.test("error statuses are reported with the status and a redacted URL", async () => {
  await using server = serveLoopback((request) => {
    const status = Number(new URL(request.url).pathname.slice(1));
    return new Response("internal details: password=hunter2", {
      status,
      headers: status === 429 ? { "retry-after": "7" } : {},
    });
  });
  const notFound = await fetchFailure(`${server.origin}/404?token=s3cret`);
  assert.equal(notFound.reason, "HttpStatus");
  assert.equal(notFound.status, 404);
  assert.equal(notFound.url, `${server.origin}/404`);
  assert.equal(
    notFound.message,
    `Fetching the OpenAPI document "${server.origin}/404" failed: the server answered HTTP 404 Not Found`,
  );
  assert.doesNotMatch(notFound.message, /s3cret|hunter2/);

  const serverError = await fetchFailure(`${server.origin}/500`);
  assert.equal(serverError.status, 500);
  assert.equal(serverError.retryable, true);

  const forbidden = await fetchFailure(`${server.origin}/403`);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.retryable, false);

  const throttled = await fetchFailure(`${server.origin}/429`);
  assert.equal(throttled.retryable, true);
  assert.equal(throttled.retryAfterMs, 7000);
});

Deno.test("a redirect without a Location is an HTTP status failure", async () => {
  await using server = serveLoopback(() => new Response(null, { status: 302 }));
  const error = await fetchFailure(`${server.origin}/x`);
  assert.equal(error.reason, "HttpStatus");
  assert.equal(error.status, 302);
  assert.match(error.message, /redirect without a Location/);
});

Deno.test("an HTML page is fetched but refused as a document", async () => {
  await using server = serveLoopback(() =>
    new Response("<!doctype html><html><body>Sign in</body></html>", {
      headers: { "content-type": "text/html" },
    })
  );
  const fetched = await fetchOpenApiDocument(`${server.origin}/login`);
  assert.throws(
    () => parseOpenApiDocument(fetched.bytes, fetched.contentType),
    (error: unknown) =>
      error instanceof InvalidDocumentError &&
      error.message ===
        "Invalid OpenAPI document: the response is HTML, not an OpenAPI document",
  );
});

Deno.test("a closed port is Unreachable and retryable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const error = await fetchFailure(`http://127.0.0.1:${port}/doc?key=abc`);
  assert.equal(error.reason, "Unreachable");
  assert.equal(error.retryable, true);
  assert.match(error.message, /connect/i);
  assert.doesNotMatch(error.message, /key=abc/);
});
