// Reading the simulators' logs: which ARM requests belong to an API, how long Azure kept the operator
// waiting, and request counts by kind.
import type {
  OperationRecord,
  RequestLogEntry,
} from "../../test/sim/apim_simulator.ts";
import type { ArmTiming } from "./simulators.ts";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Matches the ARM paths of API `apiId` (the API, its revisions, operations, links, polls). */
export function apiPathPattern(apiId: string): RegExp {
  return new RegExp(`/apis/${escapeRegExp(apiId)}(;rev=[^/]*)?(/|$)`, "i");
}

/**
 * The requests of API `apiId` that started in `[from, to]`, oldest first: those on its paths, and
 * the polls of its operations (an Azure-AsyncOperation URL is not under the API).
 */
export function apiRequests(
  timings: readonly ArmTiming[],
  apiId: string,
  from: number,
  to: number,
): ArmTiming[] {
  const pattern = apiPathPattern(apiId);
  const polls = new Set<string>();
  const mine: ArmTiming[] = [];
  for (const t of [...timings].sort((a, b) => a.start - b.start)) {
    if (!pattern.test(t.path) && !polls.has(t.path)) continue;
    for (const poll of t.pollPaths) polls.add(poll);
    if (t.start >= from && t.start <= to) mine.push(t);
  }
  return mine;
}

/** A time in which APIM refused writes to an API: an operation on it ran, or its lock outlasted it. */
export interface LockWindow {
  start: number;
  end: number;
}

/**
 * When APIM held the lock on API `apiId`, from the simulator's operation history: from each
 * operation's start until `settleMs` after its end (the simulator's `lockSettleMs`).
 */
export function lockWindows(
  history: readonly OperationRecord[],
  apiId: string,
  settleMs: number,
): LockWindow[] {
  return history
    .filter((op) => op.apiRoot.toLowerCase() === apiId.toLowerCase())
    .map((op) => ({
      start: op.startedAt,
      end: op.endedAt === null ? Infinity : op.endedAt + settleMs,
    }));
}

/** Time the simulated Azure imposed on one registration, and the requests it consisted of. */
export interface AzureTime {
  /** Requests of the API in the window. */
  requests: number;
  /** Union of the request intervals (receipt to answer): time an ARM call was outstanding. */
  busyMs: number;
  /**
   * Waits ARM asked for with Retry-After (202s, LRO-shaped 200/201 answers, 429s), and the rest of
   * APIM's lock on the API after a 409 that refused a write for it; each capped at the actual gap
   * until the API's next request (a poll or a retry sent late is operator time).
   */
  mandatedWaitMs: number;
  /** busyMs + mandatedWaitMs. */
  totalMs: number;
  /**
   * Operator time between an answer carrying Retry-After and the API's next request beyond what
   * Retry-After asked for (e.g. a requeue floor, or the status writes done before requeueing).
   */
  pollLatenessMs: number;
}

/**
 * The part of `[from, to]` spent waiting for Azure on behalf of API `apiId`: the union of its
 * ARM request intervals plus the Retry-After waits ARM asked for and the locks it refused writes with.
 */
export function azureTime(
  timings: readonly ArmTiming[],
  apiId: string,
  from: number,
  to: number,
  locks: readonly LockWindow[] = [],
): AzureTime {
  const mine = apiRequests(timings, apiId, from, to);
  let busy = 0;
  let coveredUntil = -Infinity;
  for (const t of mine) {
    const start = Math.max(t.start, coveredUntil);
    const end = Math.min(t.end, to);
    if (end > start) busy += end - start;
    coveredUntil = Math.max(coveredUntil, t.end);
  }
  let mandated = 0;
  let late = 0;
  for (let i = 0; i < mine.length; i++) {
    const t = mine[i];
    if (!t) continue;
    const asked = t.retryAfter === null
      ? lockLeft(t, locks)
      : Number(t.retryAfter) * 1000;
    if (asked === undefined || Number.isNaN(asked) || asked < 0) continue;
    const next = mine.slice(i + 1).find((n) => n.start >= t.end);
    const gap = (next?.start ?? to) - t.end;
    mandated += Math.max(0, Math.min(asked, gap));
    if (next && t.retryAfter !== null) late += Math.max(0, gap - asked);
  }
  return {
    requests: mine.length,
    busyMs: Math.round(busy * 10) / 10,
    mandatedWaitMs: Math.round(mandated * 10) / 10,
    totalMs: Math.round((busy + mandated) * 10) / 10,
    pollLatenessMs: Math.round(late * 10) / 10,
  };
}

/** How long the lock that refused `t` (a 409 answered inside a lock window) still held after it. */
function lockLeft(
  t: ArmTiming,
  locks: readonly LockWindow[],
): number | undefined {
  if (t.status !== 409) return undefined;
  const holding = locks.filter((w) => w.start <= t.end && t.end < w.end);
  if (holding.length === 0) return undefined;
  return Math.max(...holding.map((w) => w.end)) - t.end;
}

/** Requests counted by kind (the simulator's own classification). */
export interface RequestCounts {
  reads: number;
  writes: number;
  polls: number;
  throttled: number;
  /** `METHOD kind-of-path` -> count, e.g. `GET api`, `PUT product-link`. */
  byShape: Record<string, number>;
}

/** A coarse name for what an ARM path addresses (for breakdowns). */
export function pathShape(path: string): string {
  if (/\/products\/[^/]+\/apis\/[^/]+$/i.test(path)) return "product-link";
  if (/\/apis\/[^/]+\/tags\/[^/]+$/i.test(path)) return "tag-link";
  if (/\/apis\/[^/]+\/products$/i.test(path)) return "api-products-list";
  if (/\/apis\/[^/]+\/tags$/i.test(path)) return "api-tags-list";
  if (/\/operationResults\//i.test(path)) return "operation-result";
  if (/\/apis\/[^/]+$/i.test(path)) return "api";
  if (/\/service\/[^/]+$/i.test(path)) return "service";
  return path.replace(/^.*\/service\/[^/]+/i, "");
}

/** Counts the simulator log entries that satisfy `keep`. */
export function countRequests(
  entries: readonly RequestLogEntry[],
  keep: (entry: RequestLogEntry) => boolean,
): RequestCounts {
  const counts: RequestCounts = {
    reads: 0,
    writes: 0,
    polls: 0,
    throttled: 0,
    byShape: {},
  };
  for (const entry of entries) {
    if (!keep(entry)) continue;
    counts[`${entry.kind}s` as "reads" | "writes" | "polls"]++;
    if (entry.throttled) counts.throttled++;
    const shape = `${entry.method} ${
      entry.kind === "poll" ? "poll" : pathShape(entry.path)
    }`;
    counts.byShape[shape] = (counts.byShape[shape] ?? 0) + 1;
  }
  return counts;
}

/** The most ARM writes that were outstanding at the same time (from receipt to answer). */
export function maxConcurrentWrites(timings: readonly ArmTiming[]): number {
  const edges: Array<[number, number]> = [];
  for (const t of timings) {
    if (t.method === "GET" || t.method === "HEAD") continue;
    edges.push([t.start, 1], [t.end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of edges) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}
