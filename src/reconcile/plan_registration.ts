// Decides the next step of a registration pass from what is known so far: the persisted operation, the desired state, APIM.
//
//   operation recorded? ── answer lost / URL expired ─> read what it writes ─> ours? done : wait, then forget
//        │                 not polled yet ─> poll ─> running: wait | failed: report | succeeded: done
//        └ done, but a newer rollout or spec arrived meanwhile ─> decide again from the new document
//   no operation ── service / version set usable? ─> fetch document ─> read API ─> none | PATCH | claim | record intent ─> send import
//   imported or in sync ─> policies onto the new revision, release ─> links ─> finish
import {
  type DesiredApi,
  markerHasHash,
  markerOwnedBy,
  ownerMarker,
  type OwnerRef,
  parseOwnerMarker,
} from "./desired_api.ts";
import {
  type ApiFieldChanges,
  decideImport,
  driftedFields,
  type ObservedApi,
} from "./plan_import.ts";
import { hashOf } from "./hash.ts";
import { nextRevision } from "./plan_revisions.ts";
import type {
  AppliedImport,
  OperationFacts,
  RegistrationFacts,
  RegistrationStep,
  RegistrationTrigger,
} from "./registration_facts.ts";

/** A short key of a set of ReplicaSets (order does not matter). */
export function readySetKey(
  replicaSets: readonly { uid: string }[] | undefined,
): string | undefined {
  if (replicaSets === undefined) return undefined;
  return hashOf(replicaSets.map((r) => r.uid).sort()).slice(0, 16);
}

function sameTrigger(
  a: RegistrationTrigger | undefined,
  b: RegistrationTrigger,
): boolean {
  return a !== undefined && a.generation === b.generation &&
    (a.replicaSetUid ?? "") === (b.replicaSetUid ?? "") &&
    (a.readySet === undefined || a.readySet === b.readySet) &&
    (a.signal === undefined || a.signal === b.signal);
}

/** How often an import past its budget is still polled. */
export const STALLED_POLL_MS = 60_000;

/** `90s`, `30m`, `1h30m`: a duration as people write it. */
export function describeDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const parts: [number, string][] = [
    [Math.floor(seconds / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "m"],
    [seconds % 60, "s"],
  ];
  const text = parts.filter(([n]) => n > 0).map(([n, unit]) => `${n}${unit}`)
    .join("");
  return text === "" ? "0s" : text;
}

/** Whether `target` carries our marker with `hash` (the recorded write landed). */
export function holdsImport(
  target: ObservedApi | undefined,
  owner: OwnerRef,
  hash: string | undefined,
): boolean {
  if (!target?.exists || hash === undefined) return false;
  const marker = parseOwnerMarker(target.revisionDescription);
  return marker !== undefined && markerOwnedBy(marker, owner) &&
    markerHasHash(marker, hash);
}

function appliedBy(op: OperationFacts): RegistrationStep {
  return {
    step: "applied",
    applied: {
      desiredHash: op.desiredHash ?? "",
      // An operation recorded before triggers were kept served an unknown (older) rollout.
      trigger: op.trigger ?? { generation: -1 },
      imported: true,
      created: op.created,
      revision: op.revision,
    },
  };
}

function inSync(f: RegistrationFacts, desired: DesiredApi): RegistrationStep {
  return {
    step: "applied",
    applied: {
      desiredHash: desired.hash,
      trigger: f.trigger,
      imported: false,
      created: false,
    },
  };
}

function progressing(
  reason: string,
  message: string,
  delayMs: number,
  afterPoll = false,
): RegistrationStep {
  return {
    step: "wait",
    delayMs,
    verdict: { state: "progressing", reason, message },
    ...(afterPoll ? { afterPoll } : {}),
  };
}

