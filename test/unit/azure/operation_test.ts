// Tests of the long-running-operation state machine: starting from a write's answer, one poll per call.

import assert from "node:assert/strict";
import type { ArmResponse } from "../../../src/azure/arm_response.ts";
import { ArmError, UntrustedUrlError } from "../../../src/azure/arm_error.ts";
import {
  isOperationOverdue,
  type PendingOperation,
  pendingOperationSchema,
  pollOperation,
  startOperationFromResponse,
} from "../../../src/azure/operation.ts";
import {
  FAKE_ARM_ORIGIN,
  fakeArmClient,
  type FakeHandler,
  jsonResponse,
} from "./arm_fakes.ts";

const ORIGIN = FAKE_ARM_ORIGIN;
const API_PATH =
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/apis/petstore";
const LOCATION =
  `${ORIGIN}${API_PATH}?api-version=2024-05-01&asyncId=5c730e343244df1b9cb56e85&asyncCode=201`;
const ASYNC_OPERATION =
  `${ORIGIN}/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/svc/tenant/operationResults/5c730e343244df1b9cb56e85?api-version=2024-05-01`;
const RECEIVED_AT = Date.UTC(2025, 0, 1, 12, 0, 0);

function armResponse(
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): ArmResponse {
  return {
    method: "PUT",
    status,
    headers: new Headers(headers),
    body,
    url: `${ORIGIN}${API_PATH}?api-version=2024-05-01&deleteRevisions=true`,
    path: API_PATH,
    etag: headers.etag,
    receivedAt: RECEIVED_AT,
  };
}

function apiBody(provisioningState?: string): unknown {
  return {
    id: API_PATH,
    type: "Microsoft.ApiManagement/service/apis",
    name: "petstore",
    properties: {
      path: "petstore",
      ...(provisioningState ? { provisioningState } : {}),
    },
  };
}

function operation(
  overrides: Partial<PendingOperation> = {},
): PendingOperation {
  return {
    kind: "import",
    url: LOCATION,
    pollKind: "location",
    startedAt: new Date(RECEIVED_AT).toISOString(),
    resourcePath: API_PATH,
    ...overrides,
  };
}

// ---- startOperationFromResponse ------------------------------------------------------------

Deno.test("startOperationFromResponse() makes 201 InProgress a pending operation polled at Azure-AsyncOperation (2024-05-01)", () => {
  const start = startOperationFromResponse(
    armResponse(201, apiBody("InProgress"), {
      location: LOCATION,
      "azure-asyncoperation": ASYNC_OPERATION,
    }),
    { kind: "import", desiredHash: "sha256:abc" },
  );
  assert.equal(start.state, "pending");
  assert.ok(start.state === "pending");
  assert.deepEqual(start.operation, {
    kind: "import",
    url: ASYNC_OPERATION,
    pollKind: "async-operation",
    startedAt: "2025-01-01T12:00:00.000Z",
    resourcePath: API_PATH,
    desiredHash: "sha256:abc",
  });
  assert.equal(start.retryAfterMs, 5000);
});

Deno.test("startOperationFromResponse() makes 202 + Location pending and honours Retry-After (2022-08-01)", () => {
  const start = startOperationFromResponse(
    armResponse(202, undefined, { location: LOCATION, "retry-after": "10" }),
    { kind: "import" },
  );
  assert.ok(start.state === "pending");
  assert.equal(start.operation.pollKind, "location");
  assert.equal(start.retryAfterMs, 10_000);
});

Deno.test("startOperationFromResponse() polls Azure-AsyncOperation when there is one, with or without Location", () => {
  for (
    const headers of [
      { "azure-asyncoperation": ASYNC_OPERATION },
      { "azure-asyncoperation": ASYNC_OPERATION, location: LOCATION },
    ]
  ) {
    const start = startOperationFromResponse(
      armResponse(202, undefined, headers),
      { kind: "delete" },
    );
    assert.ok(start.state === "pending");
    assert.equal(start.operation.url, ASYNC_OPERATION);
    assert.equal(start.operation.pollKind, "async-operation");
  }
});

Deno.test("startOperationFromResponse() polls the resource when only provisioningState says it runs", () => {
  const start = startOperationFromResponse(
    armResponse(200, { properties: { ProvisioningState: "InProgress" } }),
    { kind: "create-or-update" },
  );
  assert.ok(start.state === "pending");
  assert.equal(start.operation.pollKind, "resource");
  assert.equal(
    start.operation.url,
    `${ORIGIN}${API_PATH}?api-version=2024-05-01`,
  );
});

