// Unit tests for turning any reconcile error into a retry decision, a reason and a message.
import assert from "node:assert/strict";
import {
  ArmError,
  type ArmErrorInit,
  ArmResponseError,
  ArmTransportError,
  InvalidArmRequestError,
  parseArmError,
  UntrustedUrlError,
} from "../../../src/azure/arm_error.ts";
import {
  classifyReconcileError,
  deletionFailure,
  describeFailure,
  type Failure,
  ReportedFailure,
} from "../../../src/controllers/failure.ts";
import {
  KubeApiError,
  kubeApiErrorFromResponse,
} from "../../../src/kube/kube_errors.ts";
import { DocumentFetchError } from "../../../src/openapi/document_fetch_error.ts";
import { InvalidDocumentError } from "../../../src/openapi/invalid_document_error.ts";

const API_PATH =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apim1/apis/orders";

function armError(init: Partial<ArmErrorInit>): ArmError {
  return new ArmError({
    method: "PUT",
    path: API_PATH,
    status: 500,
    code: "InternalServerError",
    message: "Something went wrong",
    ...init,
  });
}

// ---- ARM ------------------------------------------------------------------------------------

Deno.test("describeFailure() makes an ARM 400 terminal with its code and details in the message", () => {
  const error = parseArmError(
    JSON.stringify({
      error: {
        code: "ValidationError",
        message: "One or more fields contain incorrect values:",
        details: [{
          code: "ValidationError",
          target: "path",
          message: "API with specified URL path 'orders' already exists.",
        }],
      },
    }),
    { method: "PUT", path: API_PATH, status: 400 },
  );
  assert.deepEqual(describeFailure(error), {
    decision: { kind: "terminal" },
    reason: "ValidationError",
    message:
      "One or more fields contain incorrect values: path: API with specified URL path 'orders' already exists.",
  });
});

Deno.test("describeFailure() waits as long as a 429's Retry-After says", () => {
  const error = armError({
    status: 429,
    code: "TooManyRequests",
    message: "Rate limit exceeded",
    retryAfterMs: 7_000,
  });
  assert.deepEqual(describeFailure(error), {
    decision: { kind: "retryAfter", delayMs: 7_000 },
    reason: "TooManyRequests",
    message: "Rate limit exceeded",
  });
});

Deno.test("describeFailure() waits (backing off, as expected progress) for the running operation on a 409 PessimisticConcurrencyConflict", () => {
  const error = armError({
    status: 409,
    code: "PessimisticConcurrencyConflict",
    message:
      "Conflict occurred while applying changes. Please retry the operation.",
  });
  assert.deepEqual(describeFailure(error), {
    decision: { kind: "backoff" },
    reason: "PessimisticConcurrencyConflict",
    message:
      "Conflict occurred while applying changes. Please retry the operation.",
    expected: true,
  });
});

const armDecisions: [string, Partial<ArmErrorInit>, Failure["decision"]][] = [
  ["a 429 without Retry-After", { status: 429 }, { kind: "backoff" }],
  [
    "a 503 with Retry-After",
    { status: 503, retryAfterMs: 30_000 },
    { kind: "retryAfter", delayMs: 30_000 },
  ],
  ["a 500", { status: 500 }, { kind: "backoff" }],
  ["another 409", { status: 409, code: "Conflict" }, { kind: "backoff" }],
  ["a 412 stale ETag", { status: 412, code: "PreconditionFailed" }, {
    kind: "backoff",
  }],
  ["a 401", { status: 401, code: "InvalidAuthenticationToken" }, {
    kind: "terminal",
  }],
  ["a 403", { status: 403, code: "AuthorizationFailed" }, { kind: "terminal" }],
  ["a 404 on a write", { status: 404, code: "ResourceNotFound" }, {
    kind: "terminal",
  }],
  [
    "a 404 on a read",
    { status: 404, code: "ResourceNotFound", method: "GET" },
    {
      kind: "backoff",
    },
  ],
];

for (const [what, init, decision] of armDecisions) {
  Deno.test(`describeFailure() decides ${decision.kind} for ${what} from ARM`, () => {
    const failure = describeFailure(armError({ code: "Code", ...init }));
    assert.deepEqual(failure.decision, decision);
    assert.equal(failure.reason, init.code ?? "Code");
  });
}

