// Invariant 6, nothing lost: no replica crashed or lost a component, and every APIMAPI that is not Ready has an Event saying why.
import { type Assessment, condition } from "../desired.ts";
import type { Snapshot, Violation } from "../snapshot.ts";

/** Invariant 6. */
export function checkNothingLost(
  s: Snapshot,
  assessments: readonly Assessment[],
): Violation[] {
  const out: Violation[] = s.incidents.map((incident) => ({
    invariant: "nothing-lost" as const,
    subject: `operator replica ${incident.replica}`,
    message: `${incident.kind}: ${incident.detail}`,
  }));
  for (const { object } of assessments) {
    const ready = condition(object.conditions, "Ready");
    if (!ready || ready.status === "True" || ready.reason === "") continue;
    const announced = s.kube.events.some((e) =>
      e.kind === "APIMAPI" && e.name === object.name &&
      e.reason === ready.reason
    );
    if (!announced) {
      out.push({
        invariant: "nothing-lost",
        subject: `APIMAPI ${object.name}`,
        message:
          `Ready=${ready.status} ${ready.reason} has no Event with that reason`,
      });
    }
  }
  return out;
}
