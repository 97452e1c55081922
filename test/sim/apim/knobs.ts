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
  /** `Retry-After` (seconds) on 202 poll answers and LRO starts. */
  pollRetryAfterSeconds: number;
  /** After a create completes, GET/list still answer 404/omit it for this long (ms). */
  readAfterWriteLagMs: number;
  /** What the `Azure-AsyncOperation` URL answers: a status resource, or `200 {"value":[]}` as seen in the field. */
  asyncOperationBody: "status" | "emptyList";
  /** 2024-05-01 API DELETE answers 202 + Location (then 204 when polled) instead of 204. */
  asyncDelete: boolean;
  /** 2024-05-01 API PUT without import still answers in LRO shape (InProgress + Location), like the examples. */
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
}

/** Defaults: fast enough for tests, with ARM's 2024 per-region bucket sizes. */
export function defaultKnobs(): ApimKnobs {
  return {
    latencyMs: 0,
    latencyJitterMs: 0,
    importPolls: 1,
    importDurationMs: 60_000,
    pollRetryAfterSeconds: 1,
    readAfterWriteLagMs: 0,
    asyncOperationBody: "status",
    asyncDelete: false,
    asyncPlainApiWrites: true,
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
  };
}