/** The recorded operation decides first: never start another write while it may still run. */
function operationStep(
  f: RegistrationFacts,
  op: OperationFacts,
): RegistrationStep {
  if (op.kind === "prune") return pruneStep(f);
  if (op.kind !== "import") return { step: "forgetOperation" };
  if (op.url === undefined || f.poll?.state === "gone") {
    if (!f.target) return { step: "readTarget" };
    if (holdsImport(f.target, f.owner, op.desiredHash)) return appliedBy(op);
    if (f.now - op.startedAt < f.limits.unknownOutcomeSettleMs) {
      return progressing(
        "ConfirmingImport",
        `Waiting to see whether the import of API "${f.apiId}" whose answer was lost lands in API Management`,
        f.limits.unknownOutcomeRecheckMs,
      );
    }
    return { step: "forgetOperation" };
  }
  if (!f.poll) return { step: "poll" };
  switch (f.poll.state) {
    case "running":
      if (f.now - op.startedAt > f.limits.importBudgetMs) {
        // Stalled for a human to see, yet still watched (slowly): an import that ends late is
        // registered then, instead of being forgotten while it runs on in API Management.
        return {
          step: "wait",
          delayMs: Math.max(f.poll.retryAfterMs, STALLED_POLL_MS),
          afterPoll: true,
          verdict: {
            state: "stalled",
            reason: "ImportTimedOut",
            message:
              `API Management has not finished importing API "${f.apiId}" within ${
                describeDuration(f.limits.importBudgetMs)
              } (started ${
                new Date(op.startedAt).toISOString()
              }); still watching it`,
          },
        };
      }
      return progressing(
        "Importing",
        `API Management is importing the OpenAPI document of API "${f.apiId}"`,
        f.poll.retryAfterMs,
        true,
      );
    case "failed":
      return { step: "operationFailed" };
    case "succeeded":
      return appliedBy(op);
  }
}

/** Housekeeping after a release: polled to its end without touching the conditions. */
function pruneStep(f: RegistrationFacts): RegistrationStep {
  if (!f.poll) return { step: "poll" };
  if (f.poll.state === "running") {
    return { step: "wait", delayMs: f.poll.retryAfterMs, afterPoll: true };
  }
  return { step: "forgetOperation" };
}

function importStep(
  f: RegistrationFacts,
  desired: DesiredApi,
  observed: ObservedApi,
): RegistrationStep {
  const decision = decideImport(desired, observed, f.owner);
  switch (decision.action) {
    case "refuse":
      return {
        step: "fail",
        decision: "terminal",
        reason: "OwnedByAnotherAPIMAPI",
        message: decision.message,
        forgetOperation: false,
      };
    case "none":
      return inSync(f, desired);
    case "patch":
      return f.patched ? inSync(f, desired) : {
        step: "patchApi",
        changes: decision.changes,
        ifMatch: decision.ifMatch,
        ...(decision.marker === undefined ? {} : { marker: decision.marker }),
      };
    case "import":
      break;
  }
  if (decision.adopted && !f.adoptionAllowed) {
    return {
      step: "fail",
      decision: "terminal",
      reason: "UnmanagedAPIExists",
      message:
        `API "${desired.apiId}" already exists in API Management and was not created by this operator; to take it over, annotate this APIMAPI with apim.operator.io/adopt: "true"`,
      forgetOperation: false,
    };
  }
  if (decision.adopted && holdsKnownDocument(f, desired) && observed.exists) {
    return f.claimed ? inSync(f, desired) : {
      step: "claimApi",
      changes: driftedFields(desired, observed),
      marker: ownerMarker(f.owner, desired.hash, {
        adopted: true,
        doc: desired.importHash,
      }),
      ifMatch: observed.etag ?? "*",
    };
  }
  const newRevision = f.mode === "NewRevision" && !decision.created;
  if (newRevision && !f.revisions) return { step: "listRevisions" };
  const revision = newRevision
    ? String(nextRevision(f.revisions ?? []))
    : undefined;
  return {
    step: "recordIntent",
    adopting: decision.adopted,
    operation: {
      kind: "import",
      desiredHash: desired.hash,
      revision,
      created: decision.created,
      trigger: f.trigger,
    },
  };
}

/**
 * The document API Management holds is the desired one: the original operator imported these very
 * bytes. It never put an API in a version set, so joining one still takes an import.
 */
function holdsKnownDocument(
  f: RegistrationFacts,
  desired: DesiredApi,
): boolean {
  return f.knownDocumentDigest === desired.digest &&
    desired.apiVersionSetId === undefined;
}

