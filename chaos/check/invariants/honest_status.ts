// Invariant 4, honest status: Ready=True only where API Management holds the desired state; otherwise a reason at the current generation.
import {
  type Assessment,
  compareApi,
  compareStatus,
  condition,
} from "../desired.ts";
import type { Snapshot, Violation } from "../snapshot.ts";

/** Invariant 4 over the assessed APIMAPIs. */
export function checkHonestStatus(
  s: Snapshot,
  assessments: readonly Assessment[],
): Violation[] {
  const out: Violation[] = [];
  for (const assessment of assessments) {
    const { object, expected } = assessment;
    const subject = `APIMAPI ${object.name}`;
    const ready = condition(object.conditions, "Ready");
    if (!ready) {
      out.push({
        invariant: "honest-status",
        subject,
        message: "has no Ready condition",
      });
      continue;
    }
    if (ready.status === "True") {
      const diffs = [
        ...compareApi(s.apim, expected),
        ...compareStatus(s.apim, assessment),
      ];
      if (diffs.length > 0) {
        out.push({
          invariant: "honest-status",
          subject,
          message:
            `Ready=True (${ready.reason}) but API Management does not hold the desired state${
              assessment.blockers.length
                ? ` (inputs: ${assessment.blockers.join("; ")})`
                : ""
            }`,
          diffs,
        });
      }
      continue;
    }
    if (ready.reason.trim() === "" || ready.message.trim() === "") {
      out.push({
        invariant: "honest-status",
        subject,
        message:
          `Ready=${ready.status} without a reason and message naming the cause`,
      });
    }
    if (ready.observedGeneration !== object.generation) {
      out.push({
        invariant: "honest-status",
        subject,
        message:
          `Ready=${ready.status} ${ready.reason} describes generation ${ready.observedGeneration}, the object is at ${object.generation}`,
      });
    }
  }
  return out;
}
