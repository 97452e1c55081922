// Tests of turning @azure/identity failures into TokenRequestError (AADSTS surfaced, secrets never).

import assert from "node:assert/strict";
import {
  AuthenticationError,
  CredentialUnavailableError,
} from "@azure/identity";
import { toTokenRequestError } from "../../../src/azure/credentials.ts";

const DESCRIPTION =
  "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: 1\r\nCorrelation ID: 2\r\nTimestamp: 2024-01-01 00:00:00Z";

Deno.test("toTokenRequestError() surfaces the Entra error and AADSTS code of an AuthenticationError", () => {
  const error = toTokenRequestError(
    new AuthenticationError(401, {
      error: "invalid_client",
      error_description: DESCRIPTION,
      error_codes: [7000215],
    }),
  );
  assert.equal(error.code, "invalid_client");
  assert.equal(error.aadstsCode, "AADSTS7000215");
  assert.equal(error.statusCode, 401);
  assert.equal(
    error.message,
    "Failed to get an Azure access token: invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.",
  );
});

Deno.test("toTokenRequestError() reads MSAL errors wrapped as causes", () => {
  const msal = Object.assign(
    new Error(
      "invalid_request: Error(s): 70021 - Timestamp: x - Description: AADSTS70021: No matching federated identity record found for presented assertion.\r\nTrace ID: y",
    ),
    { name: "ServerError", errorCode: "invalid_request", status: 400 },
  );
  const error = toTokenRequestError(
    new Error("wrapper", { cause: msal }),
  );
  assert.equal(error.code, "invalid_request");
  assert.equal(error.aadstsCode, "AADSTS70021");
  assert.equal(error.statusCode, 400);
  assert.match(
    error.message,
    /AADSTS70021: No matching federated identity record found/,
  );
});

Deno.test("toTokenRequestError() names unavailable credentials", () => {
  const error = toTokenRequestError(
    new CredentialUnavailableError(
      "WorkloadIdentityCredential: is not available",
    ),
  );
  assert.equal(error.code, "CredentialUnavailable");
  assert.match(error.message, /WorkloadIdentityCredential: is not available/);
});

Deno.test("toTokenRequestError() never repeats the client secret", () => {
  const secret = "Sup3r~Secret.Value";
  const error = toTokenRequestError(
    new Error(`request failed for client_secret=${secret}`),
    [secret],
  );
  assert.ok(!error.message.includes(secret));
  assert.match(error.message, /\[redacted\]/);
});
