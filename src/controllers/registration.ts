// One registration pass of an APIMAPIDeployment: runs the steps nextRegistrationStep picks until one ends the pass.
import { getApi, listApiRevisions, updateApi } from "../azure/apim_apis.ts";
import { apiPath, type ApiRef } from "../azure/apim_paths.ts";
import { type ApiContract, apiContractSchema } from "../azure/apim_schemas.ts";
import { ArmError } from "../azure/arm_error.ts";
import { pollDelayMs, pollOperation } from "../azure/operation.ts";
import type { ApimApi, PendingOperationRecord } from "../crd/apim_api.ts";
import type {
  ApimApiDeployment,
  DeploymentPhase,
} from "../crd/apim_api_deployment.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { apimApis } from "../crd/resources.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import type { Logger } from "../log.ts";
import type { OpenApiDocument } from "../openapi/parse_document.ts";
import { findClaimConflict } from "../reconcile/api_claims.ts";
import {
  CONDITION_LIMITS,
  type StatusVerdict,
  truncated,
} from "../reconcile/conditions.ts";
import {
  apimPath,
  desiredApi,
  type OwnerRef,
} from "../reconcile/desired_api.ts";
import { apiHostOf, versionedRoutePrefix } from "../reconcile/plan_import.ts";
import {
  holdsImport,
  nextRegistrationStep,
  type RegistrationFacts,
  type RegistrationStep,
} from "../reconcile/plan_registration.ts";
import { revisionApiId } from "../reconcile/plan_revisions.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import { involvedObject } from "./controller.ts";
import { describeFailure, type Failure, ReportedFailure } from "./failure.ts";
import { observedApi } from "./observed_api.ts";
import {
  operationFacts,
  pollableOperation,
  pollFacts,
  withPollUrl,
} from "./operation_record.ts";
import type { OperatorContext } from "./operator_context.ts";
import { sendImport } from "./registration_import.ts";
import { fetchDocument, preflight } from "./registration_document.ts";
import {
  linkAll,
  type Links,
  pruneRevisions,
  releaseRevision,
  revisionFacts,
} from "./registration_links.ts";
import {
  ADOPT_ANNOTATION,
  registrationIdentity,
  retryToken,
} from "./registration_rules.ts";
import {
  lookupService,
  serviceIdentity,
  serviceNotReady,
  serviceRef,
} from "./service_lookup.ts";
import { carryPolicies } from "./revision_policies.ts";
import {
  patchStatus,
  patchStatusRetrying,
  type StatusPatch,
} from "./status_patch.ts";
import { failureVerdict } from "./verdict_status.ts";
import {
  claimedVersionSet,
  resolveVersionSet,
  type UsableVersionSet,
} from "./version_set_lookup.ts";

/** How soon a registration waiting for its APIMService looks again. */
const SERVICE_WAIT_MS = 10_000;
/** Reads while an import whose answer was lost may still land. */
const RECHECK_MS = 5_000;
/** Pruning refused for now (the API is locked): tried again after this long. */
const PRUNE_RETRY_MS = 5_000;
/** More steps than any pass takes: a decision loop would end here, not spin. */
const MAX_STEPS = 40;

function failure(
  decision: Failure["decision"],
  reason: string,
  message: string,
): ReportedFailure {
  return new ReportedFailure({ decision, reason, message });
}

function sameRecord(
  a: PendingOperationRecord | undefined,
  b: PendingOperationRecord | undefined,
): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Runs one registration pass for a deployment and its (freshly read) APIMAPI. */
export class Registration {
  readonly #ctx: OperatorContext;
  readonly #signal: AbortSignal;
  readonly #logger: Logger;
  readonly #owner: OwnerRef;
  #deployment: ApimApiDeployment;
  #api: ApimApi;
  /** The operation as this pass knows it; every status write persists it. */
  #record: PendingOperationRecord | undefined;
  #facts!: RegistrationFacts;
  #ref!: ApiRef;
  #doc: OpenApiDocument | undefined;
  /** The API (or revision) as APIM last answered: the import, a poll, or a read. */
  #body: ApiContract | undefined;
  #pollError: ArmError | undefined;
  #links: Links | undefined;
  /** The digest of the document API Management holds now. */
  #digest: string | undefined;
  /** Forget `status.registeredApi` with the failure (nothing was ever created there). */
  #releaseIdentity = false;
  /** The version set the API joins, when it has one and it can be used. */
  #versionSet: UsableVersionSet | undefined;

