// The end of a registration: release a verified revision, prune, report Ready, and remove the deployment record.
import { getApi } from "../azure/apim_apis.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { KubeApiError } from "../kube/kube_errors.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { apiHostOf, versionedRoutePrefix } from "../reconcile/plan_import.ts";
import { holdsImport } from "../reconcile/plan_registration.ts";
import { revisionApiId } from "../reconcile/plan_revisions.ts";
import { ReportedFailure } from "./failure.ts";
import { observedApi } from "./observed_api.ts";
import {
  API_REMOVED,
  pruneRevisions,
  releaseRevision,
} from "./registration_links.ts";
import type { RegistrationPass } from "./registration_pass.ts";
import { registrationIdentity } from "./registration_rules.ts";

/** Pruning refused for now (the API is locked): tried again after this long. */
const PRUNE_RETRY_MS = 5_000;
/** A deployment whose delete failed in transit: its pass runs again after this long. */
const DELETE_RETRY_MS = 5_000;

/** Verifies that the new revision holds the document, then makes it current. */
export async function releaseVerified(
  pass: RegistrationPass,
  revision: string,
): Promise<void> {
  const hash = pass.facts.applied?.desiredHash;
  const revisionRef = {
    ...pass.ref,
    apiId: revisionApiId(pass.ref.apiId, revision),
  };
  if (holdsImport(observedApi(pass.body), pass.owner, hash)) {
    return await release(pass, revision);
  }
  const read = await getApi(pass.ctx.arm, revisionRef);
  if (holdsImport(observedApi(read?.entity), pass.owner, hash)) {
    return await release(pass, revision);
  }
  if (!read) {
    // Removed in the portal since its import (the revision, or the whole API): imported again,
    // not refused for good.
    pass.forget();
    throw new ReportedFailure({
      decision: { kind: "backoff" },
      reason: API_REMOVED,
      message:
        `Revision ${revision} of API "${pass.ref.apiId}" was removed from API Management before it was released; it is imported again`,
    });
  }
  throw new ReportedFailure({
    decision: { kind: "terminal" },
    reason: "RevisionVerificationFailed",
    message:
      `Revision ${revision} of API "${pass.ref.apiId}" does not hold the imported document; not releasing it`,
  });
}

/** Makes the verified revision current, with its release note and an Event. */
async function release(
  pass: RegistrationPass,
  revision: string,
): Promise<void> {
  await releaseRevision(
    { arm: pass.ctx.arm, api: pass.api, ref: pass.ref, logger: pass.logger },
    revision,
    pass.deployment.spec.replicaSet,
  );
  await pass.event(
    "Normal",
    "Released",
    `Released revision ${revision} of API "${pass.ref.apiId}"`,
  );
}

/**
 * Reports Ready with what is registered. Old revisions go first (a delete API Management runs on is
 * recorded and polled: it locks the API), and the deployment stays until pruning is over.
 */
