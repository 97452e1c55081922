// One controller: its work queue, the cache changes that enqueue keys, and the runner that reconciles them.
import type { InvolvedObject } from "../kube/event_recorder.ts";
import { type KubeObject, objectKey } from "../kube/kube_object.ts";
import { apiVersionOf, type ResourceDescriptor } from "../kube/resource.ts";
import {
  type Outcome,
  ReconcileTracker,
  runController,
} from "../kube/run_controller.ts";
import { WorkQueue } from "../kube/work_queue.ts";
import { classifyReconcileError } from "./failure.ts";
import type { OperatorContext } from "./operator_context.ts";

/** How soon a pass finds out whether another pass on its API has ended. */
export const LOCKED_RETRY_MS = 500;

/** Adds a `namespace/name` key to the controller's queue. */
export type Enqueue = (key: string) => void;

/** What a controller file provides. */
export interface ControllerSpec {
  name: string;
  /** Concurrent reconciles of different keys. */
  workers: number;
  /** Level-triggered reconcile of one key. */
  reconcile(key: string, signal: AbortSignal): Promise<Outcome>;
  /** The cache of the objects this controller's keys name; all of them are reconciled at start. */
  primary: { list(): KubeObject[] };
  /** Subscribes to the caches whose changes concern this controller; returns the unsubscribers. */
  watch(enqueue: Enqueue): Array<() => void>;
}

/** A controller ready to run once (build a new one for each leadership term). */
export interface Controller {
  readonly name: string;
  /** Whether its workers are running. */
  readonly running: boolean;
  /** When its longest-running reconcile in flight started, if any. */
  oldestReconcileStartedAt(): number | undefined;
  /** Runs until `signal` aborts, then drains the reconciles in flight. */
  run(signal: AbortSignal): Promise<void>;
}

/** Wires a controller's queue, triggers and runner. */
export function makeController(
  ctx: OperatorContext,
  spec: ControllerSpec,
): Controller {
  const queue = new WorkQueue<string>({ clock: ctx.clock, random: ctx.random });
  const tracker = new ReconcileTracker();
  let running = false;
  return {
    name: spec.name,
    get running() {
      return running;
    },
    oldestReconcileStartedAt: () => tracker.oldestStartedAt(),
    async run(signal: AbortSignal): Promise<void> {
      if (queue.shuttingDown) {
        throw new Error(`Controller "${spec.name}" already ran once`);
      }
      const unsubscribers = spec.watch((key) => queue.add(key));
      // Level-triggered start: every existing object gets one look (the caches synced before).
      for (const object of spec.primary.list()) queue.add(objectKey(object));
      running = true;
      try {
        await runController({
          name: spec.name,
          queue,
          workers: spec.workers,
          reconcile: (key, s) => spec.reconcile(key, s),
          classifyError: classifyReconcileError,
          clock: ctx.clock,
          logger: ctx.logger,
          metrics: ctx.metrics,
          tracker,
        }, signal);
      } finally {
        running = false;
        for (const unsubscribe of unsubscribers) unsubscribe();
      }
    },
  };
}

/** `base` stretched by up to ±`fraction` using `random` (spreads periodic work). */
export function jittered(
  base: number,
  random: () => number,
  fraction = 0.1,
): number {
  return Math.round(base * (1 - fraction + 2 * fraction * random()));
}

/** The Event subject for one of our objects. */
export function involvedObject(
  resource: ResourceDescriptor,
  object: KubeObject,
): InvolvedObject {
  return {
    apiVersion: apiVersionOf(resource),
    kind: resource.kind,
    name: object.metadata?.name ?? "",
    namespace: object.metadata?.namespace,
    uid: object.metadata?.uid,
    resourceVersion: object.metadata?.resourceVersion,
  };
}

/** Records an Event about one of our objects. */
export function recordEvent(
  ctx: OperatorContext,
  resource: ResourceDescriptor,
  object: KubeObject,
  event: { type: "Normal" | "Warning"; reason: string; note: string },
): Promise<void> {
  return ctx.events.record(involvedObject(resource, object), event);
}
