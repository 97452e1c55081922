// A registration's closing writes: release a new revision, product and tag links, and pruning old revisions.
import {
  createOrUpdateApiRelease,
  deleteApi,
  getApi,
  listApiRevisions,
} from "../azure/apim_apis.ts";
import { type ApiRef, apiResourceId } from "../azure/apim_paths.ts";
import {
  addApiToProduct,
  listApiProducts,
  removeApiFromProduct,
} from "../azure/apim_products.ts";
import type { ApiRevision } from "../azure/apim_schemas.ts";
import {
  assignTagToApi,
  listApiTags,
  removeTagFromApi,
} from "../azure/apim_tags.ts";
import type { ArmClient } from "../azure/arm_client.ts";
import { ArmError } from "../azure/arm_error.ts";
import { API_LOCKED } from "../azure/classify_arm_error.ts";
import type { PendingOperation } from "../azure/operation.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type { ApimApiDeploymentSpec } from "../crd/apim_api_deployment.ts";
import type { Logger } from "../log.ts";
import { planLinks } from "../reconcile/plan_import.ts";
import {
  releaseId,
  releaseNotes,
  revisionApiId,
  type RevisionFacts,
  revisionsToPrune,
} from "../reconcile/plan_revisions.ts";
import { ReportedFailure } from "./failure.ts";

/** What the closing writes need. */
export interface ClosingContext {
  arm: ArmClient;
  api: ApimApi;
  ref: ApiRef;
  logger: Logger;
}

/** A revision as the revision decisions read it. */
export function revisionFacts(revision: ApiRevision): RevisionFacts {
  return {
    apiRevision: revision.apiRevision,
    isCurrent: revision.isCurrent === true,
  };
}

/** The product and tag ids linked after {@linkcode linkAll}. */
export interface Links {
  products: string[];
  tags: string[];
}

/** Makes `revision` current with a release naming the rollout. */
export async function releaseRevision(
  c: ClosingContext,
  revision: string,
  rollout: ApimApiDeploymentSpec["replicaSet"],
): Promise<void> {
  await createOrUpdateApiRelease(c.arm, {
    api: c.ref,
    releaseId: releaseId(revision),
    properties: {
      apiId: apiResourceId({
        ...c.ref,
        apiId: revisionApiId(c.ref.apiId, revision),
      }),
      notes: releaseNotes({
        ...(rollout?.name === undefined ? {} : { replicaSet: rollout.name }),
        ...(rollout?.owner === undefined ? {} : { owner: rollout.owner }),
        images: rollout?.images ?? [],
      }),
    },
  });
  c.logger.info("🚀 Released API revision", { revision });
}

/** What pruning left running: a revision delete API Management works on (it locks the API meanwhile). */
export type PruneResult =
  | { state: "done" }
  | { state: "running"; operation: PendingOperation; retryAfterMs: number };

/**
 * Deletes the revisions beyond the number to keep, oldest first, until one delete runs on in API
 * Management (2024-05-01): that one is returned, to be recorded and polled before the next.
 */
export async function pruneRevisions(c: ClosingContext): Promise<PruneResult> {
  const revisions = await listApiRevisions(c.arm, c.ref);
  const prune = revisionsToPrune(
    revisions.map(revisionFacts),
    c.api.spec.revisions.keep,
  );
  for (const old of prune) {
    c.logger.info("🧹 Deleting old API revision", { revision: old });
    const start = await deleteApi(c.arm, {
      api: { ...c.ref, apiId: revisionApiId(c.ref.apiId, old) },
      ifMatch: "*",
    });
    if (start.state === "pending") {
      return {
        state: "running",
        operation: { ...start.operation, kind: "delete" },
        retryAfterMs: start.retryAfterMs,
      };
    }
  }
  return { state: "done" };
}

/** The reason of a pass whose API was removed after its import, before it was linked: import again. */
export const API_REMOVED = "APIRemoved";

/**
 * A 404 under the API names the API itself when it was removed meanwhile (in the portal): real APIM
 * says "Api not found." (net-ApiTests-CreateListUpdateDelete.json). Which one is read, not guessed.
 */
async function removedMeanwhile(
  c: ClosingContext,
  error: unknown,
): Promise<ReportedFailure | undefined> {
  if (!(error instanceof ArmError && error.status === 404)) return undefined;
  if (await getApi(c.arm, c.ref)) return undefined;
  return new ReportedFailure({
    decision: { kind: "backoff" },
    reason: API_REMOVED,
    message:
      `API "${c.ref.apiId}" was removed from API Management before its products and tags were linked; it is imported again`,
  });
}

