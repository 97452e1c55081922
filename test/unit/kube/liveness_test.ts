// Table tests of the liveness decision: which silences mean a wedged replica.
import assert from "node:assert/strict";
import {
  DEFAULT_LIVENESS_LIMITS,
  type LivenessFacts,
  livenessProblem,
} from "../../../src/kube/liveness.ts";

const NOW = 1_000_000_000;
const { electionStallMs, controllersStartMs, reconcileStuckMs } =
  DEFAULT_LIVENESS_LIMITS;

const rows: {
  what: string;
  facts: Partial<LivenessFacts>;
  problem?: RegExp;
}[] = [
  {
    what: "a leader running its controllers is alive",
    facts: { controllersDueSince: NOW - 60_000, controllersRunning: true },
  },
  {
    what: "a follower is alive while its election loop turns",
    facts: { electionHeartbeatAt: NOW - 2_000 },
  },
  {
    what: "an election loop that stopped turning is wedged",
    facts: { electionHeartbeatAt: NOW - electionStallMs - 1 },
    problem: /leader election made no attempt/,
  },
  {
    what: "a leader whose controllers stopped (queues shut down) is wedged",
    facts: {
      controllersDueSince: NOW - controllersStartMs - 1,
      controllersRunning: false,
    },
    problem: /without running controllers/,
  },
  {
    what: "a leader still starting its controllers is alive",
    facts: { controllersDueSince: NOW - 1_000, controllersRunning: false },
  },
  {
    what: "a reconcile that hangs is wedged",
    facts: {
      controllersDueSince: NOW - 3_600_000,
      controllersRunning: true,
      oldestReconcileStartedAt: NOW - reconcileStuckMs - 1,
    },
    problem: /a reconcile has been running/,
  },
];

for (const row of rows) {
  Deno.test(`livenessProblem(): ${row.what}`, () => {
    const problem = livenessProblem({
      now: NOW,
      controllersRunning: false,
      ...row.facts,
    });
    if (row.problem) assert.match(problem ?? "", row.problem);
    else assert.equal(problem, undefined);
  });
}
