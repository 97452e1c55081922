// Decides the next step of a registration pass from what is known so far: the persisted operation, the desired state, APIM.
//
//   operation recorded? ── answer lost / URL expired ─> read what it writes ─> ours? done : wait, then forget
//        │                 not polled yet ─> poll ─> running: wait | failed: report | succeeded: done
//        └ done, but a newer rollout or spec arrived meanwhile ─> decide again from the new document
//   no operation ── service / version set usable? ─> fetch document ─> read API ─> none | PATCH | claim | record intent ─> send import
//   imported or in sync ─> policies onto the new revision, release ─> links ─> finish
import type { StatusVerdict } from "./conditions.ts";
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
import { nextRevision, type RevisionFacts } from "./plan_revisions.ts";

/** What a registration serves: the rollout (ReplicaSet) and the APIMAPI generation. */
export interface RegistrationTrigger {
  replicaSetUid?: string | undefined;
  generation: number;
}

/** A long-running write recorded in status, as the decisions read it. */
export interface OperationFacts {
  /** `prune`: the delete of an old revision after a release (the API is locked while it runs). */
  kind: "import" | "delete" | "prune";
  /** Where to poll; absent while the write's answer is unknown (recorded before sending, or lost). */
  url?: string | undefined;
  /** When the write was recorded (ms since the epoch). */
  startedAt: number;
  desiredHash?: string | undefined;
  /** In new-revision mode: the revision the import writes. */
  revision?: string | undefined;
  /** The import creates the API. */
  created: boolean;
  /** What the import served when it was started. */
  trigger?: RegistrationTrigger | undefined;
}

/** One poll of the recorded operation. */
export type PollFacts =
  | { state: "running"; retryAfterMs: number }
  | { state: "succeeded" }
  | { state: "failed" }
  /** The poll URL answered 404 (expired, or the operation is unknown): only a read can tell. */
  | { state: "gone" };

/** Timing rules of a registration. */
export interface RegistrationLimits {
  /** Longest an import may run in API Management before it is reported stalled. */
  importBudgetMs: number;
  /** How long a write whose answer was lost may still land before it is given up (then fenced by If-Match or APIM's lock). */
  unknownOutcomeSettleMs: number;
  /** Pause between reads while such a write may still land. */
  unknownOutcomeRecheckMs: number;
  /** Pause while the APIMService is not ready. */
  serviceWaitMs: number;
}

/** Everything known in a pass; each step's result adds to it. */
export interface RegistrationFacts {
  now: number;
  limits: RegistrationLimits;
  owner: OwnerRef;
  apiId: string;
  trigger: RegistrationTrigger;
  mode: "InPlace" | "NewRevision";
  /** The APIMAPI may take over an API that exists without our marker. */
  adoptionAllowed: boolean;
  /** Why the APIMService cannot be used yet. */
  serviceProblem?: string | undefined;
  /** Why the version set the API joins cannot be used: until it can (`wait`), or until the spec changes. */
  versionSetProblem?: VersionSetProblem | undefined;
  /** Another APIMAPI claims the API id or path. */
  claimConflict?: { reason: string; message: string } | undefined;
  /**
   * The hash API Management was seen holding within the drift period for this very spec generation
   * (`status.verifiedAt`); an unchanged document then needs no ARM request at all.
   */
  recentlyVerifiedHash?: string | undefined;
  /** The operation in status (or recorded by this pass). */
  operation?: OperationFacts | undefined;
  /** This pass recorded `operation` and has not sent it yet. */
  intentRecorded?: boolean;
  poll?: PollFacts | undefined;
  /** The resource the operation writes (the API or its revision), read in this pass. */
  target?: ObservedApi | undefined;
  /** The fetched document's desired API, or why it cannot be imported. */
  desired?: DesiredApi | undefined;
  preflightError?: { reason: string; message: string } | undefined;
  /** The current API, read in this pass. */
  observed?: ObservedApi | undefined;
  /**
   * `sha256:<hex>` of the document the original operator imported into this API (its
   * APIMAPIDeployment record of a successful import): an adopted API holding that very document is
   * claimed, not imported again.
   */
  knownDocumentDigest?: string | undefined;
  /** The API was claimed in this pass (our marker PATCHed onto it). */
  claimed?: boolean;
  revisions?: readonly RevisionFacts[] | undefined;
  /** The document is in API Management (imported now or earlier, or already in sync). */
  applied?: AppliedImport | undefined;
  /**
   * An import that completed for an earlier rollout or spec generation in this pass: when the
   * current document and spec want the very same import, it stands (its revision is released)
   * instead of being imported again.
   */
  earlierImport?: AppliedImport | undefined;
  /** A PATCH of drifted fields was sent. */
  patched?: boolean;
  /** The policies kept on the API were put on the new revision (it starts with `<base />`). */
  policiesCarried?: boolean;
  released?: boolean;
  linked?: boolean;
}

