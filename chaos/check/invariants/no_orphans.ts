// Invariant 3, no orphans: every API, revision, link, product and tag in API Management is claimed by a live
// object, or kept by an explicit rule (deletionPolicy Retain, deleted or edited while its APIMService is gone).
import type { Deletion } from "../../execute/ledger.ts";
import type { Assessment } from "../desired.ts";
import type {
  ApiObject,
  EntityObject,
  Snapshot,
  Violation,
} from "../snapshot.ts";

function key(id: string): string {
  return id.toLowerCase();
}

function serviceAbsentDuring(s: Snapshot, from: number, to: number): boolean {
  return s.serviceAbsent.some((gap) =>
    gap.from <= to && (gap.to === null || gap.to >= from)
  );
}

/** Whether a deletion may leave its object in API Management. */
function keptByRule(s: Snapshot, deletion: Deletion): boolean {
  return deletion.retain === true ||
    serviceAbsentDuring(s, deletion.at, s.takenAt);
}

function claimants(s: Snapshot, apiName: string): ApiObject[] {
  return s.kube.apis.filter((o) => key(o.spec.apiId) === key(apiName));
}

function entityOrphans(
  s: Snapshot,
  ids: readonly string[],
  objects: readonly EntityObject[],
  kind: "APIMProduct" | "APIMTag",
): Violation[] {
  return ids.flatMap((id) => {
    if (objects.some((o) => key(o.id) === key(id))) return [];
    const kept = s.deletions.some((d) =>
      d.kind === kind && key(d.name) === key(id) && keptByRule(s, d)
    );
    return kept ? [] : [{
      invariant: "no-orphans" as const,
      subject: `${kind.slice(4).toLowerCase()} ${id}`,
      message: `is in API Management but no ${kind} claims it`,
    }];
  });
}

/** Invariant 3. */
export function checkNoOrphans(
  s: Snapshot,
  assessments: readonly Assessment[],
): Violation[] {
  const out: Violation[] = [];
  for (const api of s.apim.apis) {
    const owners = claimants(s, api.name);
    if (owners.length === 0) {
      const kept = s.deletions.some((d) =>
        d.kind === "APIMAPI" && d.apiId !== undefined &&
        key(d.apiId) === key(api.name) && keptByRule(s, d)
      );
      if (!kept) {
        const current = api.revisions.find((r) => r.isCurrent);
        out.push({
          invariant: "no-orphans",
          subject: `API ${api.name}`,
          message:
            `is in API Management but no APIMAPI claims it and no Retain rule keeps it (description: ${
              JSON.stringify(current?.description ?? null)
            })`,
        });
      }
      continue;
    }
    const [owner] = owners;
    // Without its APIMService the operator cannot reach the API: links and revisions wait for it.
    if (!owner || serviceAbsentDuring(s, s.takenAt, s.takenAt)) continue;
    const assessed = assessments.filter((a) => a.object.name === owner.name);
    // Inputs that stop the whole registration leave the links as they were (seed 116 of a long run).
    if (assessed.some((a) => a.halted)) continue;
    const wanted = (ids: string[]) => new Set(ids.map(key));
    const products = wanted(owners.flatMap((o) => o.spec.productIds));
    const tags = wanted(owners.flatMap((o) => o.spec.tagIds));
    for (const id of api.productIds.filter((p) => !products.has(key(p)))) {
      out.push({
        invariant: "no-orphans",
        subject: `API ${api.name}`,
        message: `is linked to product "${id}", which no APIMAPI of it lists`,
      });
    }
    for (const id of api.tagIds.filter((t) => !tags.has(key(t)))) {
      out.push({
        invariant: "no-orphans",
        subject: `API ${api.name}`,
        message: `carries tag "${id}", which no APIMAPI of it lists`,
      });
    }
    // Old revisions are pruned when a rollout registers; inputs that stop it keep them meanwhile.
    const blocked = assessed.some((a) => a.blockers.length > 0);
    if (
      owner.spec.revisionMode === "NewRevision" && !blocked &&
      api.revisions.length > owner.spec.keep
    ) {
      out.push({
        invariant: "no-orphans",
        subject: `API ${api.name}`,
        message: `keeps ${api.revisions.length} revisions (${
          api.revisions.map((r) => r.revision).join(", ")
        }); APIMAPI ${owner.name} keeps ${owner.spec.keep}`,
      });
    }
  }
  out.push(
    ...entityOrphans(
      s,
      s.apim.products.map((p) => p.id),
      s.kube.products,
      "APIMProduct",
    ),
    ...entityOrphans(s, s.apim.tags.map((t) => t.id), s.kube.tags, "APIMTag"),
  );
  return out;
}
