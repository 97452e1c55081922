// End to end: fixed chaos schedules (faults, lease changes, watch loss, portal edits) must leave every invariant intact.
//
// Each seed is one step; a failure names the seed, the violated invariants with their diffs, the
// action trace, and the command that replays it (`deno task chaos --seed=N`). Seeds were chosen to
// cover lease theft and freezing, restarts, watch loss, throttling storms, lost answers, slow and
// late-failing imports, overlapping rollouts, canaries sharing the name label and portal edits.
import { formatResult } from "../../chaos/report.ts";
import { runSchedule } from "../../chaos/run_schedule.ts";
import { generateSchedule } from "../../chaos/schedule/generate.ts";
import { ChaosCluster } from "../../chaos/world/cluster.ts";

/**
 * The seeds CI runs, with 12 random steps each. 10020: a rollback while a NewRevision import ran
 * (status named the unreleased revision's document; failed in every replay before its fix).
 */
export const CI_SEEDS = [1, 3, 4, 5, 7, 8, 9, 10, 10020];
const ACTIONS = 12;
/** CHAOS_RESULTS=DIR keeps the complete operator logs of a failing schedule there. */
const RESULTS = Deno.env.get("CHAOS_RESULTS");

// The kube proxy's TCP relays end when their sockets close, which the op and resource sanitizers
// can observe a moment after the cluster's disposal returns; the invariants are what this test checks.
Deno.test({
  name: "chaos schedules keep every invariant",
  sanitizeOps: false,
  sanitizeResources: false,
}, async (t) => {
  await using cluster = await ChaosCluster.start({ shared: true });
  for (const seed of CI_SEEDS) {
    await t.step(`seed ${seed}`, async () => {
      const schedule = generateSchedule(seed, { actions: ACTIONS });
      const result = await runSchedule(cluster, schedule, {
        settleTimeoutMs: 60_000,
        fullLogs: RESULTS !== undefined,
      });
      if (result.violations.length > 0 || result.error !== undefined) {
        if (RESULTS && result.fullLogs) {
          await Deno.mkdir(RESULTS, { recursive: true });
          await Deno.writeTextFile(
            `${RESULTS}/seed-${seed}.operator.log`,
            result.fullLogs,
          );
        }
        throw new Error(
          `${formatResult(result, { actions: ACTIONS })}\noperator logs:\n${
            result.operatorLogs ?? ""
          }`,
        );
      }
    });
  }
});
