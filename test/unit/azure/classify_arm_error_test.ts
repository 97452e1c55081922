// Tests of the retry classification table for every error the ARM edge throws.

import assert from "node:assert/strict";
import {
  ArmError,
  ArmResponseError,
  ArmTransportError,
  InvalidArmRequestError,
  UntrustedUrlError,
} from "../../../src/azure/arm_error.ts";
import {
  classifyArmError,
  describeArmError,
  isInstanceGone,
  type RetryDecision,
  writeOutcomeUnknown,
} from "../../../src/azure/classify_arm_error.ts";
import { CredentialConfigError } from "../../../src/azure/credential_config.ts";
import { TokenRequestError } from "../../../src/azure/token_source.ts";

function armError(
  status: number,
  code: string,
  extra: { method?: string; retryAfterMs?: number } = {},
): ArmError {
  return new ArmError({
    method: extra.method ?? "PUT",
    path: "/subscriptions/s/x",
    status,
    code,
    message: `${code} happened`,
    retryAfterMs: extra.retryAfterMs,
  });
}

const table: Array<[string, unknown, RetryDecision["kind"], number?]> = [
  [
    "429 with Retry-After",
    armError(429, "TooManyRequests", { retryAfterMs: 17_000 }),
    "retry-after",
    17_000,
  ],
  [
    "503 with Retry-After",
    armError(503, "ServiceUnavailable", { retryAfterMs: 2_000 }),
    "retry-after",
    2_000,
  ],
  ["429 without Retry-After", armError(429, "TooManyRequests"), "backoff"],
  [
    "operation failed inside APIM (200, ManagementApiRequestFailed)",
    armError(200, "ManagementApiRequestFailed", { method: "GET" }),
    "backoff",
  ],
  [
    "operation failed on invalid input (200, ValidationError)",
    armError(200, "ValidationError", { method: "GET" }),
    "terminal",
  ],
  [
    "provisioning state Canceled (200)",
    armError(200, "ProvisioningCanceled", { method: "GET" }),
    "backoff",
  ],
  ["500", armError(500, "InternalServerError"), "backoff"],
  ["502", armError(502, "Http502"), "backoff"],
  ["504", armError(504, "GatewayTimeout"), "backoff"],
  ["408", armError(408, "RequestTimeout"), "backoff"],
  [
    "409 PessimisticConcurrencyConflict",
    armError(409, "PessimisticConcurrencyConflict"),
    "wait-for-operation",
  ],
  ["409 ScopeLocked", armError(409, "ScopeLocked"), "backoff"],
  ["409 Conflict", armError(409, "Conflict"), "backoff"],
  [
    "412 PreconditionFailed (re-read and retry)",
    armError(412, "PreconditionFailed"),
    "backoff",
  ],
  [
    "422 ManagementApiRequestFailed",
    armError(422, "ManagementApiRequestFailed"),
    "backoff",
  ],
  ["400 ValidationError", armError(400, "ValidationError"), "terminal"],
  [
    "401 after refresh",
    armError(401, "InvalidAuthenticationToken"),
    "terminal",
  ],
  ["403 AuthorizationFailed", armError(403, "AuthorizationFailed"), "terminal"],
  ["404 on PUT", armError(404, "ResourceNotFound"), "terminal"],
  [
    "404 on DELETE",
    armError(404, "ResourceNotFound", { method: "DELETE" }),
    "terminal",
  ],
  [
    "404 on GET",
    armError(404, "ResourceNotFound", { method: "GET" }),
    "backoff",
  ],
  ["405", armError(405, "MethodNotAllowed"), "terminal"],
  [
    "timeout",
    new ArmTransportError({ method: "GET", path: "/x" }, "timeout"),
    "backoff",
  ],
  [
    "network",
    new ArmTransportError({ method: "GET", path: "/x" }, "network", {
      cause: new TypeError("reset"),
    }),
    "backoff",
  ],
  [
    "invalid response",
    new ArmResponseError(
      { method: "GET", path: "/x" },
      200,
      "body is not JSON",
    ),
    "backoff",
  ],
  [
    "token failure",
    new TokenRequestError("Failed", { code: "invalid_client" }),
    "backoff",
  ],
  [
    "untrusted URL",
    new UntrustedUrlError(
      "https://evil.example/x",
      "https://management.azure.com",
    ),
    "terminal",
  ],
  ["invalid id", new InvalidArmRequestError("Invalid API id"), "terminal"],
  [
    "credential config",
    new CredentialConfigError("Missing environment variable"),
    "terminal",
  ],
  ["unknown error", new Error("boom"), "backoff"],
  ["thrown string", "boom", "backoff"],
];

