// One schedule end to end: build its world, run the steps, heal, wait (bounded) for quiescence, check every invariant.
import { checkAll, checkState } from "./check/check_all.ts";
import { collectSnapshot } from "./check/collect.ts";
import { effectsOf, type FaultEffects } from "./check/effects.ts";
import type { Snapshot, Violation } from "./check/snapshot.ts";
import { Executor } from "./execute/executor.ts";
import type { Ledger, TraceEntry } from "./execute/ledger.ts";
import type { Schedule } from "./schedule/actions.ts";
import type { ChaosCluster } from "./world/cluster.ts";
import { sleepUnless } from "./world/sleep.ts";
import { ScheduleWorld } from "./world/world.ts";

/** Options of {@linkcode runSchedule}. */
export interface RunScheduleOptions {
  /** Bound of the wait for quiescence (default 90 s). */
  settleTimeoutMs?: number;
  /** The state must hold this long to count as settled (default 3 s). */
  stableMs?: number;
  note?: (message: string) => void;
  /** Stops the schedule between steps (and the wait for quiescence). */
  signal?: AbortSignal;
  /** Keep every operator log line of a failing schedule. */
  fullLogs?: boolean;
}

/** What one schedule did and found. */
export interface ScheduleResult {
  schedule: Schedule;
  trace: TraceEntry[];
  violations: Violation[];
  counts: Ledger["counts"];
  /** What the faults did (absent when the run itself broke). */
  effects?: FaultEffects;
  /** Wall time of the whole schedule, setup to verdict. */
  durationMs: number;
  /** Time from the heal to a stable state, or null when the bound passed first. */
  settledMs: number | null;
  /** Operator log tails, kept when something was violated. */
  operatorLogs?: string;
  /** Every operator log line, kept when something was violated and {@linkcode RunScheduleOptions.fullLogs} is set. */
  fullLogs?: string;
  /** The run itself broke (not the operator). */
  error?: string;
}

async function settle(
  world: ScheduleWorld,
  ledger: Ledger,
  options: RunScheduleOptions,
): Promise<{ snapshot: Snapshot; settledMs: number | null }> {
  const timeoutMs = options.settleTimeoutMs ?? 90_000;
  const stableMs = options.stableMs ?? 3_000;
  const started = Date.now();
  let stableSince: number | null = null;
  for (;;) {
    options.signal?.throwIfAborted();
    const snapshot = await collectSnapshot(world, ledger);
    const clean = checkState(snapshot).length === 0;
    const now = Date.now();
    stableSince = clean ? stableSince ?? now : null;
    if (stableSince !== null && now - stableSince >= stableMs) {
      return { snapshot, settledMs: stableSince - started };
    }
    if (now - started >= timeoutMs) return { snapshot, settledMs: null };
    await sleepUnless(1000, options.signal);
  }
}

/** Runs `schedule` on `cluster` and checks the invariants. */
export async function runSchedule(
  cluster: ChaosCluster,
  schedule: Schedule,
  options: RunScheduleOptions = {},
): Promise<ScheduleResult> {
  const started = Date.now();
  const note = options.note ?? (() => {});
  const base = { schedule, durationMs: 0, settledMs: null };
  let executor: Executor | undefined;
  try {
    await using world = await ScheduleWorld.create(cluster, schedule.config);
    executor = new Executor(world);
    await executor.setup();
    note(`seed ${schedule.config.seed}: ${schedule.steps.length} steps`);
    await executor.runAll(schedule, options.signal);
    await executor.heal();
    const { snapshot, settledMs } = await settle(
      world,
      executor.ledger,
      options,
    );
    const violations = checkAll(snapshot);
    return {
      ...base,
      trace: executor.ledger.trace,
      violations,
      counts: executor.ledger.counts,
      effects: effectsOf(snapshot, world.proxy.stats, world.fleet.restarts),
      durationMs: Date.now() - started,
      settledMs,
      ...(violations.length > 0
        ? {
          operatorLogs: world.fleet.tails(40),
          ...(options.fullLogs ? { fullLogs: world.fleet.fullLogs() } : {}),
        }
        : {}),
    };
  } catch (error) {
    return {
      ...base,
      trace: executor?.ledger.trace ?? [],
      violations: [],
      counts: executor?.ledger.counts ??
        { user: 0, operator: 0, arm: 0, portal: 0 },
      durationMs: Date.now() - started,
      error: error instanceof Error
        ? (error.stack ?? error.message)
        : String(error),
    };
  }
}
