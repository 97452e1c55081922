// Throughput: N APIMAPIs created at once against realistic ARM (150 ms/call, 3 s imports, ARM's write budget).
import {
  dropFleet,
  fleetApps,
  type FleetRun,
  registerFleet,
  rememberFleet,
} from "../lib/fleet.ts";
import { note } from "../lib/log.ts";
import { infoRow, type ResultRow, targetRow } from "../lib/report.ts";
import type { ScenarioContext, ScenarioOutput } from "../lib/scenario.ts";
import { REALISTIC_KNOBS } from "../lib/simulators.ts";

/** ARM's 2024 token buckets per subscription and principal (the simulator's defaults, made explicit). */
const REALISTIC_THROTTLE = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
};

/** Ready after this many seconds at the latest, for the first API of a burst. */
const FIRST_READY_SECONDS = 10;
/** The median API is Ready within this share of the whole burst (arrival order, not lockstep). */
const MEDIAN_SHARE = 0.6;
/** The whole burst ends within this much of the floor the write budget sets. */
const FLOOR_MARGIN = 0.05;

function rows(label: string, run: FleetRun): ResultRow[] {
  const writes = run.arm.writes - run.arm.throttled;
  const first = run.readySeconds[0];
  const median = run.readySeconds[Math.floor(run.readySeconds.length / 2)];
  const allowed = Math.max(
    90,
    run.writeBudgetFloorSeconds * (1 + FLOOR_MARGIN),
  );
  return [
    targetRow(
      `${run.count} APIMAPIs created at once → all Ready (${label}; ${writes} ARM writes; floor ${run.writeBudgetFloorSeconds} s)`,
      run.allReadySeconds,
      "s",
      `< ${Math.round(allowed)} s (90 s, or the floor + 5 %)`,
      (v) => v < allowed,
    ),
    targetRow(
      `429s answered to the operator (${label}; --workers=16, reads and writes paced by the budgets ARM reports)`,
      run.arm.throttled,
      "",
      "0",
      (v) => v === 0,
    ),
    targetRow(
      `most concurrent ARM writes (${label})`,
      run.maxConcurrentWrites,
      "",
      "≤ 4 (--max-concurrent-writes)",
      (v) => v <= 4,
    ),
    targetRow(
      `first APIMAPI Ready after (${label})`,
      first ?? Infinity,
      "s",
      `≤ ${FIRST_READY_SECONDS} s`,
      (v) => v <= FIRST_READY_SECONDS,
    ),
    targetRow(
      `median APIMAPI Ready after, share of the whole burst (${label}; median ${
        median ?? "?"
      } s of ${run.allReadySeconds} s)`,
      median === undefined
        ? Infinity
        : Math.round((median / run.allReadySeconds) * 100) / 100,
      "×",
      `≤ ${MEDIAN_SHARE}`,
      (v) => v <= MEDIAN_SHARE,
    ),
    infoRow(
      `operator CPU per registration (${label})`,
      Math.round((run.operatorCpuSeconds / run.count) * 1000),
      "ms",
    ),
  ];
}

/** Registers a fleet without links, drops it, then one with a product and a tag per API (kept). */
export async function throughputScenario(
  ctx: ScenarioContext,
  out: ScenarioOutput,
): Promise<void> {
  const count = ctx.quick ? 50 : 500;
  const knobs = { ...REALISTIC_KNOBS, throttle: REALISTIC_THROTTLE };
  const timeoutMs = ctx.quick ? 300_000 : 600_000;
  out.data["method"] =
    "Workloads (ReplicaSets with ready status) exist first; the operator is ready and its APIMService " +
    "Ready; then the harness creates the APIMAPIs with 50 requests in flight and watches until every " +
    "one reports Ready=True. Simulator: 150 ms per ARM call, imports finish 3 s after they start " +
    "(Retry-After 1 s), token buckets per ARM's 2024 limits (writes 200 + 10/s, reads 250 + 25/s). " +
    "Operator flags at their defaults (--workers=16, --max-concurrent-writes=4).";
  out.data["simulator"] = knobs;

  note(`throughput: ${count} APIMAPIs without products or tags`);
  const plain = await registerFleet(ctx, {
    namespace: "bench-fleet-nolinks",
    operatorNamespace: "bench-fleet-nolinks-op",
    count,
    knobs,
    products: [],
    tags: [],
    timeoutMs,
  });
  out.data["noLinks"] = plain;
  out.rows.push(...rows("no products/tags", plain));
  await dropFleet(
    ctx,
    plain.namespace,
    fleetApps(plain.namespace, count).map((a) => a.name),
  );

  note(`throughput: ${count} APIMAPIs with one product and one tag each`);
  const linked = await registerFleet(ctx, {
    namespace: "bench-fleet",
    operatorNamespace: "bench-fleet-op",
    count,
    knobs,
    products: ["starter"],
    tags: ["backend"],
    timeoutMs,
    ...(ctx.profile ? { profileName: "throughput-links" } : {}),
    keepServers: true,
  });
  out.data["links"] = linked;
  out.rows.push(...rows("1 product + 1 tag", linked));
  if (linked.notReady.length === 0) rememberFleet(ctx, linked);
}
