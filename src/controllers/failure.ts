// Turns any error of a reconcile into one retry decision plus the reason and message a condition shows.
import { classifyArmError } from "../azure/classify_arm_error.ts";
import type { ErrorDecision } from "../kube/run_controller.ts";
import { KubeApiError } from "../kube/kube_errors.ts";
import { DocumentFetchError } from "../openapi/document_fetch_error.ts";
import { InvalidDocumentError } from "../openapi/invalid_document_error.ts";

/** A classified failure: what the queue does next, and what the user reads in the condition. */
export interface Failure {
  decision: ErrorDecision;
  /** CamelCase machine reason for conditions and Events. */
  reason: string;
  message: string;
  /**
   * Expected in normal operation (API Management still holds its lock on the API for a moment
   * after an operation): reported as progress, not as a problem.
   */
  expected?: boolean;
}

/**
 * A failure the reconcile already reported (condition, Event); thrown so the runner applies the
 * decision (backoff, retry-after, or nothing for terminal ones).
 */
export class ReportedFailure extends Error {
  override name = "ReportedFailure";
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** Classifies an error from any layer. */
export function describeFailure(error: unknown): Failure {
  if (error instanceof ReportedFailure) return error.failure;
  if (error instanceof DocumentFetchError) {
    return {
      decision: error.retryable
        ? (error.retryAfterMs === undefined
          ? { kind: "backoff" }
          : { kind: "retryAfter", delayMs: error.retryAfterMs })
        : { kind: "terminal" },
      reason: `OpenAPI${error.reason}`,
      message: error.message,
    };
  }
  if (error instanceof InvalidDocumentError) {
    return {
      decision: { kind: "terminal" },
      reason: error.reason === "ImportTooLarge"
        ? error.reason
        : "InvalidOpenAPI",
      message: error.message,
    };
  }
  if (error instanceof KubeApiError) {
    const decision: ErrorDecision = error.retryAfterSeconds !== undefined
      ? { kind: "retryAfter", delayMs: error.retryAfterSeconds * 1000 }
      : error.isConflict()
      ? { kind: "retryAfter", delayMs: 0 }
      : { kind: "backoff" };
    return {
      decision,
      reason: `Kubernetes${error.reason || error.status}`,
      message: error.message,
    };
  }
  const arm = classifyArmError(error);
  const { message } = arm;
  switch (arm.kind) {
    case "retry-after":
      return {
        decision: { kind: "retryAfter", delayMs: arm.delayMs },
        reason: arm.code,
        message,
      };
    case "wait-for-operation":
      // Locks last from a moment (after our own operation) to minutes (someone else's import):
      // the key's backoff (1 s doubling) covers both without a hot loop.
      return {
        decision: { kind: "backoff" },
        reason: arm.code,
        message,
        expected: true,
      };
    case "backoff":
      return { decision: { kind: "backoff" }, reason: arm.code, message };
    case "terminal":
      return { decision: { kind: "terminal" }, reason: arm.code, message };
  }
}

/**
 * A failure of a deletion (a finalizer): nothing the deleted object can still change fixes what ARM
 * refused there (a role assignment, an Azure Policy deny, a lock; ARM's 403 itself says "If access
 * was recently granted, please refresh your credentials"), so what would wait for a spec change is
 * retried with backoff instead, and the finalizer lets go once the cause is fixed.
 */
export function deletionFailure(failure: Failure): Failure {
  return failure.decision.kind === "terminal"
    ? { ...failure, decision: { kind: "backoff" } }
    : failure;
}

/** The runner's classifier: the decision of {@linkcode describeFailure}. */
export function classifyReconcileError(error: unknown): ErrorDecision {
  return describeFailure(error).decision;
}
