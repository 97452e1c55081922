// The vocabulary of a registration pass: what is known (facts) and what to do next (steps).
import type { StatusVerdict } from "./conditions.ts";
import type { DesiredApi, OwnerRef } from "./desired_api.ts";
import type { ApiFieldChanges, ObservedApi } from "./plan_import.ts";
import type { RevisionFacts } from "./plan_revisions.ts";

/** What a registration serves: the rollout (ReplicaSet), the ReplicaSets ready then, and the APIMAPI generation. */
export interface RegistrationTrigger {
  replicaSetUid?: string | undefined;
  /**
   * {@linkcode readySetKey} of the ready ReplicaSets the document is fetched for: another workload
   * sharing the label may become ready while the trigger's import runs (absent in older records).
   */
  readySet?: string | undefined;
  /**
   * The APIMAPIDeployment's uid and generation: every signal of the watcher changes it, so a
   * rollback to a ReplicaSet signalled before is another trigger too (absent in older records).
   */
  signal?: string | undefined;
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
  /**
   * Persist the import about to be sent (so its outcome can always be found), then send it; its
   * start is the moment it is recorded.
   */
  | {
    step: "recordIntent";
    operation: Omit<OperationFacts, "startedAt">;
    adopting: boolean;
  }
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
  /** PATCH drifted fields; with `marker`, the import stands and the marker takes the new hash. */
  | {
    step: "patchApi";
    changes: ApiFieldChanges;
    ifMatch: string;
    marker?: string;
  }
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