  constructor(
    ctx: OperatorContext,
    deployment: ApimApiDeployment,
    api: ApimApi,
    signal: AbortSignal,
  ) {
    this.#ctx = ctx;
    this.#deployment = deployment;
    this.#api = api;
    this.#signal = signal;
    this.#record = api.status?.pendingOperation;
    this.#owner = {
      namespace: api.metadata.namespace ?? "",
      name: api.metadata.name,
    };
    this.#logger = ctx.logger.child({
      controller: "apimapideployment",
      namespace: this.#owner.namespace,
      name: this.#owner.name,
      apiId: api.spec.APIID,
    });
  }

  /** Does the pass; errors are reported on both objects and rethrown as {@linkcode ReportedFailure}. */
  async run(): Promise<Outcome> {
    try {
      const service = this.#service();
      this.#ref = { service: serviceRef(service), apiId: this.#api.spec.APIID };
      this.#facts = this.#gather(service);
      for (let i = 0; i < MAX_STEPS; i++) {
        const outcome = await this.#execute(
          nextRegistrationStep(this.#facts),
          service,
        );
        if (outcome) return outcome;
      }
      throw new Error(`Registration did not settle within ${MAX_STEPS} steps`);
    } catch (error) {
      return await this.#fail(error);
    }
  }

  #service(): ApimService {
    const name = this.#api.spec.apimService;
    const service = lookupService(this.#ctx, this.#owner.namespace, name);
    if (!service) {
      throw failure(
        { kind: "backoff" },
        "APIMServiceNotFound",
        `APIMService "${name}" was not found in namespace "${this.#owner.namespace}" or in the operator namespace "${this.#ctx.settings.operatorNamespace}"`,
      );
    }
    return service;
  }

  #gather(service: ApimService): RegistrationFacts {
    const { settings } = this.#ctx;
    const spec = this.#deployment.spec;
    const versionSet = resolveVersionSet(this.#ctx, this.#api, service);
    this.#versionSet = versionSet.usable;
    return {
      now: this.#ctx.clock.now(),
      limits: {
        importBudgetMs: settings.importBudgetMs,
        unknownOutcomeSettleMs: settings.unconfirmedWriteWaitMs,
        unknownOutcomeRecheckMs: RECHECK_MS,
        serviceWaitMs: SERVICE_WAIT_MS,
      },
      owner: this.#owner,
      apiId: this.#api.spec.APIID,
      trigger: {
        replicaSetUid: spec.replicaSet?.uid,
        generation: spec.apimApiGeneration ?? this.#api.metadata.generation ??
          0,
      },
      mode: this.#api.spec.revisions.mode,
      adoptionAllowed: settings.adoptUnmanaged ||
        this.#api.metadata.annotations?.[ADOPT_ANNOTATION] === "true",
      serviceProblem: serviceNotReady(service),
      versionSetProblem: versionSet.problem,
      claimConflict: this.#claimConflict(service),
      operation: operationFacts(this.#record),
    };
  }

  #claimConflict(
    service: ApimService,
  ): RegistrationFacts["claimConflict"] {
    const claimOf = (api: ApimApi) => {
      const svc = lookupService(
        this.#ctx,
        api.metadata.namespace,
        api.spec.apimService,
      );
      return {
        owner: `${api.metadata.namespace}/${api.metadata.name}`,
        creationTimestamp: api.metadata.creationTimestamp ?? "",
        service: svc ? serviceIdentity(svc) : "",
        apiId: api.spec.APIID,
        path: apimPath(api.spec.routePrefix),
        versionSet: claimedVersionSet(this.#ctx, api),
        apiVersion: api.spec.apiVersion,
      };
    };
    const mine = { ...claimOf(this.#api), service: serviceIdentity(service) };
    const others = this.#ctx.caches.apimApis.list()
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

  #targetRef(): ApiRef {
    const revision = this.#record?.revision;
    return revision === undefined
      ? this.#ref
      : { ...this.#ref, apiId: revisionApiId(this.#ref.apiId, revision) };
  }

  /** Runs one step; an outcome ends the pass. */
  async #execute(
    step: RegistrationStep,
    service: ApimService,
  ): Promise<Outcome | undefined> {
    const arm = this.#ctx.arm;
    const f = this.#facts;
    switch (step.step) {
      case "wait":
        if (step.verdict) await this.#report(step.verdict, {});
        else await this.#persistRecord();
        return requeueAfter(step.delayMs);
      case "fail":
        if (step.forgetOperation) this.#forget();
        throw failure({ kind: step.decision }, step.reason, step.message);
      case "operationFailed":
        this.#logger.error(
          "❌ APIM async import did not complete successfully",
          { code: this.#pollError?.code, message: this.#pollError?.message },
        );
        this.#observeImport("failed");
        this.#forget();
        throw this.#pollError ?? new Error("The import failed");
      case "poll":
        await this.#poll();
        return undefined;
      case "readTarget": {
        const current = await getApi(arm, this.#targetRef());
        f.target = observedApi(current?.entity, current?.etag);
        this.#body = current?.entity;
        return undefined;
      }
      case "forgetOperation":
        this.#forget();
        return undefined;
      case "applied":
        this.#digest = this.#record?.documentDigest ?? this.#doc?.digest;
        if (this.#record && f.operation) {
          this.#logger.info("✅ APIM async import completed", {
            startedAt: this.#record.startedAt,
          });
          this.#observeImport("succeeded");
          // The record stays in status until the pass finishes: a pass that fails later (a link
          // refused) finds the import done again instead of deciding as if nothing had been imported.
          f.operation = undefined;
          f.poll = undefined;
        }
        f.applied = step.applied;
        return undefined;
      case "decideAgain":
        this.#logger.info(
          "Import finished for an earlier rollout or spec; deciding again",
        );
        this.#facts = {
          ...this.#gather(service),
          operation: undefined,
          desired: undefined,
        };
        this.#body = undefined;
        return undefined;
      case "fetchDocument":
        await this.#fetchDocument();
        return undefined;
      case "readApi": {
        const current = await getApi(arm, this.#ref);
        f.observed = observedApi(current?.entity, current?.etag);
        this.#body = current?.entity;
        return undefined;
      }
      case "listRevisions":
        f.revisions = (await listApiRevisions(arm, this.#ref)).map(
          revisionFacts,
        );
        return undefined;
      case "recordIntent":
        await this.#recordIntent(step, service);
        return undefined;
      case "sendImport":
        return await this.#sendImport(step);
      case "patchApi": {
        this.#logger.info("🔧 Patching APIM service URL", {
          changes: Object.keys(step.changes),
        });
        const patched = await updateApi(arm, {
          api: this.#ref,
          properties: step.changes,
          ifMatch: step.ifMatch,
        });
        this.#body = patched.entity;
        this.#ctx.metrics.countDriftCorrection("api-properties");
        f.patched = true;
        return undefined;
      }
      case "carryPolicies":
        await carryPolicies(this.#ctx, {
          api: this.#api,
          service,
          revision: step.revision,
          logger: this.#logger,
        });
        f.policiesCarried = true;
        return undefined;
      case "release":
        await this.#release(step.revision);
        f.released = true;
        // The released revision is the API now: read it before fixing what the import had to pin.
        f.observed = undefined;
        return undefined;
      case "link":
        await this.#setPhase("Linking", "Linking products and tags");
        this.#links = await linkAll(
          { arm, api: this.#api, ref: this.#ref, logger: this.#logger },
          f.applied?.created === true,
        );
        f.linked = true;
        return undefined;
      case "finish":
        return await this.#finish(service);
    }
  }

  /** Forgets the operation (the next status write clears it). */
  #forget(): void {
    this.#record = undefined;
    this.#facts.operation = undefined;
    this.#facts.intentRecorded = false;
    this.#facts.poll = undefined;
    this.#facts.target = undefined;
  }

  #observeImport(result: "succeeded" | "failed"): void {
    const started = Date.parse(this.#record?.startedAt ?? "");
    if (Number.isNaN(started)) return;
    this.#ctx.metrics.observeImport(result, this.#ctx.clock.now() - started);
  }

  async #poll(): Promise<void> {
    const record = this.#record;
    const op = record ? pollableOperation(record) : undefined;
    if (!record || !op) {
      // No (valid) poll URL: only a read can tell what the write did.
      this.#facts.poll = { state: "gone" };
      return;
    }
    const result = await pollOperation(this.#ctx.arm, op, {
      defaultRetryAfterMs: pollDelayMs(
        this.#ctx.clock.now() - Date.parse(op.startedAt),
      ),
      signal: this.#signal,
    });
    this.#facts.poll = pollFacts(result);
    switch (result.state) {
      case "running":
        this.#logger.info(
          record.kind === "prune"
            ? "⌛ Old API revision still being deleted"
            : "⌛ APIM async import still in progress",
          { startedAt: op.startedAt, retryAfterMs: result.retryAfterMs },
        );
        if (result.operation.url !== op.url) {
          this.#record = withPollUrl(record, result.operation);
        }
        return;
      case "succeeded": {
        const parsed = apiContractSchema.safeParse(result.body);
        this.#body = parsed.success ? parsed.data : undefined;
        return;
      }
      case "failed":
        this.#pollError = result.error;
        return;
      case "gone":
        this.#logger.info(
          "The import's operation URL is gone; reading the API",
          { code: result.error.code },
        );
        return;
    }
  }

  async #fetchDocument(): Promise<void> {
    await this.#setPhase("Fetching", "Fetching the OpenAPI document");
    const doc = await fetchDocument(
      this.#ctx,
      this.#deployment.spec.openApiDefinitionUrl,
      this.#logger,
      this.#signal,
    );
    const checked = await preflight(
      this.#ctx,
      this.#api,
      doc,
      this.#logger,
      this.#signal,
    );
    this.#api = checked.api;
    this.#doc = doc;
    if (checked.error) {
      this.#facts.preflightError = checked.error;
      return;
    }
    this.#facts.desired = desiredApi(
      this.#api.spec,
      {
        digest: doc.digest,
        format: doc.importFormat,
        title: doc.title,
        description: doc.description,
      },
      this.#owner,
      this.#versionSet?.resourceId,
    );
  }

  /** Persists the import about to be sent, with where it goes (survives conflicts; refuses a deletion). */
  async #recordIntent(
    step: Extract<RegistrationStep, { step: "recordIntent" }>,
    service: ApimService,
  ): Promise<void> {
    const op = step.operation;
    const target = op.revision === undefined
      ? this.#ref
      : { ...this.#ref, apiId: revisionApiId(this.#ref.apiId, op.revision) };
    const record: PendingOperationRecord = {
      kind: "import",
      startedAt: new Date(op.startedAt).toISOString(),
      resourcePath: String(apiPath(target)),
      ...(op.desiredHash === undefined ? {} : { desiredHash: op.desiredHash }),
      documentDigest: this.#doc?.digest ?? "",
      created: op.created,
      ...(op.revision === undefined ? {} : { revision: op.revision }),
      ...(op.trigger?.replicaSetUid === undefined
        ? {}
        : { replicaSetUid: op.trigger.replicaSetUid }),
      ...(op.trigger ? { generation: op.trigger.generation } : {}),
    };
    if (step.adopting) {
      await this.#event(
        "Normal",
        "AdoptingAPI",
        `Taking over API "${this.#ref.apiId}", which exists in API Management without an owner`,
      );
    }
    const identity = registrationIdentity(service, this.#ref.apiId);
    const previous = this.#api.status?.registeredApi;
    if (previous && JSON.stringify(previous) !== JSON.stringify(identity)) {
      await this.#event(
        "Warning",
        "InstanceChanged",
        `APIMService "${this.#api.spec.apimService}" now names another API Management instance; API "${previous.apiId}" in "${previous.service}" (resource group "${previous.resourceGroup}") is no longer managed`,
      );
    }
    this.#record = record;
    await this.#report({
      state: "progressing",
      reason: "Importing",
      message: `Importing the OpenAPI document (${
        this.#doc?.operations.length ?? 0
      } operations) into API Management`,
    }, {
      registeredApi: identity,
      ...(step.adopting ? { adopted: true } : {}),
    });
    this.#facts.operation = operationFacts(record);
    this.#facts.intentRecorded = true;
  }

  async #sendImport(
    step: Extract<RegistrationStep, { step: "sendImport" }>,
  ): Promise<Outcome | undefined> {
    const record = this.#record;
    const desired = this.#facts.desired;
    const doc = this.#doc;
    if (!record || !desired || !doc) {
      throw new Error("An import was decided without its document");
    }
    await this.#setPhase("Importing", "API Management is importing");
    const adopted = this.#api.status?.adopted === true;
    const sent = await sendImport(this.#ctx, {
      ref: { ...this.#ref, apiId: step.targetApiId },
      pinned: step.pinned,
      desired,
      doc,
      adopted,
      ifMatch: step.ifMatch,
      owner: this.#owner,
      logger: this.#logger,
      signal: this.#signal,
    });
    this.#facts.intentRecorded = false;
    switch (sent.state) {
      case "unknown":
        // The write may have landed: keep the record, so the next pass reads before any resend.
        await this.#report({
          state: "progressing",
          reason: "ConfirmingImport",
          message: sent.message,
          problem: true,
        }, {});
        return requeueAfter(RECHECK_MS);
      case "rejected":
        this.#forget();
        // A first import refused outright left nothing in Azure: the identity is not taken.
        this.#releaseIdentity = record.created === true &&
          this.#api.status?.appliedHash === undefined;
        throw sent.error;
      case "accepted":
        this.#record = withPollUrl(record, sent.operation);
        await this.#report(
          {
            state: "progressing",
            reason: "Importing",
            message:
              `API Management is importing the OpenAPI document (${doc.operations.length} operations)`,
          },
          {},
          { whileDeleting: true },
        );
        this.#logger.info("⏳ Polling APIM async import status", {
          retryAfterMs: sent.retryAfterMs,
        });
        return requeueAfter(sent.retryAfterMs);
      case "finished":
        this.#digest = doc.digest;
        this.#observeImport("succeeded");
        this.#body = sent.api;
        this.#forget();
        this.#facts.applied = {
          desiredHash: desired.hash,
          trigger: this.#facts.trigger,
          imported: true,
          created: record.created === true,
          revision: record.revision,
        };
        return undefined;
    }
  }

  /** Verifies that the new revision holds the document, then releases it and prunes old ones. */
  async #release(revision: string): Promise<void> {
    const hash = this.#facts.applied?.desiredHash;
    if (
      !holdsImport(observedApi(this.#body), this.#owner, hash) &&
      !holdsImport(
        observedApi(
          (await getApi(this.#ctx.arm, {
            ...this.#ref,
            apiId: revisionApiId(this.#ref.apiId, revision),
          }))?.entity,
        ),
        this.#owner,
        hash,
      )
    ) {
      throw failure(
        { kind: "terminal" },
        "RevisionVerificationFailed",
        `Revision ${revision} of API "${this.#ref.apiId}" does not hold the imported document; not releasing it`,
      );
    }
    await releaseRevision(
      {
        arm: this.#ctx.arm,
        api: this.#api,
        ref: this.#ref,
        logger: this.#logger,
      },
      revision,
      this.#deployment.spec.replicaSet,
    );
    await this.#event(
      "Normal",
      "Released",
      `Released revision ${revision} of API "${this.#ref.apiId}"`,
    );
  }

  async #finish(service: ApimService): Promise<Outcome> {
    const applied = this.#facts.applied;
    const links = this.#links;
    if (!applied || !links) throw new Error("Finished before applying");
    // Old revisions go after everything else; a delete API Management runs on is recorded and
    // polled (it locks the API), and the deployment stays until pruning is over.
    const prune = this.#api.spec.revisions.mode === "NewRevision"
      ? await pruneRevisions({
        arm: this.#ctx.arm,
        api: this.#api,
        ref: this.#ref,
        logger: this.#logger,
      }).catch((error: unknown) => {
        if (this.#signal.aborted) throw error;
        this.#logger.info("Pruning old revisions waits", {
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
        this.#api.spec.routePrefix,
        this.#versionSet && {
          scheme: this.#versionSet.scheme,
          apiVersion: this.#api.spec.apiVersion,
        },
      ),
    );
    const now = new Date(this.#ctx.clock.now()).toISOString();
    // In place, an import keeps the current revision (a new API starts at 1).
    const revision = applied.revision ??
      (applied.created ? "1" : undefined) ??
      this.#body?.properties.apiRevision ?? this.#api.status?.currentRevision;
    this.#record = prune.state === "running"
      ? {
        kind: "prune",
        url: prune.operation.url,
        pollKind: prune.operation.pollKind,
        startedAt: prune.operation.startedAt,
        resourcePath: prune.operation.resourcePath,
      }
      : undefined;
    const rollout = this.#deployment.spec;
    await this.#report({
      state: "ready",
      reason: "Registered",
      message:
        `API "${this.#api.spec.APIID}" is registered in API Management at ${apiHost}`,
    }, {
      apiHost,
      ...(portal ? { developerPortalHost: `https://${portal}` } : {}),
      appliedHash: applied.desiredHash,
      ...(this.#digest ? { documentDigest: this.#digest } : {}),
      ...(applied.imported ? { importedAt: now } : {}),
      ...(revision ? { currentRevision: revision } : {}),
      registeredApi: registrationIdentity(service, this.#ref.apiId),
      registeredReplicaSet: {
        ...(rollout.replicaSet?.name ? { name: rollout.replicaSet.name } : {}),
        ...(rollout.replicaSet?.uid ? { uid: rollout.replicaSet.uid } : {}),
        generation: this.#facts.trigger.generation,
      },
      ...(rollout.readyReplicaSets
        ? { registeredReplicaSets: rollout.readyReplicaSets }
        : {}),
      linkedProducts: links.products,
      linkedTags: links.tags,
      lastError: null,
      retryAttempts: null,
    });
    this.#logger.info("📝 APIMAPI status patched after import", { apiHost });
    if (applied.imported) {
      this.#logger.info("✅ API imported to APIM", {
        hash: applied.desiredHash,
      });
      await this.#event(
        "Normal",
        "Imported",
        `Imported the OpenAPI document into API "${this.#api.spec.APIID}"`,
      );
    }
    this.#ctx.metrics.countRegistration("succeeded");
    if (prune.state === "running") return requeueAfter(prune.retryAfterMs);
    if (prune.state === "retry") return requeueAfter(PRUNE_RETRY_MS);
    await this.#deleteDeployment();
    return DONE;
  }

  /** Deletes the deployment unless it changed meanwhile (a newer rollout keeps it for its own pass). */
  async #deleteDeployment(): Promise<void> {
    const meta = this.#deployment.metadata;
    await this.#ctx.kinds.apimApiDeployments.delete(meta.name, {
      namespace: this.#owner.namespace,
      preconditions: {
        ...(meta.uid ? { uid: meta.uid } : {}),
        ...(meta.resourceVersion
          ? { resourceVersion: meta.resourceVersion }
          : {}),
      },
      signal: this.#signal,
    }).catch((error) => {
      this.#logger.info("Kept the APIMAPIDeployment: it changed meanwhile", {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  async #fail(error: unknown): Promise<never> {
    const failed = describeFailure(error);
    const terminal = failed.decision.kind === "terminal";
    if (!this.#signal.aborted) {
      const fields = {
        reason: failed.reason,
        message: failed.message,
        retry: failed.decision.kind,
      };
      if (failed.expected) {
        this.#logger.info(
          "⏳ Waiting for API Management's lock on the API",
          fields,
        );
      } else this.#logger.error("🚫 Failed to import API", fields);
      try {
        await this.#report(failureVerdict(failed), {
          lastError: {
            code: failed.reason,
            message: truncated(failed.message, CONDITION_LIMITS.message),
            at: new Date(this.#ctx.clock.now()).toISOString(),
          },
          retryAttempts: terminal
            ? null
            : (this.#api.status?.retryAttempts ?? 0) + 1,
          ...(this.#releaseIdentity ? { registeredApi: null } : {}),
        });
        await this.#setPhase(terminal ? "Failed" : "Pending", failed.message, {
          retryToken: retryToken(this.#api),
        });
      } catch (reportError) {
        this.#logger.warn("Could not record the failure in status", {
          error: reportError instanceof Error
            ? reportError.message
            : String(reportError),
        });
      }
      if (terminal) {
        this.#ctx.metrics.countRegistration("failed");
        await this.#event("Warning", failed.reason, failed.message);
      }
    }
    throw new ReportedFailure(failed);
  }

  /**
   * Writes the verdict with the operation as this pass knows it. A concurrent write of other fields
   * is retried on a fresh read, unless the APIMAPI is being deleted (a sent write's poll URL is still
   * recorded: the deletion needs it), its spec changed, or someone else changed the recorded
   * operation: then the pass ends and runs again on fresh data.
   */
  async #report(
    verdict: StatusVerdict,
    fields: StatusPatch,
    options: { whileDeleting?: boolean } = {},
  ): Promise<void> {
    const seen = this.#api;
    this.#api = await reportApiVerdict(
      this.#ctx,
      seen,
      verdict,
      { ...fields, pendingOperation: this.#record ?? null },
      this.#signal,
      (fresh) =>
        (options.whileDeleting === true || !fresh.metadata.deletionTimestamp) &&
        fresh.metadata.generation === seen.metadata.generation &&
        sameRecord(
          fresh.status?.pendingOperation,
          seen.status?.pendingOperation,
        ),
    );
  }

  /** Writes the operation as this pass knows it, nothing else. */
  async #persistRecord(): Promise<void> {
    const seen = this.#api;
    this.#api = await patchStatusRetrying(
      this.#ctx.kinds.apimApis,
      seen,
      () => ({ pendingOperation: this.#record ?? null }),
      {
        signal: this.#signal,
        accept: (fresh) =>
          sameRecord(
            fresh.status?.pendingOperation,
            seen.status?.pendingOperation,
          ),
      },
    );
  }

  async #setPhase(
    phase: DeploymentPhase,
    message: string,
    extra: StatusPatch = {},
  ): Promise<void> {
    this.#deployment = await patchStatus(
      this.#ctx.kinds.apimApiDeployments,
      this.#deployment,
      {
        phase,
        message,
        observedGeneration: this.#deployment.metadata.generation ?? null,
        lastAttemptAt: new Date(this.#ctx.clock.now()).toISOString(),
        ...extra,
      },
      this.#signal,
    ).catch(() => this.#deployment);
  }

  async #event(
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ): Promise<void> {
    await this.#ctx.events.record(involvedObject(apimApis, this.#api), {
      type,
      reason,
      note,
    });
  }
}
