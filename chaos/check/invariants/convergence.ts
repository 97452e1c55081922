// Invariant 1, convergence: every APIMAPI with valid inputs is exactly in API Management and Ready at its generation;
// products and tags are there; deletions the user asked for finished; no operation is left running.
import {
  type Assessment,
  compareApi,
  compareStatus,
  condition,
} from "../desired.ts";
import type {
  ConditionView,
  Diff,
  EntityObject,
  EntityView,
  Snapshot,
  Violation,
} from "../snapshot.ts";

function readyDiffs(
  conditions: readonly ConditionView[],
  generation: number,
): Diff[] {
  const ready = condition(conditions, "Ready");
  if (ready?.status !== "True") {
    return [{
      field: "Ready",
      want: "True",
      got: ready ? `${ready.status} ${ready.reason}: ${ready.message}` : "none",
    }];
  }
  return ready.observedGeneration === generation ? [] : [{
    field: "Ready.observedGeneration",
    want: generation,
    got: ready.observedGeneration,
  }];
}

function entityViolations(
  objects: readonly EntityObject[],
  views: readonly EntityView[],
  s: Snapshot,
): Violation[] {
  if (!s.kube.serviceExists) return [];
  return objects.filter((o) => !o.deleting).flatMap((object) => {
    const view = views.find((v) =>
      v.id.toLowerCase() === object.id.toLowerCase()
    );
    const diffs: Diff[] = view
      ? view.displayName === object.displayName ? [] : [{
        field: "displayName",
        want: object.displayName,
        got: view.displayName,
      }]
      : [{
        field: object.kind.slice(4).toLowerCase(),
        want: object.id,
        got: "absent",
      }];
    diffs.push(...readyDiffs(object.conditions, object.generation));
    return diffs.length === 0 ? [] : [{
      invariant: "convergence" as const,
      subject: `${object.kind} ${object.name}`,
      message: "API Management does not hold what the object asks for",
      diffs,
    }];
  });
}

/** Invariant 1 over the assessed APIMAPIs. */
export function checkConvergence(
  s: Snapshot,
  assessments: readonly Assessment[],
): Violation[] {
  const out: Violation[] = [];
  for (const assessment of assessments) {
    if (assessment.blockers.length > 0) continue;
    const { object, expected } = assessment;
    const diffs = [
      ...compareApi(s.apim, expected),
      ...readyDiffs(object.conditions, object.generation),
      ...compareStatus(s.apim, assessment),
    ];
    if (diffs.length > 0) {
      out.push({
        invariant: "convergence",
        subject: `APIMAPI ${object.name}`,
        message:
          `inputs are valid and the workload is ready, but API Management does not hold the desired state of API "${expected.apiId}"`,
        diffs,
      });
    }
  }
  out.push(...entityViolations(s.kube.products, s.apim.products, s));
  out.push(...entityViolations(s.kube.tags, s.apim.tags, s));
  const remaining = new Set(s.kube.uids);
  for (const deletion of s.deletions) {
    if (remaining.has(deletion.uid)) {
      out.push({
        invariant: "convergence",
        subject: `${deletion.kind} ${deletion.name}`,
        message: `deleted ${
          Math.round((s.takenAt - deletion.at) / 1000)
        }s ago and still there (a finalizer never let go)`,
      });
    }
  }
  for (const op of s.operations.filter((o) => o.succeeded === null)) {
    out.push({
      invariant: "convergence",
      subject: `API ${op.apiRoot}`,
      message:
        `its ${op.kind} operation ${op.id} is still running after quiescence`,
    });
  }
  return out;
}