for (const [name, error, kind, delayMs] of table) {
  Deno.test(`classifyArmError() maps ${name} to ${kind}`, () => {
    const decision = classifyArmError(error);
    assert.equal(decision.kind, kind);
    if (decision.kind === "retry-after") {
      assert.equal(decision.delayMs, delayMs);
    }
    assert.ok(decision.message.length > 0);
  });
}

Deno.test("classifyArmError() carries ARM's code and message for the condition", () => {
  const decision = classifyArmError(
    new ArmError({
      method: "PUT",
      path: "/x",
      status: 400,
      code: "ValidationError",
      message: "One or more fields contain incorrect values:",
      details: [
        {
          code: "ValidationError",
          target: "path",
          message: "API with specified URL path 'a' already exists.",
        },
        { code: "ValidationError", message: "Second problem" },
      ],
    }),
  );
  assert.deepEqual(decision, {
    kind: "terminal",
    code: "ValidationError",
    message:
      "One or more fields contain incorrect values: path: API with specified URL path 'a' already exists.; Second problem",
  });
  assert.equal(
    classifyArmError(new TokenRequestError("x", { code: "invalid_client" }))
      .code,
    "invalid_client",
  );
});

Deno.test("describeArmError() is the message verbatim when there are no details", () => {
  const message =
    "Importing API has duplicate signature operations: 2 operations with signature 'GET /a'";
  assert.equal(
    describeArmError(
      new ArmError({
        method: "GET",
        path: "/x",
        status: 400,
        code: "ValidationError",
        message,
      }),
    ),
    message,
  );
});

Deno.test("writeOutcomeUnknown(): lost or ambiguous answers may hide an applied write; refusals do not", () => {
  const line = { method: "PUT" as const, path: "/x" };
  const arm = (status: number, code: string) =>
    new ArmError({ ...line, status, code, message: "m" });
  const unknown = [
    new ArmTransportError(line, "timeout"),
    new ArmTransportError(line, "network"),
    new ArmResponseError(line, 201, "body is not JSON"),
    arm(408, "RequestTimeout"),
    arm(500, "InternalServerError"),
    arm(502, "BadGateway"),
    arm(504, "GatewayTimeout"),
    arm(422, "ManagementApiRequestFailed"),
  ];
  const refused = [
    arm(400, "ValidationError"),
    arm(409, "PessimisticConcurrencyConflict"),
    arm(412, "PreconditionFailed"),
    arm(429, "TooManyRequests"),
    arm(422, "UnprocessableEntity"),
    new Error("anything else"),
  ];
  for (const e of unknown) {
    assert.equal(writeOutcomeUnknown(e), true, String(e));
  }
  for (const e of refused) {
    assert.equal(writeOutcomeUnknown(e), false, String(e));
  }
});

Deno.test("isInstanceGone(): ARM's recorded answers for a gone instance, resource group or subscription, not a gone API", () => {
  const gone = (code: string, message: string) =>
    new ArmError({ method: "GET", path: "/x", status: 404, code, message });
  assert.equal(
    isInstanceGone(
      gone("ResourceGroupNotFound", "Resource group 'rg' could not be found."),
    ),
    true,
  );
  assert.equal(
    isInstanceGone(
      gone(
        "ResourceNotFound",
        "The Resource 'Microsoft.ApiManagement/service/svc' under resource group 'rg' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
      ),
    ),
    true,
  );
  assert.equal(isInstanceGone(gone("SubscriptionNotFound", "gone")), true);
  assert.equal(
    isInstanceGone(gone("ResourceNotFound", "Api not found.")),
    false,
  );
});