export async function finish(
  pass: RegistrationPass,
  service: ApimService,
): Promise<Outcome> {
  const applied = pass.facts.applied;
  const confirmed = applied?.confirmedRecently === true;
  // Confirmed recently: the links recorded then stand (the spec has not changed since).
  const links = confirmed
    ? {
      products: pass.api.status?.linkedProducts ?? [],
      tags: pass.api.status?.linkedTags ?? [],
    }
    : pass.links;
  if (!applied || !links) throw new Error("Finished before applying");
  const prune = pass.api.spec.revisions.mode === "NewRevision" && !confirmed
    ? await pruneRevisions({
      arm: pass.ctx.arm,
      api: pass.api,
      ref: pass.ref,
      logger: pass.logger,
    }).catch((error: unknown) => {
      if (pass.signal.aborted) throw error;
      pass.logger.info("Pruning old revisions waits", {
        error: error instanceof Error ? error.message : String(error),
      });
      return { state: "retry" as const };
    })
    : { state: "done" as const };
  const proxy = service.status?.proxyHostname ?? "";
  const portal = service.status?.developerPortalHostname;
  const apiHost = apiHostOf(
    proxy,
    versionedRoutePrefix(
      pass.api.spec.routePrefix,
      pass.versionSet && {
        scheme: pass.versionSet.scheme,
        apiVersion: pass.api.spec.apiVersion,
      },
    ),
  );
  const now = new Date(pass.ctx.clock.now()).toISOString();
  // In place, an import keeps the current revision (a new API starts at 1).
  const revision = applied.revision ??
    (applied.created ? "1" : undefined) ??
    pass.body?.properties.apiRevision ?? pass.api.status?.currentRevision;
  pass.record = prune.state === "running"
    ? {
      kind: "prune",
      url: prune.operation.url,
      pollKind: prune.operation.pollKind,
      startedAt: prune.operation.startedAt,
      resourcePath: prune.operation.resourcePath,
    }
    : undefined;
  const rollout = pass.deployment.spec;
  await pass.report({
    state: "ready",
    reason: "Registered",
    message:
      `API "${pass.api.spec.APIID}" is registered in API Management at ${apiHost}`,
  }, {
    apiHost,
    ...(portal ? { developerPortalHost: `https://${portal}` } : {}),
    appliedHash: applied.desiredHash,
    ...(pass.digest ? { documentDigest: pass.digest } : {}),
    ...(applied.imported ? { importedAt: now } : {}),
    // Pruning refused for now: the next pass must not take the registration as confirmed, or it
    // would skip the pruning (`verifiedAt` is what makes a pass skip re-checking).
    ...(prune.state === "retry"
      ? { verifiedAt: null }
      : confirmed
      ? {}
      : { verifiedAt: now }),
    ...(revision ? { currentRevision: revision } : {}),
    registeredApi: registrationIdentity(service, pass.ref.apiId),
    registeredReplicaSet: {
      ...(rollout.replicaSet?.name ? { name: rollout.replicaSet.name } : {}),
      ...(rollout.replicaSet?.uid ? { uid: rollout.replicaSet.uid } : {}),
      generation: pass.facts.trigger.generation,
    },
    ...(rollout.readyReplicaSets
      ? { registeredReplicaSets: rollout.readyReplicaSets }
      : {}),
    linkedProducts: links.products,
    linkedTags: links.tags,
    lastError: null,
    retryAttempts: null,
  });
  pass.logger.info("📝 APIMAPI status patched after import", { apiHost });
  if (applied.imported) {
    pass.logger.info("✅ API imported to APIM", { hash: applied.desiredHash });
    await pass.event(
      "Normal",
      "Imported",
      `Imported the OpenAPI document into API "${pass.api.spec.APIID}"`,
    );
  }
  pass.ctx.metrics.countRegistration("succeeded");
  if (prune.state === "running") return requeueAfter(prune.retryAfterMs);
  if (prune.state === "retry") return requeueAfter(PRUNE_RETRY_MS);
  return await deleteDeployment(pass) ? DONE : requeueAfter(DELETE_RETRY_MS);
}

/**
 * Deletes the deployment unless it changed meanwhile (a newer rollout keeps it for its own pass).
 * Whether a delete that failed otherwise (the API server cut the request) happened is not known:
 * `false` asks for the pass again, which finds the registration done and deletes once more.
 */
async function deleteDeployment(pass: RegistrationPass): Promise<boolean> {
  // The delete is guarded by the resourceVersion the last phase write returned.
  await pass.phaseWritten();
  const meta = pass.deployment.metadata;
  try {
    await pass.ctx.kinds.apimApiDeployments.delete(meta.name, {
      namespace: pass.owner.namespace,
      preconditions: {
        ...(meta.uid ? { uid: meta.uid } : {}),
        ...(meta.resourceVersion
          ? { resourceVersion: meta.resourceVersion }
          : {}),
      },
      signal: pass.signal,
    });
    return true;
  } catch (error) {
    const settled = error instanceof KubeApiError &&
      (error.isConflict() || error.isNotFound());
    pass.logger.info(
      settled
        ? "Kept the APIMAPIDeployment: it changed meanwhile"
        : "Deleting the APIMAPIDeployment failed; trying again",
      { error: error instanceof Error ? error.message : String(error) },
    );
    return settled;
  }
}
