// The single table that turns any error of the ARM edge into a retry decision.

import {
  ArmError,
  ArmResponseError,
  ArmTransportError,
  FencedRequestError,
  InvalidArmRequestError,
  UntrustedUrlError,
} from "./arm_error.ts";
import { CredentialConfigError } from "./credential_config.ts";
import { TokenRequestError } from "./token_source.ts";

/** Why a call failed, for a condition: a machine code and a human message. */
export interface FailureReason {
  code: string;
  message: string;
}

/**
 * What to do about a failed ARM call:
 * - `retry-after`: ARM said when (429/503 with Retry-After); requeue after `delayMs`;
 * - `backoff`: transient (5xx, transport, timeouts, 409 conflicts, 412 stale ETag: re-read and
 *   retry); requeue with exponential backoff;
 * - `wait-for-operation`: another operation on the resource is running (409
 *   PessimisticConcurrencyConflict); wait for it, then retry;
 * - `terminal`: retrying cannot help until the input changes (400, 401 after a token refresh,
 *   403, 404 on a write, invalid ids).
 */
export type RetryDecision =
  | ({ kind: "retry-after"; delayMs: number } & FailureReason)
  | ({ kind: "backoff" } & FailureReason)
  | ({ kind: "wait-for-operation" } & FailureReason)
  | ({ kind: "terminal" } & FailureReason);

/** ARM's message followed by its details (`target: message`), for a condition message. */
export function describeArmError(error: ArmError): string {
  const details = error.details
    .filter((d) => d.message !== "")
    .map((d) => (d.target ? `${d.target}: ${d.message}` : d.message));
  return details.length > 0
    ? `${error.message} ${details.join("; ")}`
    : error.message;
}

// An operation that failed inside a successful answer (an Azure-AsyncOperation status "Failed"
// with `error: {code, message}` in a 200 answer, per the ARM RPC's async-api-reference, or a
// `provisioningState` of Failed/Canceled) has no HTTP status to go by: only these codes say the
// request itself was wrong (APIM's import validation answers "ValidationError: One or more fields
// contain incorrect values", terraform-provider-azurerm#29033); any other failure inside API
// Management (ManagementApiRequestFailed, InternalServerError, a cancelled operation) may pass.
const INPUT_ERROR_CODES = new Set([
  "validationerror",
  "badrequest",
  "invalidparameters",
  "invalidrequestcontent",
  "invalidrequestformat",
]);

function classifyOperationFailure(
  error: ArmError,
  reason: FailureReason,
): RetryDecision {
  return INPUT_ERROR_CODES.has(error.code.toLowerCase())
    ? { kind: "terminal", ...reason }
    : { kind: "backoff", ...reason };
}

/** The code of APIM's 409 for a write to a resource an operation holds the lock of (apiops#141, #497). */
export const API_LOCKED = "PessimisticConcurrencyConflict";

function classifyStatus(error: ArmError): RetryDecision {
  const reason = { code: error.code, message: describeArmError(error) };
  const { status } = error;
  if (status < 400) return classifyOperationFailure(error, reason);
  const retryable = status === 408 || status === 429 || status >= 500;
  if (retryable && error.retryAfterMs !== undefined) {
    return { kind: "retry-after", delayMs: error.retryAfterMs, ...reason };
  }
  if (retryable) return { kind: "backoff", ...reason };
  if (status === 409 && error.code === API_LOCKED) {
    return { kind: "wait-for-operation", ...reason };
  }
  // 409: locks and other conflicts clear on their own; 412: the next pass re-reads the ETag;
  // 422: APIM's ManagementApiRequestFailed (imports timing out inside APIM).
  if (status === 409 || status === 412 || status === 422) {
    return { kind: "backoff", ...reason };
  }
  // A read of something absent may succeed later (read-after-write lag); a write will not.
  if (status === 404 && (error.method === "GET" || error.method === "HEAD")) {
    return { kind: "backoff", ...reason };
  }
  return { kind: "terminal", ...reason };
}

/** Maps any error thrown by the ARM edge (or anything else) to a {@linkcode RetryDecision}. */
export function classifyArmError(error: unknown): RetryDecision {
  if (error instanceof ArmError) return classifyStatus(error);
  if (error instanceof ArmTransportError) {
    const code = error.reason === "timeout" ? "Timeout" : "NetworkError";
    return { kind: "backoff", code, message: error.message };
  }
  if (error instanceof ArmResponseError) {
    return { kind: "backoff", code: "InvalidResponse", message: error.message };
  }
  if (error instanceof TokenRequestError) {
    // Entra outages pass; a wrong secret or federation is fixed outside the object: keep trying slowly.
    return { kind: "backoff", code: error.code, message: error.message };
  }
  if (error instanceof FencedRequestError) {
    return { kind: "backoff", code: "NotLeader", message: error.message };
  }
  if (error instanceof UntrustedUrlError) {
    return { kind: "terminal", code: "UntrustedUrl", message: error.message };
  }
  if (error instanceof InvalidArmRequestError) {
    return { kind: "terminal", code: "InvalidRequest", message: error.message };
  }
  if (error instanceof CredentialConfigError) {
    return {
      kind: "terminal",
      code: "InvalidCredentialConfig",
      message: error.message,
    };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { kind: "backoff", code: "InternalError", message };
}

/**
 * Whether a failed write may still have been applied, so it must not be sent again blindly: its
 * answer never arrived (timeout, transport), the answer is ambiguous (408, 5xx: the gateway may
 * time out while API Management works on; 422 ManagementApiRequestFailed, which a large import can
 * answer while APIM keeps importing — Azure/apiops#689, #497), or a 2xx answer was unreadable.
 * Throttling (429) and other 4xx answers say the write was refused.
 */
export function writeOutcomeUnknown(error: unknown): boolean {
  if (error instanceof ArmTransportError) return true;
  if (error instanceof ArmResponseError) return true;
  if (!(error instanceof ArmError)) return false;
  return error.status === 408 || error.status >= 500 ||
    (error.status === 422 && error.code === "ManagementApiRequestFailed");
}

// ARM's answers when the instance or its resource group is gone (recorded: aso-*#57-60, #65-68,
// #130-133 in test/fixtures/azure-recordings): ResourceGroupNotFound, or ResourceNotFound naming
// the service itself rather than the child ("Api not found." is a missing API); and ARM's
// SubscriptionNotFound when the whole subscription is gone.
const INSTANCE_GONE =
  /^The Resource 'Microsoft\.ApiManagement\/service\/[^']+' under resource group '[^']+' was not found/;

/** Whether a 404 says the API Management instance (or its resource group) no longer exists. */
export function isInstanceGone(error: unknown): boolean {
  if (!(error instanceof ArmError) || error.status !== 404) return false;
  return error.code === "ResourceGroupNotFound" ||
    error.code === "SubscriptionNotFound" ||
    (error.code === "ResourceNotFound" && INSTANCE_GONE.test(error.message));
}