Deno.test("startOperationFromResponse() treats Location with a Succeeded body as still pending", () => {
  const start = startOperationFromResponse(
    armResponse(200, apiBody("Succeeded"), { location: LOCATION }),
    { kind: "import" },
  );
  assert.equal(start.state, "pending");
});

Deno.test("startOperationFromResponse() finishes 200/201/204 without headers and a terminal state", () => {
  for (
    const response of [
      armResponse(200, apiBody()),
      armResponse(201, apiBody("Succeeded")),
      armResponse(204),
    ]
  ) {
    const start = startOperationFromResponse(response, { kind: "import" });
    assert.equal(start.state, "finished");
    assert.ok(start.state === "finished");
    assert.equal(start.response, response);
  }
});

Deno.test("startOperationFromResponse() throws when provisioning already failed", () => {
  assert.throws(
    () =>
      startOperationFromResponse(armResponse(200, apiBody("Failed")), {
        kind: "import",
      }),
    (error) => error instanceof ArmError && error.code === "ProvisioningFailed",
  );
});

// ---- pollOperation ---------------------------------------------------------------------------

Deno.test("pollOperation() reports running on 202 with one GET and Retry-After", async () => {
  const { client, fake } = fakeArmClient(() =>
    new Response(null, { status: 202, headers: { "retry-after": "3" } })
  );
  const result = await pollOperation(client, operation());
  assert.deepEqual(result, {
    state: "running",
    retryAfterMs: 3000,
    operation: operation(),
  });
  assert.equal(fake.requests.length, 1);
  assert.equal(fake.requests[0]?.url.href, LOCATION);
});

Deno.test("pollOperation() follows a Location that moved and defaults the delay", async () => {
  const moved = `${LOCATION}&step=2`;
  const { client } = fakeArmClient(() =>
    new Response(null, { status: 202, headers: { location: moved } })
  );
  const result = await pollOperation(client, operation(), {
    defaultRetryAfterMs: 7000,
  });
  assert.ok(result.state === "running");
  assert.equal(result.retryAfterMs, 7000);
  assert.equal(result.operation.url, moved);
});

Deno.test("pollOperation() succeeds with the final body and ETag", async () => {
  const { client } = fakeArmClient(() =>
    jsonResponse(201, apiBody(), { etag: '"AAAAAAAAAAa="' })
  );
  const result = await pollOperation(client, operation());
  assert.deepEqual(result, {
    state: "succeeded",
    body: apiBody(),
    etag: '"AAAAAAAAAAa="',
  });
});

Deno.test("pollOperation() turns a 4xx Location answer into the operation's failure, verbatim", async () => {
  const message =
    "Importing API has duplicate signature operations: 2 operations with signature 'GET /submissions/{datetimeoffset}'";
  const { client, fake } = fakeArmClient(() =>
    jsonResponse(400, {
      error: { code: "ValidationError", message, details: null },
    })
  );
  const result = await pollOperation(client, operation());
  assert.ok(result.state === "failed");
  assert.equal(result.error.code, "ValidationError");
  assert.equal(result.error.message, message);
  assert.equal(fake.requests.length, 1);
});

Deno.test("pollOperation() keeps transient poll failures running, never failed", async () => {
  const cases: Array<[string, FakeHandler, number]> = [
    ["429", () => jsonResponse(429, {}, { "retry-after": "9" }), 9000],
    [
      "500",
      () =>
        jsonResponse(500, {
          error: { code: "InternalServerError", message: "x" },
        }),
      5000,
    ],
    ["503", () => jsonResponse(503, {}, { "retry-after": "2" }), 2000],
    ["transport", () => {
      throw new TypeError("connection reset");
    }, 5000],
    [
      "401",
      () =>
        jsonResponse(401, {
          error: { code: "InvalidAuthenticationToken", message: "x" },
        }),
      5000,
    ],
  ];
  for (const [name, handler, delay] of cases) {
    const { client, fake } = fakeArmClient(handler);
    const result = await pollOperation(client, operation());
    assert.deepEqual(
      result,
      { state: "running", retryAfterMs: delay, operation: operation() },
      name,
    );
    // One GET; a 401 gets exactly one more with a fresh token.
    assert.equal(fake.requests.length, name === "401" ? 2 : 1, name);
  }
});

Deno.test("pollOperation() refuses a poll URL on another host and sends nothing", async () => {
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}));
  await assert.rejects(
    pollOperation(
      client,
      operation({ url: "https://evil.example.test/poll?asyncId=1" }),
    ),
    UntrustedUrlError,
  );
  assert.equal(fake.requests.length, 0);
});

