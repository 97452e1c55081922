// Tests of ARM error body parsing: common-types v5, APIM's shape, bare bodies and non-JSON text.

import assert from "node:assert/strict";
import { parseArmError } from "../../../src/azure/arm_error.ts";
import {
  parseRetryAfterMs,
  readRateLimitRemaining,
} from "../../../src/azure/arm_headers.ts";

const line = { method: "PUT", path: "/subscriptions/s/x", status: 400 };

Deno.test("parseArmError() reads the common-types v5 shape with details and target", () => {
  const error = parseArmError(
    JSON.stringify({
      error: {
        code: "ValidationError",
        message: "One or more fields contain incorrect values:",
        target: "properties",
        details: [
          {
            code: "ValidationError",
            target: "validate-jwt",
            message: "Error in element",
          },
        ],
        additionalInfo: [{ type: "x", info: {} }],
      },
    }),
    { ...line, retryAfterMs: 3000, requestId: "req-1" },
  );
  assert.equal(error.status, 400);
  assert.equal(error.code, "ValidationError");
  assert.equal(error.message, "One or more fields contain incorrect values:");
  assert.equal(error.target, "properties");
  assert.deepEqual(error.details, [
    {
      code: "ValidationError",
      target: "validate-jwt",
      message: "Error in element",
    },
  ]);
  assert.equal(error.retryAfterMs, 3000);
  assert.equal(error.requestId, "req-1");
  assert.equal(error.method, "PUT");
});

Deno.test("parseArmError() reads APIM bodies with details null, message verbatim", () => {
  const message =
    "Importing API has duplicate signature operations: 2 operations with signature 'GET /submissions/{datetimeoffset}'";
  const error = parseArmError(
    JSON.stringify({
      error: { code: "ValidationError", message, details: null },
    }),
    line,
  );
  assert.equal(error.code, "ValidationError");
  assert.equal(error.message, message);
  assert.deepEqual(error.details, []);
  assert.equal(error.target, undefined);
});

Deno.test("parseArmError() reads a bare {code, message} body", () => {
  const error = parseArmError(
    JSON.stringify({
      code: "ResourceGroupNotFound",
      message: "Resource group 'rg' could not be found.",
    }),
    { ...line, status: 404 },
  );
  assert.equal(error.code, "ResourceGroupNotFound");
  assert.equal(error.message, "Resource group 'rg' could not be found.");
});

Deno.test("parseArmError() keeps non-JSON and empty bodies readable", () => {
  const html = parseArmError("<html><body>Bad   Gateway</body></html>", {
    ...line,
    status: 502,
    statusText: "Bad Gateway",
  });
  assert.equal(html.code, "Http502");
  assert.equal(html.message, "<html><body>Bad Gateway</body></html>");
  const empty = parseArmError("", {
    ...line,
    status: 503,
    statusText: "Service Unavailable",
  });
  assert.equal(empty.code, "Http503");
  assert.equal(empty.message, "Service Unavailable");
  const unrelated = parseArmError(JSON.stringify({ value: [] }), {
    ...line,
    status: 500,
  });
  assert.equal(unrelated.code, "Http500");
  assert.equal(unrelated.message, '{"value":[]}');
  const long = parseArmError("x".repeat(5000), { ...line, status: 500 });
  assert.ok(long.message.length < 2100);
});

Deno.test("parseRetryAfterMs() reads seconds and HTTP dates, ignores junk", () => {
  const now = Date.UTC(2025, 0, 1, 0, 0, 0);
  assert.equal(parseRetryAfterMs("7", now), 7000);
  assert.equal(parseRetryAfterMs(" 0 ", now), 0);
  assert.equal(parseRetryAfterMs("1.5", now), 1500);
  assert.equal(parseRetryAfterMs("Wed, 01 Jan 2025 00:00:30 GMT", now), 30_000);
  assert.equal(parseRetryAfterMs("Tue, 31 Dec 2024 00:00:00 GMT", now), 0);
  assert.equal(parseRetryAfterMs("soon", now), undefined);
  assert.equal(parseRetryAfterMs(null, now), undefined);
  assert.equal(parseRetryAfterMs("-5", now), undefined);
});

Deno.test("readRateLimitRemaining() reads every x-ms-ratelimit-remaining-* header", () => {
  const headers = new Headers({
    "x-ms-ratelimit-remaining-subscription-writes": "1199",
    "x-ms-ratelimit-remaining-tenant-reads": "11999",
    "x-ms-ratelimit-remaining-subscription-reads": "n/a",
    "x-ms-request-id": "r",
  });
  assert.deepEqual(readRateLimitRemaining(headers), {
    "subscription-writes": 1199,
    "tenant-reads": 11999,
  });
});
