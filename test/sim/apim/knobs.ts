// The APIM simulator's tunable behaviour: latency, long-running-operation timing, paging, throttling, authorization.

import type { ThrottleConfig } from "./throttling.ts";

/** Mutable knobs; tests change them on `simulator.knobs` at any time. */
export interface ApimKnobs {
  /** Added latency per request (ms). */
  latencyMs: number;
  /** Extra random latency up to this many ms. */
  latencyJitterMs: number;
  /** Polls answered 202 before an import completes (0 = the first poll sees the result). */
  importPolls: number;
  /** An import also completes once this much clock time has passed (null: only polls count). */
  importDurationMs: number | null;
  /**
   * `Retry-After` (seconds) on 202 poll answers and LRO starts of APIs; null (default) sends none,
   * as APIM does on every child-resource answer in the recordings.
   */
  pollRetryAfterSeconds: number | null;
  /**
   * How long an API stays locked (409 PessimisticConcurrencyConflict) after its operation ended
   * (apiops-cli#252); 0 releases it with the answer that reports the end.
   */
  lockSettleMs: number;
  /** After a create completes, GET/list still answer 404/omit it for this long (ms). */
  readAfterWriteLagMs: number;
  /** What the `Azure-AsyncOperation` URL answers: a status resource, or `200 {"value":[]}` as seen in the field. */
  asyncOperationBody: "status" | "emptyList";
  /**
   * 2024-05-01 API DELETE answers 202 + Location + Azure-AsyncOperation (then 204 / Succeeded)
   * instead of 204; default true, as recorded (aso-…20240501#77, #82).
   */
  asyncDelete: boolean;
  /**
   * 2024-05-01 API PUT without import answers in LRO shape (InProgress + Location), like the spec
   * examples; default false: recorded plain PUTs answer 201 + ETag at once (aso-…20240501#57, #71).
   */
  asyncPlainApiWrites: boolean;
  /** DELETE of a current revision while other revisions exist (no `deleteRevisions`): reject (400) or delete all. */
  deleteCurrentRevisionWithOthers: "reject" | "deleteAll";
  /** Page size when `$top` is absent (and the upper bound of `$top`). */
  pageSize: number;
  /** The last page carries `"nextLink": ""` (as in the spec examples) instead of no nextLink. */
  emptyNextLink: boolean;
  /** Read and write budgets per subscription and caller. */
  throttle: ThrottleConfig;
  /** Actions answered 403 AuthorizationFailed; exact or with `*` wildcards (e.g. `Microsoft.ApiManagement/service/apis/write`). */
  deniedActions: string[];
  /** Scopes (ARM id prefixes) with a delete lock: DELETE below them answers 409 ScopeLocked. */
  lockedScopes: string[];
  /**
   * A "portal user" writing concurrently: after each of the next `remaining` GET/HEAD of an
   * entity whose path matches `path`, that entity's ETag changes, so the ETag just returned is stale.
   */
  concurrentWriter: { remaining: number; path?: RegExp } | null;
  /** Large imports are slow and may fail with 422 while APIM keeps working (off by default). */
  slowImport: SlowImport | null;
}

/**
 * A large import PUT takes tens of seconds and may answer 422 `ManagementApiRequestFailed` while
 * APIM goes on importing (Azure/apiops#689, #497): for fault tests and chaos runs.
 */
export interface SlowImport {
  /** Imports whose document has at least this many characters are slow. */
  minDocumentChars: number;
  /** Real time the PUT takes before it answers (ms). */
  putLatencyMs: number;
  /** The PUT answers 422 ManagementApiRequestFailed although the import runs (and locks the API). */
  answer422: boolean;
}

/** Defaults: fast enough for tests, with ARM's 2024 per-region bucket sizes. */
export function defaultKnobs(): ApimKnobs {
  return {
    latencyMs: 0,
    latencyJitterMs: 0,
    importPolls: 1,
    importDurationMs: 60_000,
    pollRetryAfterSeconds: null,
    lockSettleMs: 1_000,
    readAfterWriteLagMs: 0,
    asyncOperationBody: "status",
    asyncDelete: true,
    asyncPlainApiWrites: false,
    deleteCurrentRevisionWithOthers: "reject",
    pageSize: 100,
    emptyNextLink: false,
    throttle: {
      reads: { capacity: 250, refillPerSecond: 25 },
      writes: { capacity: 200, refillPerSecond: 10 },
    },
    deniedActions: [],
    lockedScopes: [],
    concurrentWriter: null,
    slowImport: null,
  };
}
