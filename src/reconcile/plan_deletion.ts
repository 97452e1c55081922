// Decides the next step of an APIMAPI's deletion: settle a running import, delete what it registered, then let go.
//
//   Retain (explicit, or an adopted API without an explicit Delete) ─> let go
//   import recorded ─> poll / read ─> running: wait | over: continue
//   delete recorded ─> poll ─> running: wait | failed: send again | succeeded, or gone and absent: let go
//   nothing recorded ─> read the API at the recorded identity ─> absent / instance gone / not ours: let go
//                                                             └─> ours: record intent, send DELETE
import { holdsImport } from "./plan_registration.ts";
import type { OperationFacts, PollFacts } from "./registration_facts.ts";
import {
  markerOwnedBy,
  type OwnerRef,
  parseOwnerMarker,
} from "./desired_api.ts";
import type { ObservedApi } from "./plan_import.ts";
import type { DeletionPolicy } from "../crd/meta.ts";

/** The API as a deletion reads it: present, absent, or its whole instance gone. */
export type DeletionTarget = ObservedApi | {
  exists: false;
  instanceGone: true;
};

/** Everything known in a deletion pass. */
export interface DeletionFacts {
  now: number;
  /** How long a write whose answer was lost may still land. */
  unknownOutcomeSettleMs: number;
  /** Pause between reads while it may. */
  recheckMs: number;
  owner: OwnerRef;
  apiId: string;
  /** `spec.deletionPolicy` as written (undefined when the user did not set one). */
  policy?: DeletionPolicy | undefined;
  /** The API was adopted (it existed before the operator took it over). */
  adopted: boolean;
  /** Where the API is registered; undefined when nothing was ever registered and no instance is known. */
  identityKnown: boolean;
  /** The APIMService this APIMAPI names no longer exists (and no identity was recorded). */
  serviceGone: boolean;
  operation?: OperationFacts | undefined;
  /** This pass recorded `operation` and has not sent it yet. */
  intentRecorded?: boolean;
  poll?: PollFacts | undefined;
  /** The API read in this pass. */
  target?: DeletionTarget | undefined;
}

/** How a deletion lets go of the APIMAPI: the Event it records. */
export interface Release {
  type: "Normal" | "Warning";
  reason: string;
  note: string;
}

/** The next step of a deletion pass. */
export type DeletionStep =
  | { step: "wait"; delayMs: number; reason: string; message: string }
  | { step: "poll" }
  | { step: "readApi" }
  | { step: "forgetOperation" }
  /** The recorded DELETE failed: forget it and report (the next pass sends it again). */
  | { step: "deleteFailed" }
  | { step: "recordIntent"; operation: OperationFacts }
  | { step: "sendDelete" }
  | { step: "release"; release: Release };

/** The policy that applies: the user's, else Retain for an adopted API, else Delete. */
export function effectivePolicy(
  policy: DeletionPolicy | undefined,
  adopted: boolean,
): DeletionPolicy {
  return policy ?? (adopted ? "Retain" : "Delete");
}

function release(
  type: Release["type"],
  reason: string,
  note: string,
): DeletionStep {
  return { step: "release", release: { type, reason, note } };
}

function deleted(f: DeletionFacts): DeletionStep {
  return release(
    "Normal",
    "Deleted",
    `Deleted API "${f.apiId}" and its revisions from API Management`,
  );
}

function importStep(f: DeletionFacts, op: OperationFacts): DeletionStep {
  if (op.url === undefined || f.poll?.state === "gone") {
    if (!f.target) return { step: "readApi" };
    if (
      holdsImport(f.target, f.owner, op.desiredHash) ||
      f.now - op.startedAt >= f.unknownOutcomeSettleMs
    ) return { step: "forgetOperation" };
    return {
      step: "wait",
      delayMs: f.recheckMs,
      reason: "WaitingForImport",
      message:
        `Deleting API "${f.apiId}" once the import whose answer was lost has landed or been given up`,
    };
  }
  if (!f.poll) return { step: "poll" };
  if (f.poll.state === "running") {
    return {
      step: "wait",
      delayMs: f.poll.retryAfterMs,
      reason: "WaitingForImport",
      message:
        `Deleting API "${f.apiId}" once API Management finishes importing it`,
    };
  }
  return { step: "forgetOperation" };
}

function deleteStep(f: DeletionFacts, op: OperationFacts): DeletionStep {
  if (op.url === undefined || f.poll?.state === "gone") {
    if (!f.target) return { step: "readApi" };
    if (!f.target.exists) return deleted(f);
    if (f.now - op.startedAt < f.unknownOutcomeSettleMs) {
      return {
        step: "wait",
        delayMs: f.recheckMs,
        reason: "Deleting",
        message: `API Management is deleting API "${f.apiId}"`,
      };
    }
    return { step: "forgetOperation" };
  }
  if (!f.poll) return { step: "poll" };
  switch (f.poll.state) {
    case "running":
      return {
        step: "wait",
        delayMs: f.poll.retryAfterMs,
        reason: "Deleting",
        message: `API Management is deleting API "${f.apiId}"`,
      };
    case "failed":
      return { step: "deleteFailed" };
    case "succeeded":
      return deleted(f);
  }
}

function retained(f: DeletionFacts): DeletionStep {
  return release(
    "Normal",
    "Retained",
    f.policy === "Retain"
      ? `Left API "${f.apiId}" in API Management (deletionPolicy Retain)`
      : `Left API "${f.apiId}" in API Management: it was adopted, and deletionPolicy is not set to Delete`,
  );
}

/** The next step of a deletion; the executor runs it, adds the result and asks again. */
export function nextDeletionStep(f: DeletionFacts): DeletionStep {
  if (effectivePolicy(f.policy, f.adopted) === "Retain") return retained(f);
  const op = f.operation;
  if (op && f.intentRecorded) return { step: "sendDelete" };
  if (op) {
    switch (op.kind) {
      case "import":
        return importStep(f, op);
      case "delete":
        return deleteStep(f, op);
      case "prune":
        // The whole API goes; a revision delete still running only delays that (409, retried).
        return { step: "forgetOperation" };
    }
  }
  if (!f.identityKnown) {
    return f.serviceGone
      ? release(
        "Warning",
        "APIMServiceNotFound",
        `Nothing is known of where API "${f.apiId}" was registered and its APIMService is gone; let go without deleting`,
      )
      : release(
        "Normal",
        "NothingRegistered",
        `API "${f.apiId}" was never registered`,
      );
  }
  if (!f.target) return { step: "readApi" };
  if ("instanceGone" in f.target) {
    return release(
      "Warning",
      "InstanceGone",
      `The API Management instance of API "${f.apiId}" (or its resource group) no longer exists; nothing left to delete`,
    );
  }
  if (!f.target.exists) {
    return release(
      "Normal",
      "AlreadyGone",
      `API "${f.apiId}" no longer exists in API Management`,
    );
  }
  const marker = parseOwnerMarker(f.target.revisionDescription);
  if (!marker || !markerOwnedBy(marker, f.owner)) {
    return release(
      "Warning",
      "NotOwned",
      `API "${f.apiId}" in API Management is not owned by this APIMAPI; left it in place`,
    );
  }
  if (marker.adopted && f.policy !== "Delete") return retained(f);
  return {
    step: "recordIntent",
    operation: { kind: "delete", startedAt: f.now, created: false },
  };
}
