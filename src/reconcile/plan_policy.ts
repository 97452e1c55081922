// Decides what a policy pass does: wait for its API or operation, leave API Management's copy, or apply the spec's.
import type { StatusVerdict } from "./conditions.ts";
import { type PolicyDocument, samePolicy } from "./policy_xml.ts";

/** Where the policy goes, as the spec names it. */
export interface PolicyTargetName {
  apiId: string;
  /** The operation as the spec names it (the document's operationId); absent for API scope. */
  operationId?: string | undefined;
}

/** What a pass read from API Management, in order; a read that was not made is absent. */
export interface PolicyFacts {
  target: PolicyTargetName;
  desired: PolicyDocument;
  apiExists: boolean;
  /** Operation scope: the operation's resource name in API Management, or null when it has none. */
  operationName?: string | null | undefined;
  /** The policy API Management holds (`?format=xml`); undefined: none of its own, i.e. `<base />`. */
  observed?: string | undefined;
}

/** The pass's conclusion. */
export type PolicyDecision =
  | { action: "wait"; verdict: StatusVerdict }
  | { action: "none" }
  | { action: "apply" };

/**
 * The resource name API Management gave the operation `operationId`: the same name (API Management
 * compares names ignoring case), else the name its import derives from an operationId (the case
 * kept, every run of other characters one `-`, trimmed, at most 76 characters; reference A.12),
 * compared ignoring case.
 */
export function resolveOperationName(
  operationId: string,
  names: readonly string[],
): string | undefined {
  const wanted = operationId.toLowerCase();
  const derived = wanted.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
    .slice(0, 76).replace(/-+$/, "");
  return names.find((n) => n.toLowerCase() === wanted) ??
    names.find((n) => n.toLowerCase() === derived);
}

/** `API "a"` or `operation "o" of API "a"`, for messages. */
export function policyScopeText(target: PolicyTargetName): string {
  return target.operationId === undefined
    ? `API "${target.apiId}"`
    : `operation "${target.operationId}" of API "${target.apiId}"`;
}

/** Waits for the API and operation to exist, then applies the spec's policy unless APIM's means the same. */
export function decidePolicy(facts: PolicyFacts): PolicyDecision {
  const { target } = facts;
  if (!facts.apiExists) {
    return {
      action: "wait",
      verdict: {
        state: "progressing",
        reason: "WaitingForAPI",
        message:
          `API "${target.apiId}" does not exist in API Management yet; the policy is applied once it does`,
      },
    };
  }
  if (target.operationId !== undefined && !facts.operationName) {
    return {
      action: "wait",
      verdict: {
        state: "progressing",
        reason: "WaitingForOperation",
        message:
          `API "${target.apiId}" has no operation "${target.operationId}" (the operationId in its OpenAPI document) yet; the policy is applied once it does`,
      },
    };
  }
  return samePolicy(facts.desired, facts.observed)
    ? { action: "none" }
    : { action: "apply" };
}

/** The Ready verdict once API Management holds the policy (one reason: a resync is not a transition). */
export function appliedVerdict(
  target: PolicyTargetName,
  changed: boolean,
): StatusVerdict {
  return {
    state: "ready",
    reason: "Applied",
    message: `The policy of ${policyScopeText(target)} is ${
      changed ? "applied" : "in sync"
    }`,
  };
}
