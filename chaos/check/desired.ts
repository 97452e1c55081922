// What API Management should hold for each live APIMAPI, why it cannot (bad inputs), and how it differs (pure).
import type {
  ApimApiView,
  ApimView,
  ApiObject,
  ConditionView,
  Diff,
  Snapshot,
} from "./snapshot.ts";

/** The API an APIMAPI asks for, with the document its app serves now. */
export interface ExpectedApi {
  apiId: string;
  path: string;
  serviceUrl: string;
  subscriptionRequired: boolean;
  operations: string[];
  digest: string;
  productIds: string[];
  tagIds: string[];
}

/** A live APIMAPI, what it asks for, and the inputs that keep it from converging. */
export interface Assessment {
  object: ApiObject;
  expected: ExpectedApi;
  /** Empty when its inputs are valid: then API Management must hold `expected`. */
  blockers: string[];
  /**
   * A blocker stops the whole registration (no document or an invalid one, a rival claim): nothing
   * of a newer spec or rollout reaches API Management, links included. A missing product or tag
   * stops only its own link.
   */
  halted: boolean;
}

/** `routePrefix` as APIM stores the path: no leading or trailing slash. */
export function apimPath(routePrefix: string): string {
  return routePrefix.replace(/^\/+/, "").replace(/\/+$/, "");
}

function lower(ids: readonly string[]): string[] {
  return ids.map((id) => id.toLowerCase()).sort();
}

/** The API in API Management with this id (ids compare without case), if any. */
export function findApi(
  apim: ApimView,
  apiId: string,
): ApimApiView | undefined {
  return apim.apis.find((a) => a.name.toLowerCase() === apiId.toLowerCase());
}

/** The condition of `type`, if any. */
export function condition(
  conditions: readonly ConditionView[],
  type: string,
): ConditionView | undefined {
  return conditions.find((c) => c.type === type);
}

function blockersOf(
  s: Snapshot,
  object: ApiObject,
): { blockers: string[]; halted: boolean } {
  const blockers: string[] = [];
  if (!s.kube.serviceExists) blockers.push("its APIMService does not exist");
  const liveIds = (objects: { id: string; deleting: boolean }[]) =>
    new Set(objects.filter((o) => !o.deleting).map((o) => o.id.toLowerCase()));
  const products = liveIds(s.kube.products);
  const tags = liveIds(s.kube.tags);
  for (const id of object.spec.productIds) {
    if (!products.has(id.toLowerCase())) {
      blockers.push(`product "${id}" has no APIMProduct`);
    }
  }
  for (const id of object.spec.tagIds) {
    if (!tags.has(id.toLowerCase())) {
      blockers.push(`tag "${id}" has no APIMTag`);
    }
  }
  const document = s.documents.find((d) => d.app === object.name);
  if (!document) blockers.push("its app serves no document");
  else if (!document.valid) {
    blockers.push(`its app serves an invalid document (${document.key})`);
  }
  const rivals = s.kube.apis.filter((o) =>
    o.uid !== object.uid && !o.deleting &&
    (o.spec.apiId.toLowerCase() === object.spec.apiId.toLowerCase() ||
      apimPath(o.spec.routePrefix) === apimPath(object.spec.routePrefix))
  );
  for (const rival of rivals) {
    blockers.push(`APIMAPI ${rival.name} claims the same APIID or path`);
  }
  const halted = !document?.valid || rivals.length > 0;
  return { blockers, halted };
}

/** Every live (not deleting) APIMAPI with what it asks for and what blocks it. */
export function assessApis(s: Snapshot): Assessment[] {
  return s.kube.apis.filter((o) => !o.deleting).map((object) => {
    const document = s.documents.find((d) => d.app === object.name);
    return {
      object,
      expected: {
        apiId: object.spec.apiId,
        path: apimPath(object.spec.routePrefix),
        serviceUrl: object.spec.serviceUrl,
        subscriptionRequired: object.spec.subscriptionRequired,
        operations: document?.operations ?? [],
        digest: document?.digest ?? "",
        productIds: lower(object.spec.productIds),
        tagIds: lower(object.spec.tagIds),
      },
      ...blockersOf(s, object),
    };
  });
}

/** How API Management differs from `expected` (empty when it holds exactly that). */
export function compareApi(apim: ApimView, expected: ExpectedApi): Diff[] {
  const api = findApi(apim, expected.apiId);
  if (!api) return [{ field: "api", want: expected.apiId, got: "absent" }];
  const current = api.revisions.find((r) => r.isCurrent);
  if (!current) {
    return [{ field: "currentRevision", want: "one", got: "none" }];
  }
  const diffs: Diff[] = [];
  const compare = (field: string, want: unknown, got: unknown) => {
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      diffs.push({ field, want, got });
    }
  };
  compare("serviceUrl", expected.serviceUrl, current.serviceUrl);
  compare("path", expected.path, current.path);
  compare(
    "subscriptionRequired",
    expected.subscriptionRequired,
    current.subscriptionRequired,
  );
  compare("operations (document)", expected.operations, current.operations);
  compare("products", expected.productIds, lower(api.productIds));
  compare("tags", expected.tagIds, lower(api.tagIds));
  return diffs;
}

/** Differences between the APIMAPI's status and API Management (digest and current revision). */
export function compareStatus(
  apim: ApimView,
  assessment: Assessment,
): Diff[] {
  const { object, expected } = assessment;
  const diffs: Diff[] = [];
  if (
    object.documentDigest !== null && object.documentDigest !== expected.digest
  ) {
    diffs.push({
      field: "status.documentDigest",
      want: expected.digest,
      got: object.documentDigest,
    });
  }
  const api = findApi(apim, expected.apiId);
  if (
    api && object.currentRevision !== null &&
    object.currentRevision !== api.currentRevision
  ) {
    diffs.push({
      field: "status.currentRevision",
      want: api.currentRevision,
      got: object.currentRevision,
    });
  }
  return diffs;
}
