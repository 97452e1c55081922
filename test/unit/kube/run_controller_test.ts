// Unit tests of runController in virtual time: outcomes, error decisions, one key in flight, shutdown.

import assert from "node:assert/strict";
import {
  type ControllerMetrics,
  DONE,
  type ErrorDecision,
  type Outcome,
  type ReconcileResult,
  requeueAfter,
  runController,
} from "../../../src/kube/run_controller.ts";
import { WorkQueue } from "../../../src/kube/work_queue.ts";
import { FakeClock, settle } from "../../support/fake_clock.ts";

class TemporaryError extends Error {}
class FatalError extends Error {}
class ThrottledError extends Error {}
class RetryNowError extends Error {}

function classify(error: unknown): ErrorDecision {
  if (error instanceof FatalError) return { kind: "terminal" };
  if (error instanceof ThrottledError) {
    return { kind: "retryAfter", delayMs: 7000 };
  }
  if (error instanceof RetryNowError) return { kind: "retryAfter", delayMs: 0 };
  return { kind: "backoff" };
}

class RecordingMetrics implements ControllerMetrics {
  readonly results: ReconcileResult[] = [];
  depth = -1;
  observeReconcile(_c: string, result: ReconcileResult): void {
    this.results.push(result);
  }
  setQueueDepth(_c: string, depth: number): void {
    this.depth = depth;
  }
}

interface Harness {
  clock: FakeClock;
  queue: WorkQueue<string>;
  metrics: RecordingMetrics;
  /** Virtual times at which each key was reconciled. */
  runs: Map<string, number[]>;
  stop(): Promise<void>;
}

function start(
  reconcile: (
    key: string,
    attempt: number,
    signal: AbortSignal,
  ) => Promise<Outcome>,
  workers = 1,
): Harness {
  const clock = new FakeClock(0);
  const queue = new WorkQueue<string>({
    clock,
    random: () => 0,
    backoff: { initialMs: 1000, maxMs: 60_000, factor: 2, jitter: 0.1 },
  });
  const metrics = new RecordingMetrics();
  const runs = new Map<string, number[]>();
  const abort = new AbortController();
  const running = runController({
    name: "test",
    queue,
    workers,
    clock,
    metrics,
    minDelayMs: 500,
    minRequeueMs: 100,
    classifyError: classify,
    reconcile: (key, signal) => {
      const times = runs.get(key) ?? [];
      times.push(clock.now());
      runs.set(key, times);
      return reconcile(key, times.length, signal);
    },
  }, abort.signal);
  return {
    clock,
    queue,
    metrics,
    runs,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

Deno.test("runController retries failures with growing backoff and resets it on success", async () => {
  const h = start((_key, attempt) =>
    attempt <= 3
      ? Promise.reject(new TemporaryError("boom"))
      : Promise.resolve(DONE)
  );
  h.queue.add("a");
  await h.clock.advance(60_000);
  assert.deepEqual(h.runs.get("a"), [0, 1000, 3000, 7000]);
  assert.deepEqual(h.metrics.results, ["error", "error", "error", "success"]);
  assert.equal(h.queue.failures("a"), 0, "success forgets the backoff");
  await h.stop();
});

Deno.test("runController requeues after the outcome's delay", async () => {
  const h = start((_key, attempt) =>
    Promise.resolve(attempt < 3 ? requeueAfter(5000) : DONE)
  );
  h.queue.add("a");
  await h.clock.advance(60_000);
  assert.deepEqual(h.runs.get("a"), [0, 5000, 10_000]);
  assert.deepEqual(h.metrics.results, ["requeue", "requeue", "success"]);
  await h.stop();
});

Deno.test("runController honours retry-after decisions and drops terminal errors", async () => {
  const h = start((key, attempt) => {
    if (key === "fatal") return Promise.reject(new FatalError("bad spec"));
    return attempt === 1
      ? Promise.reject(new ThrottledError("429"))
      : Promise.resolve(DONE);
  });
  h.queue.add("fatal");
  h.queue.add("throttled");
  await h.clock.advance(60_000);
  assert.deepEqual(h.runs.get("fatal"), [0], "a terminal error is not retried");
  assert.deepEqual(h.runs.get("throttled"), [0, 7000]);
  assert.ok(h.metrics.results.includes("terminal"));
  assert.equal(h.queue.depth, 0);
  await h.stop();
});

Deno.test("runController clamps zero requeue delays so a key cannot spin", async () => {
  const h = start(() => Promise.resolve(requeueAfter(0)));
  h.queue.add("a");
  await h.clock.advance(1000);
  assert.deepEqual(h.runs.get("a"), [
    0,
    100,
    200,
    300,
    400,
    500,
    600,
    700,
    800,
    900,
    1000,
  ]);
  await h.stop();
});

Deno.test("runController holds a failed key at least the error floor even when asked to retry at once", async () => {
  const h = start(() => Promise.reject(new RetryNowError("try again")));
  h.queue.add("a");
  await h.clock.advance(1600);
  assert.deepEqual(h.runs.get("a"), [0, 500, 1000, 1500]);
  await h.stop();
});

Deno.test("runController never reconciles one key in two workers at once", async () => {
  const inFlight = new Set<string>();
  let overlaps = 0;
  const gates: (() => void)[] = [];
  const h = start(async (key) => {
    if (inFlight.has(key)) overlaps++;
    inFlight.add(key);
    await new Promise<void>((resolve) => gates.push(resolve));
    inFlight.delete(key);
    return DONE;
  }, 4);
  h.queue.add("a");
  h.queue.add("b");
  await settle();
  assert.equal(gates.length, 2, "two different keys run in parallel");
  h.queue.add("a");
  h.queue.add("a");
  await settle();
  assert.equal(gates.length, 2, "the re-added key waits for its run to finish");
  gates.shift()!();
  await settle();
  assert.equal(gates.length, 2, "a runs once more after finishing");
  gates.shift()!();
  gates.shift()!();
  await settle();
  assert.equal(overlaps, 0);
  assert.deepEqual(h.runs.get("a")?.length, 2);
  assert.deepEqual(h.runs.get("b")?.length, 1);
  await h.stop();
});

Deno.test("runController stops on abort after the reconcile in flight returns", async () => {
  let release: () => void = () => {};
  let reconcileSignal: AbortSignal | undefined;
  const h = start((_key, _attempt, signal) =>
    new Promise((resolve) => {
      reconcileSignal = signal;
      release = () => resolve(DONE);
    })
  );
  h.queue.add("a");
  await settle();
  let stopped = false;
  const stopping = h.stop().then(() => {
    stopped = true;
  });
  await settle();
  assert.equal(stopped, false, "the reconcile in flight is awaited");
  assert.equal(reconcileSignal?.aborted, true, "the reconcile is told to stop");
  release();
  await stopping;
  assert.equal(stopped, true);
  assert.equal(h.clock.pendingTimers, 0);
});