/** A version set that is missing, not ready, or in another instance. */
export interface VersionSetProblem {
  retry: "wait" | "refuse";
  reason: string;
  message: string;
}

/** What API Management now holds for this registration. */
export interface AppliedImport {
  desiredHash: string;
  /** The rollout and generation it was decided for. */
  trigger: RegistrationTrigger;
  /** An import ran (now or in an operation that completed in this pass). */
  imported: boolean;
  created: boolean;
  /** In new-revision mode: the revision to release. */
  revision?: string | undefined;
  /**
   * Nothing was read: API Management was seen holding this hash, for this spec, within the drift
   * period, so the links recorded then stand and the drift check covers the rest.
   */
  confirmedRecently?: boolean;
}

/** The current API's fields an import into a non-current revision must leave as they are. */
export interface PinnedFields {
  displayName?: string | undefined;
  description?: string | undefined;
  path: string;
  /** The version in its version set (terraform-provider-azurerm#18093: API-wide too). */
  apiVersion?: string | undefined;
}

/** The next step of the pass. */
export type RegistrationStep =
  /**
   * Report `verdict` (progressing; none: keep the conditions) and look again after `delayMs`,
   * counted from the poll's answer when `afterPoll` (not from when the pass ends).
   */
  | {
    step: "wait";
    delayMs: number;
    verdict?: StatusVerdict | undefined;
    afterPoll?: boolean;
  }
  /** Report the failure; `forgetOperation` clears the recorded operation. */
  | {
    step: "fail";
    decision: "terminal" | "backoff";
    reason: string;
    message: string;
    forgetOperation: boolean;
  }
  /** The polled operation failed: report APIM's error and forget it. */
  | { step: "operationFailed" }
  | { step: "poll" }
  /** Read the resource the recorded operation writes. */
  | { step: "readTarget" }
  /** The recorded operation is over (or was never applied): continue without it. */
  | { step: "forgetOperation" }
  /** API Management holds the document (an operation applied it, or it was already in sync). */
  | { step: "applied"; applied: AppliedImport }
  /** It finished for an older rollout or spec: decide again from the current document. */
  | { step: "decideAgain" }
  | { step: "fetchDocument" }
  | { step: "readApi" }
  | { step: "listRevisions" }
  /** Persist the import about to be sent (so its outcome can always be found), then send it. */
  | { step: "recordIntent"; operation: OperationFacts; adopting: boolean }
  /**
   * Send the recorded import. Into a new revision (not current, so API Management refuses changes
   * of the API's name, description, path and version there) it goes with the current API's values pinned;
   * the release is followed by a PATCH to the desired ones.
   */
  | {
    step: "sendImport";
    ifMatch?: string | undefined;
    targetApiId: string;
    pinned?: PinnedFields | undefined;
  }
  | { step: "patchApi"; changes: ApiFieldChanges; ifMatch: string }
  /**
   * Take over an API without our marker that holds the desired document already (the original
   * operator imported it): record the adoption, then PATCH `marker` and the drifted fields; no import.
   */
  | {
    step: "claimApi";
    changes: ApiFieldChanges;
    marker: string;
    ifMatch: string;
  }
  /**
   * Put the policies kept on the API on the new revision before it goes live: a revision imported
   * straight into `;rev=n` starts with the default policy (hashicorp/terraform-provider-azurerm#28552).
   */
  | { step: "carryPolicies"; revision: string }
  | { step: "release"; revision: string }
  | { step: "link" }
  | { step: "finish" };

function sameTrigger(
  a: RegistrationTrigger | undefined,
  b: RegistrationTrigger,
): boolean {
  return a !== undefined && a.generation === b.generation &&
    (a.replicaSetUid ?? "") === (b.replicaSetUid ?? "");
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
      marker: ownerMarker(f.owner, desired.hash, { adopted: true }),
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
      startedAt: f.now,
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