Deno.test("describeFailure() backs off on ARM transport and response errors", () => {
  const request = { method: "GET", path: API_PATH };
  const timeout = describeFailure(new ArmTransportError(request, "timeout"));
  assert.deepEqual(timeout.decision, { kind: "backoff" });
  assert.equal(timeout.reason, "Timeout");
  const network = describeFailure(
    new ArmTransportError(request, "network", {
      cause: new Error("connection reset"),
    }),
  );
  assert.equal(network.reason, "NetworkError");
  assert.match(network.message, /connection reset/);
  const response = describeFailure(
    new ArmResponseError(request, 200, "not JSON"),
  );
  assert.deepEqual(response.decision, { kind: "backoff" });
  assert.equal(response.reason, "InvalidResponse");
});

Deno.test("describeFailure() makes refused ARM requests terminal", () => {
  const untrusted = describeFailure(
    new UntrustedUrlError(
      "https://evil.example.com/op",
      "https://management.azure.com",
    ),
  );
  assert.deepEqual(untrusted.decision, { kind: "terminal" });
  assert.equal(untrusted.reason, "UntrustedUrl");
  const invalid = describeFailure(
    new InvalidArmRequestError('Invalid API id "a*b"'),
  );
  assert.deepEqual(invalid, {
    decision: { kind: "terminal" },
    reason: "InvalidRequest",
    message: 'Invalid API id "a*b"',
  });
});

// ---- Kubernetes -----------------------------------------------------------------------------

function kubeError(
  status: number,
  reason: string,
  retryAfterSeconds?: number,
): KubeApiError {
  return new KubeApiError({
    method: "PUT",
    path: "/apis/apim.operator.io/v1/namespaces/shop/apimapis/orders/status",
    status,
    reason,
    message: "the object has been modified",
    retryAfterSeconds,
  });
}

Deno.test("describeFailure() retries a Kubernetes update conflict at once", () => {
  const error = kubeError(409, "Conflict");
  assert.deepEqual(describeFailure(error), {
    decision: { kind: "retryAfter", delayMs: 0 },
    reason: "KubernetesConflict",
    message: error.message,
  });
});

const kubeDecisions: [string, KubeApiError, Failure["decision"], string][] = [
  [
    "a 429 with Retry-After",
    kubeError(429, "TooManyRequests", 3),
    { kind: "retryAfter", delayMs: 3_000 },
    "KubernetesTooManyRequests",
  ],
  [
    "a 409 AlreadyExists",
    kubeError(409, "AlreadyExists"),
    { kind: "backoff" },
    "KubernetesAlreadyExists",
  ],
  [
    "a 500",
    kubeError(500, "InternalError"),
    { kind: "backoff" },
    "KubernetesInternalError",
  ],
  [
    "a 403",
    kubeError(403, "Forbidden"),
    { kind: "backoff" },
    "KubernetesForbidden",
  ],
  [
    "an answer without a reason",
    kubeError(502, ""),
    { kind: "backoff" },
    "Kubernetes502",
  ],
  [
    "a plain-text 503 with Retry-After",
    kubeApiErrorFromResponse(503, "5", "upstream unavailable", {
      method: "GET",
      path: "/api/v1/namespaces/shop/pods",
    }),
    { kind: "retryAfter", delayMs: 5_000 },
    "KubernetesServiceUnavailable",
  ],
];

for (const [what, error, decision, reason] of kubeDecisions) {
  Deno.test(`describeFailure() decides ${decision.kind} for ${what} from Kubernetes`, () => {
    const failure = describeFailure(error);
    assert.deepEqual(failure.decision, decision);
    assert.equal(failure.reason, reason);
    assert.equal(failure.message, error.message);
  });
}

// ---- OpenAPI document -----------------------------------------------------------------------

const DOC = "https://orders.example.com/swagger.json";

