// Unit tests of KubeApiError parsing (Status bodies, Retry-After, non-Status bodies) and its helpers.

import assert from "node:assert/strict";
import { kubeApiErrorFromResponse } from "../../../src/kube/kube_errors.ts";

const request = { method: "PUT", path: "/api/v1/namespaces/ns/configmaps/cm" };

Deno.test("kubeApiErrorFromResponse reads a Status body with causes", () => {
  const body = JSON.stringify({
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: 'ConfigMap "cm" is invalid: data: Invalid value',
    reason: "Invalid",
    code: 422,
    details: {
      name: "cm",
      kind: "ConfigMap",
      causes: [{
        reason: "FieldValueInvalid",
        message: "Invalid value",
        field: "data",
      }],
    },
  });
  const error = kubeApiErrorFromResponse(422, null, body, request);
  assert.equal(error.status, 422);
  assert.equal(error.reason, "Invalid");
  assert.equal(error.isInvalid(), true);
  assert.equal(error.details?.causes?.[0]?.field, "data");
  assert.match(
    error.message,
    /PUT \/api\/v1\/namespaces\/ns\/configmaps\/cm.*422 Invalid: ConfigMap "cm" is invalid/,
  );
});

Deno.test("kubeApiErrorFromResponse tells conflicts from already-exists and reads Retry-After", () => {
  const status = (reason: string, code: number) =>
    JSON.stringify({ kind: "Status", reason, code, message: "m" });
  const conflict = kubeApiErrorFromResponse(
    409,
    null,
    status("Conflict", 409),
    request,
  );
  assert.equal(conflict.isConflict(), true);
  assert.equal(conflict.isAlreadyExists(), false);
  const exists = kubeApiErrorFromResponse(
    409,
    null,
    status("AlreadyExists", 409),
    request,
  );
  assert.equal(exists.isAlreadyExists(), true);
  assert.equal(exists.isConflict(), false);
  const gone = kubeApiErrorFromResponse(
    410,
    null,
    status("Expired", 410),
    request,
  );
  assert.equal(gone.isGone(), true);
  const throttled = kubeApiErrorFromResponse(
    429,
    "3",
    status("TooManyRequests", 429),
    request,
  );
  assert.equal(throttled.isTooManyRequests(), true);
  assert.equal(throttled.retryAfterSeconds, 3);
});

Deno.test("kubeApiErrorFromResponse copes with a body that is not a Status", () => {
  const error = kubeApiErrorFromResponse(
    503,
    null,
    "<html>upstream down</html>",
    request,
  );
  assert.equal(error.status, 503);
  assert.equal(error.reason, "ServiceUnavailable");
  assert.equal(error.serverMessage, "<html>upstream down</html>");
  const forbidden = kubeApiErrorFromResponse(403, null, "", request);
  assert.equal(forbidden.isForbidden(), true);
  assert.equal(forbidden.isNotFound(), false);
});