/**
 * The next step of a registration pass. The executor runs it, adds its result to the facts and
 * asks again, until a step ends the pass (`wait`, `fail`, `finish`, or an error).
 */
export function nextRegistrationStep(f: RegistrationFacts): RegistrationStep {
  const op = f.operation;
  if (op && f.intentRecorded) {
    const current = f.observed?.exists ? f.observed : undefined;
    if (op.revision === undefined) {
      // The API itself is fenced by the ETag it was read with.
      return {
        step: "sendImport",
        targetApiId: f.apiId,
        ifMatch: current?.etag,
      };
    }
    return {
      step: "sendImport",
      targetApiId: `${f.apiId};rev=${op.revision}`,
      pinned: current && {
        displayName: current.displayName,
        description: current.description,
        path: current.path ?? f.desired?.path ?? "",
        apiVersion: current.apiVersion,
      },
    };
  }
  if (op) return operationStep(f, op);
  if (f.applied) return finishingStep(f, f.applied);
  if (f.serviceProblem) {
    return progressing(
      "WaitingForAPIMService",
      f.serviceProblem,
      f.limits.serviceWaitMs,
    );
  }
  const versionSet = f.versionSetProblem;
  if (versionSet?.retry === "wait") {
    return progressing(
      versionSet.reason,
      versionSet.message,
      f.limits.serviceWaitMs,
    );
  }
  const refusal = f.claimConflict ??
    (versionSet &&
      { reason: versionSet.reason, message: versionSet.message }) ??
    f.preflightError;
  if (refusal) {
    return {
      step: "fail",
      decision: "terminal",
      ...refusal,
      forgetOperation: false,
    };
  }
  if (!f.desired) return { step: "fetchDocument" };
  if (f.earlierImport?.desiredHash === f.desired.hash) {
    return {
      step: "applied",
      applied: { ...f.earlierImport, trigger: f.trigger },
    };
  }
  if (f.recentlyVerifiedHash === f.desired.hash) {
    return {
      step: "applied",
      applied: {
        desiredHash: f.desired.hash,
        trigger: f.trigger,
        imported: false,
        created: false,
        confirmedRecently: true,
      },
    };
  }
  if (!f.observed) return { step: "readApi" };
  return importStep(f, f.desired, f.observed);
}

function finishingStep(
  f: RegistrationFacts,
  applied: AppliedImport,
): RegistrationStep {
  // An import that served an older rollout or spec: the current one may need another document.
  if (!sameTrigger(applied.trigger, f.trigger)) return { step: "decideAgain" };
  if (applied.revision !== undefined) {
    if (!f.released) {
      return f.policiesCarried
        ? { step: "release", revision: applied.revision }
        : { step: "carryPolicies", revision: applied.revision };
    }
    const after = releasedStep(f, applied);
    if (after) return after;
  }
  if (!f.linked && !applied.confirmedRecently) return { step: "link" };
  return { step: "finish" };
}

/** The fields an import into a new revision had to leave alone: PATCHed once it is current. */
function releasedStep(
  f: RegistrationFacts,
  applied: AppliedImport,
): RegistrationStep | undefined {
  if (f.patched) return undefined;
  if (!f.desired) return { step: "fetchDocument" };
  // The document changed after its import: it needs an import of its own.
  if (f.desired.hash !== applied.desiredHash) return { step: "decideAgain" };
  if (!f.observed) return { step: "readApi" };
  const changes: ApiFieldChanges = driftedFields(
    { ...f.desired, displayName: f.desired.shownName },
    f.observed,
  );
  const described = f.observed.exists ? f.observed.description : undefined;
  if (
    f.desired.description !== undefined && described !== f.desired.description
  ) {
    changes.description = f.desired.description;
  }
  const version = f.observed.exists ? f.observed.apiVersion : undefined;
  if (f.desired.apiVersion !== undefined && version !== f.desired.apiVersion) {
    changes.apiVersion = f.desired.apiVersion;
  }
  if (Object.keys(changes).length === 0) return undefined;
  return {
    step: "patchApi",
    changes,
    ifMatch: (f.observed.exists ? f.observed.etag : undefined) ?? "*",
  };
}
