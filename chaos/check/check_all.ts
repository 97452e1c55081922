// Runs every invariant over a snapshot; the state invariants alone decide when a schedule has settled.
import { assessApis } from "./desired.ts";
import { checkConvergence } from "./invariants/convergence.ts";
import { checkGoodCitizen } from "./invariants/good_citizen.ts";
import { checkHonestStatus } from "./invariants/honest_status.ts";
import { checkNoOrphans } from "./invariants/no_orphans.ts";
import { checkNoOverlap } from "./invariants/no_overlap.ts";
import { checkNothingLost } from "./invariants/nothing_lost.ts";
import { INVARIANTS, type Snapshot, type Violation } from "./snapshot.ts";

/** The invariants about the end state (1, 3, 4, 6): quiescence waits until these hold. */
export function checkState(s: Snapshot): Violation[] {
  const assessments = assessApis(s);
  return [
    ...checkConvergence(s, assessments),
    ...checkNoOrphans(s, assessments),
    ...checkHonestStatus(s, assessments),
    ...checkNothingLost(s, assessments),
  ];
}

/** Every invariant: the end state plus the history (2 and 5), in the order of the issue. */
export function checkAll(s: Snapshot): Violation[] {
  return [...checkState(s), ...checkNoOverlap(s), ...checkGoodCitizen(s)]
    .sort((a, b) =>
      INVARIANTS.indexOf(a.invariant) - INVARIANTS.indexOf(b.invariant)
    );
}
