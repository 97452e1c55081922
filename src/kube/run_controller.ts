// runController: N workers take keys from a WorkQueue, reconcile them and requeue by outcome or error decision.

import { errorFields, type Logger, silentLogger } from "../log.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { WorkQueue } from "./work_queue.ts";

/** What a successful reconcile asks for: nothing more, or another look after a delay. */
export type Outcome =
  | { kind: "done" }
  | { kind: "requeueAfter"; delayMs: number };

/** The reconcile finished; wait for the next change. */
export const DONE: Outcome = { kind: "done" };

/** The reconcile finished; look again after `delayMs` (a planned wait, not an error). */
export function requeueAfter(delayMs: number): Outcome {
  return { kind: "requeueAfter", delayMs };
}

/** How to retry after a failed reconcile. */
export type ErrorDecision =
  | { kind: "retryAfter"; delayMs: number }
  | { kind: "backoff" }
  | { kind: "terminal" };

/** How a reconcile ended, as counted in metrics. */
export type ReconcileResult = "success" | "requeue" | "error" | "terminal";

/** Metrics hooks (Prometheus names: reconcile_total, reconcile_errors_total, workqueue_depth, ...). */
export interface ControllerMetrics {
  observeReconcile(
    controller: string,
    result: ReconcileResult,
    durationMs: number,
  ): void;
  setQueueDepth(controller: string, depth: number): void;
}

/** Which reconciles are running and since when (a liveness probe reads the oldest). */
export class ReconcileTracker {
  readonly #started = new Map<string, number>();

  /** Notes that `key` started at `now`. */
  begin(key: string, now: number): void {
    this.#started.set(key, now);
  }

  /** Notes that `key` ended. */
  end(key: string): void {
    this.#started.delete(key);
  }

  /** When the longest-running reconcile started, or undefined when none runs. */
  oldestStartedAt(): number | undefined {
    let oldest: number | undefined;
    for (const at of this.#started.values()) {
      if (oldest === undefined || at < oldest) oldest = at;
    }
    return oldest;
  }
}

/** Options of {@linkcode runController}. */
export interface RunControllerOptions<K extends string> {
  /** Controller name for logs and metrics. */
  name: string;
  queue: WorkQueue<K>;
  /** Concurrent reconciles (different keys only); default 1. */
  workers?: number;
  /** Level-triggered: reads the current state for `key` and converges it. */
  reconcile(key: K, signal: AbortSignal): Promise<Outcome>;
  /** Maps a reconcile error to a retry decision. */
  classifyError(error: unknown): ErrorDecision;
  /** Floor of retry delays after a failure, so nothing spins (default 1 s). */
  minDelayMs?: number;
  /**
   * Floor of delays a reconcile asked for itself (`requeueAfter`, e.g. a poll ARM said to send at
   * once): short, so planned work is not held back, yet never zero (default 100 ms).
   */
  minRequeueMs?: number;
  clock?: Clock;
  logger?: Logger;
  metrics?: ControllerMetrics;
  /** Told when each reconcile starts and ends. */
  tracker?: ReconcileTracker;
}

/**
 * Runs the workers until `signal` aborts, then shuts the queue down and resolves once the
 * reconciles in flight have returned (they receive `signal` to cut their I/O short).
 */
export async function runController<K extends string>(
  options: RunControllerOptions<K>,
  signal: AbortSignal,
): Promise<void> {
  const { queue, name } = options;
  const logger = (options.logger ?? silentLogger).child({ controller: name });
  const onAbort = () => void queue.shutdown();
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  const workers = Math.max(1, options.workers ?? 1);
  logger.info("Starting workers", { workers });
  try {
    await Promise.all(
      Array.from({ length: workers }, () => work(options, logger, signal)),
    );
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  logger.info("Stopped workers");
}

async function work<K extends string>(
  options: RunControllerOptions<K>,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  const { queue, name } = options;
  const clock = options.clock ?? systemClock;
  const minDelayMs = options.minDelayMs ?? 1000;
  const minRequeueMs = options.minRequeueMs ?? 100;
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    options.metrics?.setQueueDepth(name, queue.depth);
    const started = clock.now();
    options.tracker?.begin(key, started);
    let result: ReconcileResult;
    try {
      const outcome = await options.reconcile(key, signal);
      queue.forget(key);
      if (outcome.kind === "requeueAfter") {
        queue.addAfter(key, Math.max(minRequeueMs, outcome.delayMs));
        result = "requeue";
      } else {
        result = "success";
      }
    } catch (error) {
      result = handleError(options, logger, key, error, signal, minDelayMs);
    } finally {
      options.tracker?.end(key);
      queue.done(key);
    }
    options.metrics?.observeReconcile(name, result, clock.now() - started);
    options.metrics?.setQueueDepth(name, queue.depth);
  }
}

function handleError<K extends string>(
  options: RunControllerOptions<K>,
  logger: Logger,
  key: K,
  error: unknown,
  signal: AbortSignal,
  minDelayMs: number,
): ReconcileResult {
  const { queue } = options;
  if (signal.aborted) {
    logger.debug("Reconcile cancelled by shutdown", { key });
    return "error";
  }
  let decision: ErrorDecision;
  try {
    decision = options.classifyError(error);
  } catch (classifyFailure) {
    logger.error("Error classification failed", {
      key,
      ...errorFields(classifyFailure),
    });
    decision = { kind: "backoff" };
  }
  switch (decision.kind) {
    case "terminal":
      queue.forget(key);
      logger.error("Reconcile failed permanently", {
        key,
        ...errorFields(error),
      });
      return "terminal";
    case "retryAfter": {
      const delayMs = Math.max(minDelayMs, decision.delayMs);
      queue.addAfter(key, delayMs);
      logger.info("Reconcile failed, retrying after the requested delay", {
        key,
        delayMs,
        ...errorFields(error),
      });
      return "error";
    }
    case "backoff": {
      const delayMs = queue.addRateLimited(key, minDelayMs);
      logger.error("Reconcile failed, backing off", {
        key,
        delayMs,
        attempt: queue.failures(key),
        ...errorFields(error),
      });
      return "error";
    }
  }
}
