// What a registration pass decides on: its facts, gathered from the APIMAPI, its rollout and the caches.
import type { ApimApi } from "../crd/apim_api.ts";
import { originalImportDigest, signalOf } from "../crd/apim_api_deployment.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { findClaimConflict } from "../reconcile/api_claims.ts";
import { apimPath } from "../reconcile/desired_api.ts";
import { readySetKey } from "../reconcile/plan_registration.ts";
import type { RegistrationFacts } from "../reconcile/registration_facts.ts";
import { operationFacts } from "./operation_record.ts";
import { RECHECK_MS } from "./registration_operation.ts";
import type { RegistrationPass } from "./registration_pass.ts";
import {
  ADOPT_ANNOTATION,
  registrationIdentity,
} from "./registration_rules.ts";
import {
  lookupService,
  serviceIdentity,
  serviceNotReady,
} from "./service_lookup.ts";
import { claimedVersionSet, resolveVersionSet } from "./version_set_lookup.ts";

/** How soon a registration waiting for its APIMService looks again. */
const SERVICE_WAIT_MS = 10_000;

/**
 * What a registration pass decides on: the APIMAPI and its rollout as read now, and what the caches
 * say. Also sets the pass's usable version set, which the desired API refers to.
 */
export function gatherFacts(
  pass: RegistrationPass,
  service: ApimService,
): RegistrationFacts {
  const { settings } = pass.ctx;
  const spec = pass.deployment.spec;
  const versionSet = resolveVersionSet(pass.ctx, pass.api, service);
  pass.versionSet = versionSet.usable;
  const trigger = {
    replicaSetUid: spec.replicaSet?.uid,
    readySet: readySetKey(spec.readyReplicaSets),
    signal: signalOf(pass.deployment),
    // The spec as read now: the rollout's record of it may lag behind an edit.
    generation: pass.api.metadata.generation ?? spec.apimApiGeneration ?? 0,
  };
  return {
    now: pass.ctx.clock.now(),
    limits: {
      importBudgetMs: settings.importBudgetMs,
      unknownOutcomeSettleMs: settings.unconfirmedWriteWaitMs,
      unknownOutcomeRecheckMs: RECHECK_MS,
      serviceWaitMs: SERVICE_WAIT_MS,
    },
    owner: pass.owner,
    apiId: pass.api.spec.APIID,
    trigger,
    recentlyVerifiedHash: recentlyVerified(pass, service, trigger.generation),
    mode: pass.api.spec.revisions.mode,
    adoptionAllowed: settings.adoptUnmanaged ||
      pass.api.metadata.annotations?.[ADOPT_ANNOTATION] === "true",
    serviceProblem: serviceNotReady(service),
    versionSetProblem: versionSet.problem,
    claimConflict: claimConflict(pass, service),
    knownDocumentDigest: originalImportDigest(pass.deployment),
    operation: operationFacts(pass.record),
  };
}

/** The hash API Management was seen holding within the drift period, for this spec, at this identity. */
function recentlyVerified(
  pass: RegistrationPass,
  service: ApimService,
  generation: number,
): string | undefined {
  const { ctx, api } = pass;
  const status = api.status;
  const verifiedAt = Date.parse(status?.verifiedAt ?? "");
  const fresh = ctx.clock.now() - verifiedAt <= ctx.settings.resyncPeriodMs;
  const sameIdentity = JSON.stringify(status?.registeredApi) ===
    JSON.stringify(registrationIdentity(service, api.spec.APIID));
  return fresh && sameIdentity && status?.pendingOperation === undefined &&
      status?.registeredReplicaSet?.generation === generation
    ? status?.appliedHash
    : undefined;
}

function claimConflict(
  pass: RegistrationPass,
  service: ApimService,
): RegistrationFacts["claimConflict"] {
  const { ctx, api: self } = pass;
  const claimOf = (api: ApimApi) => {
    const svc = lookupService(
      ctx,
      api.metadata.namespace,
      api.spec.apimService,
    );
    return {
      owner: `${api.metadata.namespace}/${api.metadata.name}`,
      creationTimestamp: api.metadata.creationTimestamp ?? "",
      service: svc ? serviceIdentity(svc) : "",
      apiId: api.spec.APIID,
      path: apimPath(api.spec.routePrefix),
      versionSet: claimedVersionSet(ctx, api),
      apiVersion: api.spec.apiVersion,
    };
  };
  const mine = { ...claimOf(self), service: serviceIdentity(service) };
  const others = ctx.caches.apimApis.list()
    .filter((a) => !a.metadata.deletionTimestamp)
    .map(claimOf);
  const conflict = findClaimConflict(mine, others);
  if (!conflict) return undefined;
  const reasons = {
    APIID: "APIIDConflict",
    routePrefix: "PathConflict",
    apiVersion: "VersionConflict",
  };
  return { reason: reasons[conflict.field], message: conflict.message };
}
