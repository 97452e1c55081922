// Runs a schedule in its world: the starting state, each step (recorded in the ledger), and the heal at the end.
import {
  type Action,
  categorize,
  describeAction,
  type Schedule,
} from "../schedule/actions.ts";
import type { ScheduleWorld } from "../world/world.ts";
import type { ExecContext, StepResult, UserState } from "./context.ts";
import { healArm, runArmFault, runOperatorFault } from "./fault_actions.ts";
import { Ledger } from "./ledger.ts";
import { runPortalChange } from "./portal_actions.ts";
import {
  createEntityObject,
  createServiceObject,
  runUserAction,
} from "./user_actions.ts";
import { documentKeyOf } from "../schedule/model.ts";
import { sleepUnless } from "../world/sleep.ts";

/** How long the heal waits for a fault's own undo (a restart, a Lease thief) to finish. */
const HEAL_BOUND_MS = 30_000;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Drives one schedule. */
export class Executor {
  readonly ledger = new Ledger();
  readonly #world: ScheduleWorld;
  readonly #healed = new AbortController();
  readonly #background = new Set<Promise<void>>();
  readonly #user: UserState = {
    images: new Map(),
    replicas: new Map(),
    pending: new Map(),
    slowImportsUntil: 0,
  };

  constructor(world: ScheduleWorld) {
    this.#world = world;
  }

  #context(step: number): ExecContext {
    return {
      world: this.#world,
      ledger: this.ledger,
      user: this.#user,
      healed: this.#healed.signal,
      step,
      background: (task) => {
        const tracked: Promise<void> = task.catch((error) =>
          this.ledger.record(
            step,
            "background task failed",
            "failed",
            errorText(error),
          )
        ).finally(() => this.#background.delete(tracked));
        this.#background.add(tracked);
      },
    };
  }

  /** The starting state: APIMService, products, tags, every owner ready on document d1, then the replicas. */
  async setup(): Promise<void> {
    const ctx = this.#context(-1);
    const { config } = this.#world;
    await createServiceObject(ctx);
    for (const id of config.products) {
      await createEntityObject(ctx, "product", id);
    }
    for (const id of config.tags) await createEntityObject(ctx, "tag", id);
    for (const app of config.apps) {
      this.#world.documents.serve(app.name, "d1");
      for (const owner of app.owners) {
        this.#user.images.set(owner, "d1-b1");
        this.#user.replicas.set(owner, 1);
        await this.#world.workloads.create(app.name, owner, "d1-b1");
      }
    }
    this.#world.fleet.startAll();
    this.ledger.record(
      -1,
      `setup: ${
        config.apps.map((a) => `${a.name}[${a.owners.join(",")}]`).join(" ")
      }, ${config.replicas} replica(s), products ${
        config.products.join(",")
      }, tags ${config.tags.join(",")}`,
    );
  }

  /** Runs step `index` and records how it went (a failing step is recorded, not thrown). */
  async run(index: number, action: Action): Promise<void> {
    const ctx = this.#context(index);
    this.ledger.counts[categorize(action).category]++;
    let result: StepResult;
    try {
      result = await this.#dispatch(ctx, action);
    } catch (error) {
      result = { outcome: "failed", note: errorText(error) };
    }
    this.ledger.record(
      index,
      describeAction(action),
      result.outcome,
      result.note,
    );
  }

  async #dispatch(ctx: ExecContext, action: Action): Promise<StepResult> {
    const step = categorize(action);
    switch (step.category) {
      case "operator":
        return await runOperatorFault(ctx, step.action);
      case "arm":
        return await runArmFault(ctx, step.action);
      case "portal":
        return await runPortalChange(ctx, step.action);
      case "user":
        return await runUserAction(ctx, step.action);
    }
  }

  /** Runs the whole schedule, pausing between steps as it says; stops between steps when `signal` aborts. */
  async runAll(schedule: Schedule, signal?: AbortSignal): Promise<void> {
    for (const [index, step] of schedule.steps.entries()) {
      await sleepUnless(step.pauseMs, signal);
      signal?.throwIfAborted();
      await this.run(index, step.action);
    }
  }

  /**
   * Ends every fault (ARM, proxy, Lease, frozen or stopped replicas), then finishes what the kubelet
   * would: Deployments scaled to zero come back, pending rollouts become ready (their document served).
   */
  async heal(): Promise<void> {
    const ctx = this.#context(-1);
    this.#healed.abort();
    healArm(ctx);
    this.#world.proxy.heal();
    const bound = new AbortController();
    const waited = await Promise.race([
      Promise.all([...this.#background]).then(() => true),
      sleepUnless(HEAL_BOUND_MS, bound.signal).then(() => false),
    ]);
    bound.abort();
    if (!waited) {
      this.ledger.record(-1, "heal: a fault did not end in time", "failed");
    }
    this.#world.fleet.heal();
    const healed: string[] = [];
    for (const app of this.#world.config.apps) {
      for (const owner of app.owners) {
        if ((this.#user.replicas.get(owner) ?? 1) === 0) {
          this.#user.replicas.set(owner, 1);
          await this.#world.workloads.scale(owner, 1);
          healed.push(`${owner} scaled up`);
        }
      }
    }
    for (const [owner, { app }] of [...this.#user.pending]) {
      this.#world.documents.serve(
        app,
        documentKeyOf(this.#user.images.get(owner) ?? "d1-b1"),
      );
      this.#user.pending.delete(owner);
      healed.push(`${owner} rollout ready`);
    }
    for (const app of this.#world.config.apps) {
      for (const owner of app.owners) {
        await this.#world.workloads.makeReady(app.name, owner);
      }
    }
    this.ledger.record(
      -1,
      `heal: faults ended, replicas running${
        healed.length ? `, ${healed.join(", ")}` : ""
      }`,
    );
  }
}
