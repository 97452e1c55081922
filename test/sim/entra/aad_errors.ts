// Microsoft Entra ID (AADSTS) OAuth error bodies as the v2.0 token endpoint returns them.

import { randomUUID } from "node:crypto";

/** One OAuth error the token endpoint can answer with. */
export interface AadError {
  /** HTTP status. */
  status: number;
  /** OAuth `error` value, e.g. `invalid_client`. */
  error: string;
  /** AADSTS number, e.g. 7000215. */
  code: number;
  /** Text after `AADSTS{code}: ` in `error_description`. */
  description: string;
  /** Seconds for a `Retry-After` header (429/503). */
  retryAfterSeconds?: number;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** `2024-01-01 00:00:00Z`, the timestamp format of Entra error bodies. */
function entraTimestamp(at: Date): string {
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${
    pad(at.getUTCDate())
  } ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${
    pad(at.getUTCSeconds())
  }Z`;
}

/** The JSON response for `err` (with trace and correlation ids, like the real service). */
export function aadErrorResponse(err: AadError, at: Date): Response {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = entraTimestamp(at);
  const body = {
    error: err.error,
    error_description:
      `AADSTS${err.code}: ${err.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${err.code}`,
  };
  const headers = new Headers({
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store, no-cache",
  });
  if (err.retryAfterSeconds !== undefined) {
    headers.set("retry-after", String(err.retryAfterSeconds));
  }
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** Tenant in the URL is not known (AADSTS90002). */
export function unknownTenant(tenant: string): AadError {
  return {
    status: 400,
    error: "invalid_request",
    code: 90002,
    description:
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  };
}

/** A required form parameter is missing (AADSTS900144). */
export function missingParameter(name: string): AadError {
  return {
    status: 400,
    error: "invalid_request",
    code: 900144,
    description:
      `The request body must contain the following parameter: '${name}'.`,
  };
}

/** `grant_type` other than `client_credentials` (AADSTS70003). */
export function unsupportedGrantType(grantType: string): AadError {
  return {
    status: 400,
    error: "unsupported_grant_type",
    code: 70003,
    description: `The app requested an unsupported grant type '${grantType}'.`,
  };
}

/** The application is not registered in the tenant (AADSTS700016). */
export function unknownClient(clientId: string, tenant: string): AadError {
  return {
    status: 400,
    error: "unauthorized_client",
    code: 700016,
    description:
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  };
}

/** Wrong client secret (AADSTS7000215). */
export function invalidClientSecret(clientId: string): AadError {
  return {
    status: 401,
    error: "invalid_client",
    code: 7000215,
    description:
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
  };
}

/** Neither a secret nor an assertion was sent (AADSTS7000218). */
export function missingClientCredential(): AadError {
  return {
    status: 401,
    error: "invalid_client",
    code: 7000218,
    description:
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  };
}

/** The client assertion is not a JWT (AADSTS50027). */
export function malformedAssertion(): AadError {
  return {
    status: 400,
    error: "invalid_request",
    code: 50027,
    description: "JWT token is invalid or malformed.",
  };
}

/** The client assertion has expired (AADSTS700024). */
export function expiredAssertion(): AadError {
  return {
    status: 400,
    error: "invalid_client",
    code: 700024,
    description:
      "Client assertion is not within its valid time range. Ensure that the assertion has not expired.",
  };
}

/** No federated identity credential matches the assertion (AADSTS70021, workload identity). */
export function noMatchingFederatedIdentity(
  issuer: string,
  subject: string,
  audience: string,
): AadError {
  return {
    status: 400,
    error: "invalid_request",
    code: 70021,
    description:
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation`,
  };
}

/** Malformed scope, e.g. without `/.default` (AADSTS70011). */
export function invalidScope(scope: string): AadError {
  return {
    status: 400,
    error: "invalid_scope",
    code: 70011,
    description:
      `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
  };
}

/** The scope names a resource the tenant does not know (AADSTS500011). */
export function unknownResource(resource: string, tenant: string): AadError {
  return {
    status: 400,
    error: "invalid_resource",
    code: 500011,
    description:
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
  };
}

/** Throttled token request (429 with `Retry-After`). */
export function tokenRequestThrottled(retryAfterSeconds: number): AadError {
  return {
    status: 429,
    error: "temporarily_unavailable",
    code: 90055,
    description:
      "The request has been throttled because too many requests were sent. Retry after the interval given in the Retry-After header.",
    retryAfterSeconds,
  };
}
