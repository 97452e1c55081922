// The Azure write recorded in an APIMAPI's status, as the decisions read it and as the poller polls it.
import {
  type PendingOperation,
  pendingOperationSchema,
  type PollResult,
} from "../azure/operation.ts";
import type { PendingOperationRecord } from "../crd/apim_api.ts";
import type {
  OperationFacts,
  PollFacts,
} from "../reconcile/registration_facts.ts";

/** The record as decision facts (an unreadable start time counts as long ago). */
export function operationFacts(
  record: PendingOperationRecord | undefined,
): OperationFacts | undefined {
  if (!record) return undefined;
  const startedAt = Date.parse(record.startedAt);
  return {
    kind: record.kind === "delete" || record.kind === "prune"
      ? record.kind
      : "import",
    url: record.url,
    startedAt: Number.isNaN(startedAt) ? 0 : startedAt,
    desiredHash: record.desiredHash,
    revision: record.revision,
    created: record.created === true,
    trigger: record.generation === undefined ? undefined : {
      generation: record.generation,
      replicaSetUid: record.replicaSetUid,
      readySet: record.readySet,
      signal: record.signal,
    },
  };
}

/** The record as the poller takes it, or undefined when it has no (valid) poll URL. */
export function pollableOperation(
  record: PendingOperationRecord,
): PendingOperation | undefined {
  const parsed = pendingOperationSchema.safeParse({
    // A prune is a delete to the poller.
    kind: record.kind === "prune" ? "delete" : record.kind,
    url: record.url,
    pollKind: record.pollKind,
    startedAt: record.startedAt,
    resourcePath: record.resourcePath,
    ...(record.desiredHash === undefined
      ? {}
      : { desiredHash: record.desiredHash }),
  });
  return parsed.success ? parsed.data : undefined;
}

/** The record after an accepted write or a poll that moved it: its poll URL and kind. */
export function withPollUrl(
  record: PendingOperationRecord,
  operation: PendingOperation,
): PendingOperationRecord {
  return { ...record, url: operation.url, pollKind: operation.pollKind };
}

/** A poll result as decision facts. */
export function pollFacts(result: PollResult): PollFacts {
  switch (result.state) {
    case "running":
      return { state: "running", retryAfterMs: result.retryAfterMs };
    case "succeeded":
      return { state: "succeeded" };
    case "failed":
      return { state: "failed" };
    case "gone":
      return { state: "gone" };
  }
}
