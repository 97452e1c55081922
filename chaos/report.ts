// Turns schedule results into text: the seed, the action trace and each violated invariant with its diff; run totals.
import { addEffects, type FaultEffects, NO_EFFECTS } from "./check/effects.ts";
import type { ScheduleResult } from "./run_schedule.ts";
import { INVARIANTS, type Violation } from "./check/snapshot.ts";

/** Options that a replay must repeat besides the seed. */
export interface ReplayOptions {
  actions: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function show(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The command that runs the same schedule again. */
export function replayCommand(seed: number, options: ReplayOptions): string {
  return `deno task chaos --seed=${seed} --actions=${options.actions}`;
}

/** One violation, with its diff lines. */
export function formatViolation(v: Violation): string {
  const lines = [`  [${v.invariant}] ${v.subject}: ${v.message}`];
  for (const d of v.diffs ?? []) {
    lines.push(`      ${d.field}: want ${show(d.want)}, got ${show(d.got)}`);
  }
  return lines.join("\n");
}

/** Which invariants a result violated, in the issue's order. */
export function violatedInvariants(result: ScheduleResult): string[] {
  const names = new Set(result.violations.map((v) => v.invariant));
  return INVARIANTS.filter((n) => names.has(n));
}

/** One schedule: verdict line, and for a failure the trace and the violations. */
export function formatResult(
  result: ScheduleResult,
  options: ReplayOptions & { verbose?: boolean },
): string {
  const { seed } = result.schedule.config;
  const failed = result.violations.length > 0 || result.error !== undefined;
  const settled = result.settledMs === null
    ? "never settled"
    : `settled ${seconds(result.settledMs)} after the heal`;
  const head = `seed ${seed}: ${
    result.error
      ? "RUN ERROR"
      : failed
      ? `FAILED ${
        violatedInvariants(result).join(", ")
      } (${result.violations.length} violation(s))`
      : "ok"
  } in ${seconds(result.durationMs)}, ${settled}`;
  if (!failed && !options.verbose) return head;
  const lines = [head, `  replay: ${replayCommand(seed, options)}`, "  trace:"];
  for (const t of result.trace) {
    lines.push(
      `    [+${seconds(t.atMs)}] ${t.step >= 0 ? `#${t.step} ` : ""}${t.text}${
        t.outcome === "ok" ? "" : ` → ${t.outcome}`
      }${t.note ? ` (${t.note})` : ""}`,
    );
  }
  if (result.error) lines.push(`  error: ${result.error}`);
  if (result.violations.length > 0) {
    lines.push("  violations:");
    lines.push(...result.violations.map(formatViolation));
  }
  return lines.join("\n");
}

/** Totals of a run. */
export interface RunFigures {
  schedules: number;
  failedSchedules: number;
  userActions: number;
  faultsInjected: number;
  portalChanges: number;
  violations: number;
  byInvariant: Record<string, number>;
  failingSeeds: number[];
  effects: FaultEffects;
  wallMs: number;
}

/** Adds up a run's results. */
export function runFigures(
  results: readonly ScheduleResult[],
  wallMs: number,
): RunFigures {
  const byInvariant: Record<string, number> = {};
  for (const name of INVARIANTS) byInvariant[name] = 0;
  for (const r of results) {
    for (const v of r.violations) {
      byInvariant[v.invariant] = (byInvariant[v.invariant] ?? 0) + 1;
    }
  }
  const failing = results.filter((r) => r.violations.length > 0 || r.error);
  return {
    schedules: results.length,
    failedSchedules: failing.length,
    userActions: results.reduce((n, r) => n + r.counts.user, 0),
    faultsInjected: results.reduce(
      (n, r) => n + r.counts.operator + r.counts.arm,
      0,
    ),
    portalChanges: results.reduce((n, r) => n + r.counts.portal, 0),
    violations: results.reduce((n, r) => n + r.violations.length, 0),
    byInvariant,
    failingSeeds: failing.map((r) => r.schedule.config.seed),
    effects: results.reduce(
      (sum, r) => r.effects ? addEffects(sum, r.effects) : sum,
      NO_EFFECTS,
    ),
    wallMs,
  };
}

/** The closing summary of a run. */
export function formatFigures(f: RunFigures): string {
  return [
    `schedules: ${f.schedules} (${f.failedSchedules} with violations)`,
    `actions: ${f.userActions} user actions, ${f.faultsInjected} faults injected, ${f.portalChanges} portal changes`,
    `effects: ${f.effects.armRequests} ARM requests (${f.effects.throttled} throttled, ${f.effects.injected} injected errors, ${f.effects.lostAnswers} answers lost), ${f.effects.imports} imports (${f.effects.failedImports} failed late), ${f.effects.watchesExpired} watches ended with 410, ${f.effects.apiServerCuts} API-server cuts, ${f.effects.operatorRestarts} operator restarts`,
    `violations: ${f.violations} (${
      Object.entries(f.byInvariant).map(([k, n]) => `${k} ${n}`).join(", ")
    })`,
    `failing seeds: ${
      f.failingSeeds.length ? f.failingSeeds.join(", ") : "none"
    }`,
    `wall time: ${seconds(f.wallMs)}`,
  ].join("\n");
}
