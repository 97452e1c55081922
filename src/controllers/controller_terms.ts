// Runs the controllers once per leadership term: fresh queues each term, ARM requests fenced by the term.
import type { LivenessFacts } from "../kube/liveness.ts";
import type { Logger } from "../log.ts";
import { collectGarbage } from "../util/collect_garbage.ts";
import { KeyedLock } from "../util/keyed_lock.ts";
import type { Controller } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";

/** Builds the controllers of one term from a context whose ARM client is fenced by that term. */
export type BuildControllers = (ctx: OperatorContext) => Controller[];

/**
 * Each term (a leadership, or the whole run without leader election) waits for the caches, then
 * builds and runs a new set of controllers with new work queues and an ARM client that stops
 * sending the moment the term ends. A term ends only after all its reconciles returned, so two
 * terms never overlap.
 */
export class ControllerTerms {
  readonly #ctx: OperatorContext;
  readonly #build: BuildControllers;
  readonly #logger: Logger;
  #current: Controller[] = [];
  #dueSince: number | undefined;

  readonly #holdsLease: () => boolean;

  /** `holdsLease` says, at the moment a request leaves, whether this replica still leads. */
  constructor(
    ctx: OperatorContext,
    build: BuildControllers,
    holdsLease: () => boolean = () => true,
  ) {
    this.#ctx = ctx;
    this.#build = build;
    this.#logger = ctx.logger;
    this.#holdsLease = holdsLease;
  }

  /** Runs one term until `term` aborts; rejects if a controller failed (after all of them stopped). */
  async run(term: AbortSignal): Promise<void> {
    const caches = Object.values(this.#ctx.caches);
    await Promise.all(caches.map((cache) => cache.waitUntilSynced(term)));
    if (term.aborted) return;
    this.#logger.info("Caches synced; starting controllers");
    // The listed pages are garbage now; without this, RSS keeps their high-water mark for long.
    collectGarbage();
    const controllers = this.#build({
      ...this.#ctx,
      arm: this.#ctx.arm.withSignal(term, this.#holdsLease),
      apiLocks: new KeyedLock(),
    });
    this.#current = controllers;
    this.#dueSince = this.#ctx.clock.now();
    try {
      const results = await Promise.allSettled(
        controllers.map((c) => c.run(term)),
      );
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      this.#dueSince = undefined;
      this.#current = [];
    }
  }

  /** The facts of the running term for the liveness probe. */
  livenessFacts(): Omit<LivenessFacts, "now" | "electionHeartbeatAt"> {
    const starts = this.#current.map((c) => c.oldestReconcileStartedAt())
      .filter((at): at is number => at !== undefined);
    return {
      controllersDueSince: this.#dueSince,
      controllersRunning: this.#current.length > 0 &&
        this.#current.every((c) => c.running),
      oldestReconcileStartedAt: starts.length > 0
        ? Math.min(...starts)
        : undefined,
    };
  }
}
