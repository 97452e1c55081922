// Unit tests for the fetch error's retry decision and the Retry-After parsing.

import assert from "node:assert/strict";
import {
  DocumentFetchError,
  isRetryableStatus,
} from "../../../src/openapi/document_fetch_error.ts";
import { parseRetryAfter } from "../../../src/openapi/fetch_document.ts";

Deno.test("transient reasons are retryable, the others are not", () => {
  const retryable = (
    reason: ConstructorParameters<typeof DocumentFetchError>[0],
  ) => new DocumentFetchError(reason, "https://a.example/x", "d").retryable;
  assert.equal(retryable("Unreachable"), true);
  assert.equal(retryable("Timeout"), true);
  assert.equal(retryable("Aborted"), true);
  assert.equal(retryable("TooLarge"), false);
  assert.equal(retryable("ForbiddenAddress"), false);
  assert.equal(retryable("TooManyRedirects"), false);
  assert.equal(retryable("UnsupportedScheme"), false);
  assert.equal(retryable("CredentialsInUrl"), false);
  assert.equal(retryable("InvalidUrl"), false);
});

Deno.test("HTTP statuses decide retrying by their class", () => {
  for (const status of [404, 408, 425, 429, 500, 502, 503, 504]) {
    assert.equal(isRetryableStatus(status), true, String(status));
  }
  for (const status of [300, 400, 401, 403, 405, 410, 451]) {
    assert.equal(isRetryableStatus(status), false, String(status));
  }
  const error = new DocumentFetchError(
    "HttpStatus",
    "https://a.example/x",
    "d",
    {
      status: 403,
    },
  );
  assert.equal(error.retryable, false);
  assert.equal(error.status, 403);
});

Deno.test("the message names the redacted URL and the detail", () => {
  const error = new DocumentFetchError(
    "Timeout",
    "https://a.example/x",
    "no complete answer within 15 s",
  );
  assert.equal(
    error.message,
    'Fetching the OpenAPI document "https://a.example/x" failed: no complete answer within 15 s',
  );
  assert.equal(error.name, "DocumentFetchError");
});

Deno.test("Retry-After is read as seconds or as an HTTP date", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("7", now), 7000);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now), 30_000);
  assert.equal(parseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
});