const fetchDecisions: [string, DocumentFetchError, Failure["decision"]][] = [
  [
    "an unreachable host",
    new DocumentFetchError("Unreachable", DOC, "connection refused"),
    { kind: "backoff" },
  ],
  [
    "a timeout",
    new DocumentFetchError("Timeout", DOC, "no answer within 15 s"),
    { kind: "backoff" },
  ],
  [
    "a 503 with Retry-After",
    new DocumentFetchError("HttpStatus", DOC, "HTTP 503", {
      status: 503,
      retryAfterMs: 10_000,
    }),
    { kind: "retryAfter", delayMs: 10_000 },
  ],
  [
    "a 404 while the backend rolls out",
    new DocumentFetchError("HttpStatus", DOC, "HTTP 404", { status: 404 }),
    { kind: "backoff" },
  ],
  [
    "a 403",
    new DocumentFetchError("HttpStatus", DOC, "HTTP 403", { status: 403 }),
    { kind: "terminal" },
  ],
  [
    "a forbidden address",
    new DocumentFetchError(
      "ForbiddenAddress",
      "http://169.254.169.254/",
      'the address "169.254.169.254" is not allowed',
    ),
    { kind: "terminal" },
  ],
  [
    "a document over the size cap",
    new DocumentFetchError("TooLarge", DOC, "larger than 8 MiB"),
    { kind: "terminal" },
  ],
];

for (const [what, error, decision] of fetchDecisions) {
  Deno.test(`describeFailure() decides ${decision.kind} for a document fetch failing with ${what}`, () => {
    assert.deepEqual(describeFailure(error), {
      decision,
      reason: `OpenAPI${error.reason}`,
      message: error.message,
    });
  });
}

Deno.test("describeFailure() makes an invalid OpenAPI document terminal, with its own reason when it is too large to read", () => {
  const error = new InvalidDocumentError("info.title is missing");
  assert.deepEqual(describeFailure(error), {
    decision: { kind: "terminal" },
    reason: "InvalidOpenAPI",
    message: "Invalid OpenAPI document: info.title is missing",
  });
  const tooLarge = new InvalidDocumentError("5 MB of YAML", {
    reason: "ImportTooLarge",
  });
  assert.deepEqual(describeFailure(tooLarge), {
    decision: { kind: "terminal" },
    reason: "ImportTooLarge",
    message: "Invalid OpenAPI document: 5 MB of YAML",
  });
});

// ---- everything else ------------------------------------------------------------------------

Deno.test("describeFailure() passes a reported failure through unchanged", () => {
  const failure: Failure = {
    decision: { kind: "terminal" },
    reason: "PathConflict",
    message: 'APIMAPI "shop/other" already uses the path "/orders"',
  };
  assert.equal(describeFailure(new ReportedFailure(failure)), failure);
  const retry: Failure = {
    decision: { kind: "retryAfter", delayMs: 60_000 },
    reason: "WaitingForImport",
    message: "m",
  };
  assert.equal(describeFailure(new ReportedFailure(retry)), retry);
});

Deno.test("describeFailure() backs off on unexpected errors and non-errors", () => {
  assert.deepEqual(describeFailure(new TypeError("x is undefined")), {
    decision: { kind: "backoff" },
    reason: "InternalError",
    message: "x is undefined",
  });
  assert.deepEqual(describeFailure("thrown text"), {
    decision: { kind: "backoff" },
    reason: "InternalError",
    message: "thrown text",
  });
});

Deno.test("classifyReconcileError() returns the decision describeFailure() makes", () => {
  const errors: unknown[] = [
    armError({ status: 400, code: "ValidationError" }),
    armError({ status: 429, retryAfterMs: 1_000 }),
    kubeError(409, "Conflict"),
    new InvalidDocumentError("bad"),
    new Error("boom"),
  ];
  for (const error of errors) {
    assert.deepEqual(
      classifyReconcileError(error),
      describeFailure(error).decision,
    );
  }
  assert.deepEqual(
    classifyReconcileError(armError({ status: 400, code: "ValidationError" })),
    { kind: "terminal" },
  );
});

Deno.test("deletionFailure() retries what would wait for a spec change (a delete refused by RBAC) with backoff, keeping reason and message", () => {
  const refused = describeFailure(armError({
    method: "DELETE",
    status: 403,
    code: "AuthorizationFailed",
    message: "The client does not have authorization to perform action",
  }));
  assert.equal(refused.decision.kind, "terminal");
  assert.deepEqual(deletionFailure(refused), {
    ...refused,
    decision: { kind: "backoff" },
  });
  const throttled: Failure = {
    decision: { kind: "retryAfter", delayMs: 3_000 },
    reason: "TooManyRequests",
    message: "Too many requests",
  };
  assert.deepEqual(deletionFailure(throttled), throttled);
});