/** Makes a link; a product or tag that does not exist (yet: its own CR may create it) is returned, not thrown. */
async function linkOrExplain(
  c: ClosingContext,
  kind: "Product" | "Tag",
  id: string,
  link: () => Promise<unknown>,
): Promise<ReportedFailure | undefined> {
  try {
    await link();
    return undefined;
  } catch (error) {
    const removed = await removedMeanwhile(c, error);
    if (removed) throw removed;
    if (error instanceof ArmError && error.status === 404) {
      return new ReportedFailure({
        decision: { kind: "backoff" },
        reason: `${kind}NotFound`,
        message:
          `${kind} "${id}" does not exist in API Management instance "${c.api.spec.apimService}": create it (e.g. with an APIM${kind} resource) or remove it from ${
            kind === "Product" ? "productIds" : "tagIds"
          }`,
      });
    }
    throw error;
  }
}

/** Whether every id of `recorded` is in `wanted` (ids compare case-insensitively, as in APIM). */
function allWanted(
  recorded: readonly string[],
  wanted: readonly string[],
): boolean {
  const want = new Set(wanted.map((id) => id.toLowerCase()));
  return recorded.every((id) => want.has(id.toLowerCase()));
}

/**
 * Links the API to exactly the products and tags of its spec, as far as they exist: removes the
 * links it made earlier that left the lists (links made by others are left alone), records the
 * links it is about to make (`record`: a later removal knows them as its own, even if this pass
 * dies half-way), then makes them. A product or tag that does not exist fails the pass after
 * every other link is made. A new API has no links, so nothing is listed for it, unless an
 * earlier pass for the same import recorded links (and did not just stop at APIM's lock).
 */
export async function linkAll(
  c: ClosingContext,
  created: boolean,
  record: (adding: Links) => Promise<void>,
): Promise<Links> {
  const { arm, api, ref } = c;
  const { service, apiId } = ref;
  const recordedProducts = api.status?.linkedProducts ?? [];
  const recordedTags = api.status?.linkedTags ?? [];
  // A new API has no links but those an earlier pass for it made (it recorded them first). One
  // that stopped at APIM's lock (which outlasts an import a moment, apiops-cli#252) made hardly
  // any: while each recorded link is still wanted, they are all made again (a link PUT creates or
  // updates, 201 or 200 in the REST spec's examples) instead of listed.
  const unlinked = created && (
    (recordedProducts.length === 0 && recordedTags.length === 0) ||
    (api.status?.lastError?.code === API_LOCKED &&
      allWanted(recordedProducts, api.spec.productIds) &&
      allWanted(recordedTags, api.spec.tagIds))
  );
  const [productsNow, tagsNow] = unlinked ? [[], []] : await Promise.all([
    listApiProducts(arm, ref).then((list) => list.map((p) => p.name)),
    listApiTags(arm, ref).then((list) => list.map((t) => t.name)),
  ]).catch(async (error: unknown) => {
    throw (await removedMeanwhile(c, error)) ?? error;
  });
  const products = planLinks(
    api.spec.productIds,
    productsNow,
    recordedProducts,
  );
  const tags = planLinks(api.spec.tagIds, tagsNow, recordedTags);
  for (const productId of products.remove) {
    c.logger.info("📦 Removing API from product", { productId });
    await removeApiFromProduct(arm, { product: { service, productId }, apiId });
  }
  for (const tagId of tags.remove) {
    c.logger.info("🔖 Removing tag from API", { tagId });
    await removeTagFromApi(arm, { api: ref, tagId });
  }
  await record({ products: products.add, tags: tags.add });
  const missing: ReportedFailure[] = [];
  for (const productId of products.add) {
    c.logger.info("📦 Assigning API to product", { productId });
    const failure = await linkOrExplain(
      c,
      "Product",
      productId,
      () => addApiToProduct(arm, { product: { service, productId }, apiId }),
    );
    if (failure) missing.push(failure);
  }
  for (const tagId of tags.add) {
    c.logger.info("🔖 Assigning tag to API", { tagId });
    const failure = await linkOrExplain(
      c,
      "Tag",
      tagId,
      () => assignTagToApi(arm, { api: ref, tagId }),
    );
    if (failure) missing.push(failure);
  }
  if (missing[0]) throw missing[0];
  return { products: [...api.spec.productIds], tags: [...api.spec.tagIds] };
}
