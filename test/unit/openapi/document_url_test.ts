// Unit tests for resolving, checking and redacting OpenAPI document URLs.

import assert from "node:assert/strict";
import { DocumentFetchError } from "../../../src/openapi/document_fetch_error.ts";
import {
  checkFetchableUrl,
  redactUrl,
  resolveDocumentUrl,
} from "../../../src/openapi/document_url.ts";

function fetchError(fn: () => unknown): DocumentFetchError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof DocumentFetchError, String(error));
    return error;
  }
  assert.fail("expected a DocumentFetchError");
}

Deno.test("resolveDocumentUrl keeps an absolute URL", () => {
  assert.equal(
    resolveDocumentUrl(
      "https://docs.example.com/v1/openapi.yaml?x=1",
      "https://api.example.com/base",
    ),
    "https://docs.example.com/v1/openapi.yaml?x=1",
  );
});

Deno.test("resolveDocumentUrl appends a path to the service URL's base path", () => {
  const cases: [string, string, string][] = [
    [
      "/swagger/v1/swagger.json",
      "https://api.example.com/base",
      "https://api.example.com/base/swagger/v1/swagger.json",
    ],
    [
      "/swagger/v1/swagger.json",
      "https://api.example.com/base/",
      "https://api.example.com/base/swagger/v1/swagger.json",
    ],
    [
      "swagger.json",
      "https://api.example.com/base",
      "https://api.example.com/base/swagger.json",
    ],
    [
      "/swagger.json",
      "http://pets.shop.svc.cluster.local:8080",
      "http://pets.shop.svc.cluster.local:8080/swagger.json",
    ],
    [
      "/openapi.json?format=json",
      "https://api.example.com/base?ignored=1#frag",
      "https://api.example.com/base/openapi.json?format=json",
    ],
  ];
  for (const [path, serviceUrl, expected] of cases) {
    assert.equal(resolveDocumentUrl(path, serviceUrl), expected, path);
  }
});

Deno.test("resolveDocumentUrl refuses empty, protocol-relative and unusable input", () => {
  assert.equal(
    fetchError(() => resolveDocumentUrl("", "https://a.example")).reason,
    "InvalidUrl",
  );
  const relative = fetchError(() =>
    resolveDocumentUrl("//evil.example/x", "https://a.example")
  );
  assert.equal(relative.reason, "InvalidUrl");
  assert.match(relative.message, /protocol-relative/);
  const badService = fetchError(() =>
    resolveDocumentUrl("/swagger.json", "not a url")
  );
  assert.equal(badService.reason, "InvalidUrl");
  assert.equal(badService.retryable, false);
  assert.equal(
    fetchError(() => resolveDocumentUrl("http://[::1", "https://a.example"))
      .reason,
    "InvalidUrl",
  );
});

Deno.test("checkFetchableUrl accepts http and https only", () => {
  assert.equal(
    checkFetchableUrl("http://127.0.0.1:8080/x").href,
    "http://127.0.0.1:8080/x",
  );
  const ftp = fetchError(() => checkFetchableUrl("ftp://example.com/x"));
  assert.equal(ftp.reason, "UnsupportedScheme");
  assert.match(ftp.message, /"ftp"/);
  assert.equal(
    fetchError(() => checkFetchableUrl("file:///etc/passwd")).reason,
    "UnsupportedScheme",
  );
});

Deno.test("checkFetchableUrl refuses credentials without echoing them", () => {
  const error = fetchError(() =>
    checkFetchableUrl("https://user:s3cret@example.com/x")
  );
  assert.equal(error.reason, "CredentialsInUrl");
  assert.equal(error.retryable, false);
  assert.doesNotMatch(error.message, /s3cret|user/);
});

Deno.test("redactUrl drops userinfo, query and fragment", () => {
  assert.equal(
    redactUrl("https://u:p@example.com:8443/a/b?token=abc#frag"),
    "https://example.com:8443/a/b",
  );
  assert.equal(
    redactUrl("not a url//u:p@host/x?token=abc"),
    "not a url//host/x",
  );
});