Deno.test("pollOperation() completes a delete on 204, and calls a 404 gone (only a read can tell)", async () => {
  for (const [status, state] of [[204, "succeeded"], [404, "gone"]] as const) {
    const { client } = fakeArmClient(() =>
      status === 204 ? new Response(null, { status }) : jsonResponse(status, {})
    );
    const result = await pollOperation(client, operation({ kind: "delete" }));
    assert.equal(result.state, state, String(status));
  }
  const { client } = fakeArmClient(() => jsonResponse(404, {}));
  const expired = await pollOperation(client, operation({ kind: "import" }));
  assert.equal(expired.state, "gone", "an expired import URL is no failure");
});

Deno.test("pollOperation() reads Azure-AsyncOperation status resources", async () => {
  const op = operation({ url: ASYNC_OPERATION, pollKind: "async-operation" });
  const running = await pollOperation(
    fakeArmClient(() => jsonResponse(200, { status: "InProgress" })).client,
    op,
  );
  assert.equal(running.state, "running");
  const done = await pollOperation(
    fakeArmClient(() => jsonResponse(200, { status: "Succeeded" })).client,
    op,
  );
  assert.equal(done.state, "succeeded");
  const failed = await pollOperation(
    fakeArmClient(() =>
      jsonResponse(200, {
        status: "Failed",
        error: { code: "ValidationError", message: "Invalid document" },
      })
    ).client,
    op,
  );
  assert.ok(failed.state === "failed");
  assert.equal(failed.error.code, "ValidationError");
  assert.equal(failed.error.message, "Invalid document");
  const detailed = await pollOperation(
    fakeArmClient(() =>
      jsonResponse(200, {
        status: "Failed",
        error: {
          code: "ValidationError",
          message: "One or more fields contain incorrect values:",
          details: [{
            code: "ValidationError",
            target: "path",
            message: "Cannot create API 'a' with the same Path 'p'",
          }],
        },
      })
    ).client,
    op,
  );
  assert.ok(detailed.state === "failed");
  assert.deepEqual(detailed.error.details, [{
    code: "ValidationError",
    target: "path",
    message: "Cannot create API 'a' with the same Path 'p'",
  }]);
});

Deno.test("pollOperation() switches to the resource when Azure-AsyncOperation has no status", async () => {
  const op = operation({ url: ASYNC_OPERATION, pollKind: "async-operation" });
  const result = await pollOperation(
    fakeArmClient(() => jsonResponse(200, { value: [] })).client,
    op,
  );
  assert.ok(result.state === "running");
  assert.equal(result.operation.pollKind, "resource");
  assert.equal(
    result.operation.url,
    `${ORIGIN}${API_PATH}?api-version=2024-05-01`,
  );
});

Deno.test("pollOperation() waits on a resource until its provisioningState is terminal", async () => {
  const op = operation({
    url: `${ORIGIN}${API_PATH}?api-version=2024-05-01`,
    pollKind: "resource",
  });
  const invisible = await pollOperation(
    fakeArmClient(() =>
      jsonResponse(404, {
        error: { code: "ResourceNotFound", message: "Api not found." },
      })
    ).client,
    op,
  );
  assert.equal(invisible.state, "running");
  const inProgress = await pollOperation(
    fakeArmClient(() => jsonResponse(200, apiBody("InProgress"))).client,
    op,
  );
  assert.equal(inProgress.state, "running");
  const done = await pollOperation(
    fakeArmClient(() => jsonResponse(200, apiBody("Succeeded"))).client,
    op,
  );
  assert.equal(done.state, "succeeded");
  const failed = await pollOperation(
    fakeArmClient(() => jsonResponse(200, apiBody("Failed"))).client,
    op,
  );
  assert.ok(failed.state === "failed");
  assert.equal(failed.error.code, "ProvisioningFailed");
});

Deno.test("a pending operation survives a JSON round trip", () => {
  const op = operation({ desiredHash: "sha256:1" });
  const restored = pendingOperationSchema.parse(JSON.parse(JSON.stringify(op)));
  assert.deepEqual(restored, op);
  assert.throws(() =>
    pendingOperationSchema.parse({ ...op, pollKind: "guess" })
  );
  assert.throws(() => pendingOperationSchema.parse({ ...op, url: "nope" }));
});

Deno.test("isOperationOverdue() compares the age with the budget", () => {
  const op = operation();
  assert.equal(isOperationOverdue(op, RECEIVED_AT + 29 * 60_000), false);
  assert.equal(isOperationOverdue(op, RECEIVED_AT + 31 * 60_000), true);
  assert.equal(isOperationOverdue(op, RECEIVED_AT + 61_000, 60_000), true);
});
