// One registration pass of an APIMAPIDeployment: fetch, pre-flight, import (or resume it), link, report.
//
//   no pending operation:  fetch doc -> pre-flight -> GET api -> decide (none | PATCH | import | refuse)
//                            import answered at once ----------------------------+
//                            import accepted: store the operation in the         |
//                            APIMAPI status, requeue after Retry-After           |
//   pending operation:     poll once -> running: requeue | failed: report        |
//                                     | succeeded --------------------------------+
//                                                                                  v
//                          links (add missing, remove the ones we made that left the lists)
//                          -> APIMAPI Ready with apiHost, registeredReplicaSet -> delete the deployment
import {
  createOrUpdateApi,
  createOrUpdateApiRelease,
  deleteApi,
  getApi,
  listApiRevisions,
  updateApi,
} from "../azure/apim_apis.ts";
import {
  type ApimServiceRef,
  type ApiRef,
  apiResourceId,
} from "../azure/apim_paths.ts";
import {
  addApiToProduct,
  listApiProducts,
  removeApiFromProduct,
} from "../azure/apim_products.ts";
import {
  type ApiContract,
  apiContractSchema,
  type ApiRevision,
} from "../azure/apim_schemas.ts";
import {
  assignTagToApi,
  listApiTags,
  removeTagFromApi,
} from "../azure/apim_tags.ts";
import { ArmError } from "../azure/arm_error.ts";
import {
  isOperationOverdue,
  type PendingOperation,
  pendingOperationSchema,
  pollOperation,
} from "../azure/operation.ts";
import type { ApimApi, PendingOperationRecord } from "../crd/apim_api.ts";
import type {
  ApimApiDeployment,
  DeploymentPhase,
} from "../crd/apim_api_deployment.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import type { Logger } from "../log.ts";
import { logDocumentSummary } from "../openapi/document_summary.ts";
import { redactUrl } from "../openapi/document_url.ts";
import { fetchOpenApiDocument } from "../openapi/fetch_document.ts";
import {
  type OpenApiDocument,
  parseOpenApiDocument,
} from "../openapi/parse_document.ts";
import { preflightDocument } from "../openapi/preflight.ts";
import { findClaimConflict } from "../reconcile/api_claims.ts";
import type { StatusVerdict } from "../reconcile/conditions.ts";
import {
  apimPath,
  type DesiredApi,
  desiredApi,
  markerHasHash,
  type OwnerRef,
  parseOwnerMarker,
} from "../reconcile/desired_api.ts";
import {
  nextRevision,
  releaseId,
  releaseNotes,
  revisionApiId,
  type RevisionFacts,
  revisionsToPrune,
} from "../reconcile/plan_revisions.ts";
import {
  apiHostOf,
  decideImport,
  planLinks,
} from "../reconcile/plan_import.ts";
import { apimApis } from "../crd/resources.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import { involvedObject } from "./controller.ts";
import { describeFailure, type Failure, ReportedFailure } from "./failure.ts";
import { observedApi } from "./observed_api.ts";
import type { OperatorContext } from "./operator_context.ts";
import { failureVerdict } from "./verdict_status.ts";
import {
  lookupService,
  serviceIdentity,
  serviceNotReady,
  serviceRef,
} from "./service_lookup.ts";
import { patchStatus, type StatusPatch } from "./status_patch.ts";

/** Annotation whose new value retries a registration that failed permanently. */
export const RETRY_ANNOTATION = "apim.operator.io/retry";

/** How soon a registration waiting for its APIMService looks again. */
const SERVICE_WAIT_MS = 10_000;

/** The registration state carried from the import step to the linking step. */
interface Imported {
  desiredHash: string;
  documentDigest: string;
  /** The API as APIM answered the import, or as read before it. */
  api: ApiContract | undefined;
  /** The API did not exist before this pass: it has no links yet. */
  created: boolean;
  /** An import (or re-import) happened in this pass or its operation completed now. */
  imported: boolean;
  /** In new-revision mode: the revision the document went to, to verify and release. */
  revision?: string | undefined;
}

function revisionFacts(revision: ApiRevision): RevisionFacts {
  return {
    apiRevision: revision.apiRevision,
    isCurrent: revision.isCurrent === true,
  };
}

function operationRecord(
  op: PendingOperation,
  documentDigest: string,
  created: boolean,
): PendingOperationRecord {
  return {
    kind: op.kind,
    url: op.url,
    pollKind: op.pollKind,
    startedAt: op.startedAt,
    resourcePath: op.resourcePath,
    ...(op.desiredHash === undefined ? {} : { desiredHash: op.desiredHash }),
    documentDigest,
    created,
  };
}

/** A failure the registration decides itself (not thrown by a client). */
function failure(
  decision: Failure["decision"],
  reason: string,
  message: string,
): ReportedFailure {
  return new ReportedFailure({ decision, reason, message });
}

/** Runs one registration pass for a deployment and its (freshly read) APIMAPI. */
export class Registration {
  readonly #ctx: OperatorContext;
  readonly #signal: AbortSignal;
  readonly #logger: Logger;
  readonly #owner: OwnerRef;
  #deployment: ApimApiDeployment;
  #api: ApimApi;

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
      const pending = this.#api.status?.pendingOperation;
      let imported: Imported | Outcome;
      if (pending && pending.kind !== "delete") {
        imported = await this.#resume(service, pending);
      } else {
        imported = await this.#import(service);
      }
      if ("kind" in imported) return imported;
      return await this.#finish(service, imported);
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

  #apiRef(service: ApimService): ApiRef {
    return { service: serviceRef(service), apiId: this.#api.spec.APIID };
  }

  #checkClaims(service: ApimService): void {
    const identity = serviceIdentity(service);
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
      };
    };
    const mine = { ...claimOf(this.#api), service: identity };
    const others = this.#ctx.caches.apimApis.list()
      .filter((a) => !a.metadata.deletionTimestamp)
      .map(claimOf);
    const conflict = findClaimConflict(mine, others);
    if (conflict) {
      throw failure(
        { kind: "terminal" },
        conflict.field === "APIID" ? "APIIDConflict" : "PathConflict",
        conflict.message,
      );
    }
  }

  async #fetchDocument(): Promise<OpenApiDocument> {
    const url = this.#deployment.spec.openApiDefinitionUrl;
    this.#logger.info("📡 Fetching OpenAPI definition", {
      url: redactUrl(url),
    });
    await this.#setPhase("Fetching", "Fetching the OpenAPI document");
    const fetched = await fetchOpenApiDocument(url, {
      ...this.#ctx.settings.openApi,
      signal: this.#signal,
    });
    this.#logger.info("📥 OpenAPI definition downloaded", {
      bytes: fetched.bytes.length,
    });
    const doc = parseOpenApiDocument(fetched.bytes, fetched.contentType);
    this.#ctx.metrics.observeDocument(doc.sizeBytes);
    logDocumentSummary(this.#logger, doc);
    return doc;
  }

  async #preflight(doc: OpenApiDocument): Promise<void> {
    const result = preflightDocument(doc);
    const [firstError] = result.errors;
    if (firstError) {
      throw failure(
        { kind: "terminal" },
        firstError.reason,
        firstError.message,
      );
    }
    const missing = result.warnings.find((w) =>
      w.reason === "MissingOperationIds"
    );
    const condition = missing
      ? {
        type: "OperationIdsComplete",
        status: "False" as const,
        reason: "MissingOperationIds",
        message: missing.message,
      }
      : {
        type: "OperationIdsComplete",
        status: "True" as const,
        reason: "AllOperationsNamed",
        message: "Every operation has an operationId",
      };
    const previous = this.#api.status?.conditions?.find((c) =>
      c.type === condition.type
    );
    if (
      previous?.status === condition.status &&
      previous.message === condition.message
    ) return;
    const now = new Date(this.#ctx.clock.now()).toISOString();
    const others = (this.#api.status?.conditions ?? []).filter((c) =>
      c.type !== condition.type
    );
    this.#api = await patchStatus(this.#ctx.kinds.apimApis, this.#api, {
      conditions: [...others, {
        ...condition,
        observedGeneration: this.#api.metadata.generation ?? 0,
        lastTransitionTime: previous?.status === condition.status
          ? previous.lastTransitionTime
          : now,
      }],
    }, this.#signal);
    for (const warning of result.warnings) {
      this.#logger.warn("OpenAPI document warning", {
        reason: warning.reason,
        message: warning.message,
      });
      await this.#event("Warning", warning.reason, warning.message);
    }
  }

  async #import(service: ApimService): Promise<Imported | Outcome> {
    const notReady = serviceNotReady(service);
    if (notReady) {
      await this.#report(
        {
          state: "progressing",
          reason: "WaitingForAPIMService",
          message: notReady,
        },
        {},
      );
      return requeueAfter(SERVICE_WAIT_MS);
    }
    this.#checkClaims(service);
    const doc = await this.#fetchDocument();
    await this.#preflight(doc);
    const desired = desiredApi(this.#api.spec, {
      digest: doc.digest,
      format: doc.importFormat,
    }, this.#owner);
    const ref = this.#apiRef(service);
    const current = await getApi(this.#ctx.arm, ref);
    const observed = observedApi(current?.entity, current?.etag);
    const decision = decideImport(desired, observed, this.#owner);
    const base = {
      desiredHash: desired.hash,
      documentDigest: doc.digest,
      created: !observed.exists,
    };
    switch (decision.action) {
      case "refuse":
        throw failure(
          { kind: "terminal" },
          "OwnedByAnotherAPIMAPI",
          decision.message,
        );
      case "none":
        this.#logger.info("✅ APIM already in sync; skipping import", {
          hash: desired.hash,
        });
        return { ...base, api: current?.entity, imported: false };
      case "patch": {
        this.#logger.info("🔧 Patching APIM service URL", {
          changes: Object.keys(decision.changes),
        });
        const patched = await updateApi(this.#ctx.arm, {
          api: ref,
          properties: decision.changes,
          ifMatch: decision.ifMatch,
        });
        this.#ctx.metrics.countDriftCorrection("api-properties");
        return { ...base, api: patched.entity, imported: false };
      }
      case "import": {
        if (decision.adopted) {
          await this.#event(
            "Normal",
            "AdoptingAPI",
            `Taking over API "${desired.apiId}", which exists in API Management without an owner`,
          );
        }
        if (
          this.#api.spec.revisions.mode === "NewRevision" && !decision.created
        ) {
          const revisions = await listApiRevisions(this.#ctx.arm, ref);
          const revision = String(nextRevision(revisions.map(revisionFacts)));
          this.#logger.info("🆕 Importing into a new revision", { revision });
          return await this.#startImport(
            { ...ref, apiId: revisionApiId(ref.apiId, revision) },
            desired,
            doc,
            undefined,
            { ...base, revision },
          );
        }
        return await this.#startImport(
          ref,
          desired,
          doc,
          decision.ifMatch,
          base,
        );
      }
    }
  }

  async #startImport(
    ref: ApiRef,
    desired: DesiredApi,
    doc: OpenApiDocument,
    ifMatch: string | undefined,
    base: Omit<Imported, "api" | "imported">,
  ): Promise<Imported | Outcome> {
    this.#logger.info("📤 Sending request to APIM", {
      method: "PUT",
      format: desired.format,
      path: desired.path,
      ifMatch: ifMatch ?? "none",
    });
    const startedAt = this.#ctx.clock.now();
    const result = await createOrUpdateApi(this.#ctx.arm, {
      api: ref,
      properties: {
        format: desired.format,
        value: doc.importValue,
        path: desired.path,
        serviceUrl: desired.serviceUrl,
        subscriptionRequired: desired.subscriptionRequired,
        apiRevisionDescription: desired.marker,
        ...(desired.displayName === undefined
          ? {}
          : { displayName: desired.displayName }),
        ...(desired.protocols === undefined
          ? {}
          : { protocols: desired.protocols }),
      },
      ...(ifMatch === undefined ? {} : { ifMatch }),
      desiredHash: desired.hash,
    });
    if (result.state === "pending") {
      // Persist before waiting: a restart polls this operation instead of importing again.
      await this.#report(
        {
          state: "progressing",
          reason: "Importing",
          message:
            `API Management is importing the OpenAPI document (${doc.operations.length} operations)`,
        },
        {
          pendingOperation: {
            ...operationRecord(result.operation, doc.digest, base.created),
            ...(base.revision ? { revision: base.revision } : {}),
          },
        },
      );
      await this.#setPhase(
        "Importing",
        "API Management is importing the document",
      );
      this.#logger.info("⏳ Polling APIM async import status", {
        retryAfterMs: result.retryAfterMs,
      });
      return requeueAfter(result.retryAfterMs);
    }
    this.#ctx.metrics.observeImport(
      "succeeded",
      this.#ctx.clock.now() - startedAt,
    );
    this.#logger.info("✅ API imported to APIM", { hash: desired.hash });
    return { ...base, api: result.api.entity, imported: true };
  }

  async #resume(
    service: ApimService,
    record: PendingOperationRecord,
  ): Promise<Imported | Outcome> {
    const parsed = pendingOperationSchema.safeParse(record);
    if (!parsed.success) {
      this.#logger.warn("Discarded an unreadable pending operation", {
        url: redactUrl(record.url),
      });
      await this.#report(
        {
          state: "progressing",
          reason: "Registering",
          message: "Registering the API",
        },
        { pendingOperation: null },
      );
      return requeueAfter(0);
    }
    const op = parsed.data;
    const startedMs = Date.parse(op.startedAt);
    if (
      isOperationOverdue(
        op,
        this.#ctx.clock.now(),
        this.#ctx.settings.importBudgetMs,
      )
    ) {
      await this.#importFailed(startedMs);
      throw failure(
        { kind: "terminal" },
        "ImportTimedOut",
        `API Management did not finish the import within ${
          Math.round(this.#ctx.settings.importBudgetMs / 60_000)
        } minutes (started ${op.startedAt})`,
      );
    }
    const result = await pollOperation(this.#ctx.arm, op, {
      signal: this.#signal,
    });
    switch (result.state) {
      case "running":
        this.#logger.info("⌛ APIM async import still in progress", {
          startedAt: op.startedAt,
          retryAfterMs: result.retryAfterMs,
        });
        if (result.operation.url !== op.url) {
          this.#api = await patchStatus(this.#ctx.kinds.apimApis, this.#api, {
            pendingOperation: {
              ...record,
              ...operationRecord(
                result.operation,
                record.documentDigest ?? "",
                record.created === true,
              ),
            },
          }, this.#signal);
        }
        return requeueAfter(result.retryAfterMs);
      case "failed": {
        this.#logger.error(
          "❌ APIM async import did not complete successfully",
          {
            code: result.error.code,
            message: result.error.message,
          },
        );
        await this.#importFailed(startedMs);
        throw result.error;
      }
      case "succeeded": {
        this.#logger.info("✅ APIM async import completed", {
          startedAt: op.startedAt,
        });
        this.#logger.info("✅ API imported to APIM", { hash: op.desiredHash });
        this.#ctx.metrics.observeImport(
          "succeeded",
          this.#ctx.clock.now() - startedMs,
        );
        // The final poll answer is the API (2022-08-01 and 2024-05-01 alike); read it only if not.
        const parsed = apiContractSchema.safeParse(result.body);
        const api = parsed.success
          ? parsed.data
          : (await getApi(this.#ctx.arm, this.#apiRef(service)))?.entity;
        return {
          desiredHash: op.desiredHash ?? "",
          documentDigest: record.documentDigest ?? "",
          api,
          created: record.created === true,
          imported: true,
          revision: record.revision,
        };
      }
    }
  }

  /** Counts a failed import and forgets its operation (the failure is reported by the caller). */
  async #importFailed(startedMs: number): Promise<void> {
    this.#ctx.metrics.observeImport(
      "failed",
      this.#ctx.clock.now() - startedMs,
    );
    this.#api = await patchStatus(this.#ctx.kinds.apimApis, this.#api, {
      pendingOperation: null,
    }, this.#signal);
  }

  async #linkAll(
    service: ApimServiceRef,
    created: boolean,
  ): Promise<{ products: string[]; tags: string[] }> {
    const apiId = this.#api.spec.APIID;
    const ref = { service, apiId };
    const status = this.#api.status;
    const arm = this.#ctx.arm;
    const [productsNow, tagsNow] = created ? [[], []] : await Promise.all([
      listApiProducts(arm, ref).then((list) => list.map((p) => p.name)),
      listApiTags(arm, ref).then((list) => list.map((t) => t.name)),
    ]);
    const products = planLinks(
      this.#api.spec.productIds,
      productsNow,
      status?.linkedProducts ?? [],
    );
    const tags = planLinks(
      this.#api.spec.tagIds,
      tagsNow,
      status?.linkedTags ?? [],
    );
    for (const productId of products.add) {
      this.#logger.info("📦 Assigning API to product", { productId });
      await this.#linkOrExplain(
        "Product",
        productId,
        () => addApiToProduct(arm, { product: { service, productId }, apiId }),
      );
    }
    for (const productId of products.remove) {
      this.#logger.info("📦 Removing API from product", { productId });
      await removeApiFromProduct(arm, {
        product: { service, productId },
        apiId,
      });
    }
    for (const tagId of tags.add) {
      this.#logger.info("🔖 Assigning tag to API", { tagId });
      await this.#linkOrExplain(
        "Tag",
        tagId,
        () => assignTagToApi(arm, { api: ref, tagId }),
      );
    }
    for (const tagId of tags.remove) {
      this.#logger.info("🔖 Removing tag from API", { tagId });
      await removeTagFromApi(arm, { api: ref, tagId });
    }
    return {
      products: [...this.#api.spec.productIds],
      tags: [...this.#api.spec.tagIds],
    };
  }

  async #linkOrExplain(
    kind: "Product" | "Tag",
    id: string,
    link: () => Promise<unknown>,
  ) {
    try {
      await link();
    } catch (error) {
      if (error instanceof ArmError && error.status === 404) {
        // The product or tag may be created soon (its own CR); retry with backoff.
        throw failure(
          { kind: "backoff" },
          `${kind}NotFound`,
          `${kind} "${id}" does not exist in API Management instance "${this.#api.spec.apimService}": create it (e.g. with an APIM${kind} resource) or remove it from ${
            kind === "Product" ? "productIds" : "tagIds"
          }`,
        );
      }
      throw error;
    }
  }

  /**
   * Verifies that the new revision holds the desired document (its marker carries the hash), makes it
   * current with a release naming the rollout, and deletes revisions beyond the number to keep.
   */
  async #release(
    service: ApimService,
    imported: Imported,
    revision: string,
  ): Promise<void> {
    const ref = this.#apiRef(service);
    const marker = parseOwnerMarker(
      imported.api?.properties.apiRevisionDescription ?? undefined,
    );
    if (!marker || !markerHasHash(marker, imported.desiredHash)) {
      throw failure(
        { kind: "terminal" },
        "RevisionVerificationFailed",
        `Revision ${revision} of API "${ref.apiId}" does not hold the imported document; not releasing it`,
      );
    }
    const replicaSet = this.#deployment.spec.replicaSet;
    await createOrUpdateApiRelease(this.#ctx.arm, {
      api: ref,
      releaseId: releaseId(revision),
      properties: {
        apiId: apiResourceId({
          ...ref,
          apiId: revisionApiId(ref.apiId, revision),
        }),
        notes: releaseNotes(replicaSet?.name, replicaSet?.images ?? []),
      },
    });
    this.#logger.info("🚀 Released API revision", { revision });
    await this.#event(
      "Normal",
      "Released",
      `Released revision ${revision} of API "${ref.apiId}"`,
    );
    const revisions = await listApiRevisions(this.#ctx.arm, ref);
    const prune = revisionsToPrune(
      revisions.map(revisionFacts),
      this.#api.spec.revisions.keep,
    );
    for (const old of prune) {
      this.#logger.info("🧹 Deleting old API revision", { revision: old });
      await deleteApi(this.#ctx.arm, {
        api: { ...ref, apiId: revisionApiId(ref.apiId, old) },
        ifMatch: "*",
      });
    }
  }

  async #finish(service: ApimService, imported: Imported): Promise<Outcome> {
    if (imported.revision) {
      await this.#release(service, imported, imported.revision);
    }
    const links = await this.#linkAll(serviceRef(service), imported.created);
    const proxy = service.status?.proxyHostname ?? "";
    const portal = service.status?.developerPortalHostname;
    const apiHost = apiHostOf(proxy, this.#api.spec.routePrefix);
    const now = new Date(this.#ctx.clock.now()).toISOString();
    const revision = imported.revision ??
      imported.api?.properties.apiRevision ?? undefined;
    this.#api = await this.#report({
      state: "ready",
      reason: "Registered",
      message:
        `API "${this.#api.spec.APIID}" is registered in API Management at ${apiHost}`,
    }, {
      apiHost,
      ...(portal ? { developerPortalHost: `https://${portal}` } : {}),
      appliedHash: imported.desiredHash,
      documentDigest: imported.documentDigest,
      ...(imported.imported ? { importedAt: now } : {}),
      ...(revision ? { currentRevision: revision } : {}),
      registeredReplicaSet: {
        ...(this.#deployment.spec.replicaSet?.name
          ? { name: this.#deployment.spec.replicaSet.name }
          : {}),
        ...(this.#deployment.spec.replicaSet?.uid
          ? { uid: this.#deployment.spec.replicaSet.uid }
          : {}),
        generation: this.#deployment.spec.apimApiGeneration ??
          this.#api.metadata.generation ?? 0,
      },
      linkedProducts: links.products,
      linkedTags: links.tags,
      pendingOperation: null,
      lastError: null,
      retryAttempts: null,
    });
    this.#logger.info("📝 APIMAPI status patched after import", { apiHost });
    if (imported.imported) {
      await this.#event(
        "Normal",
        "Imported",
        `Imported the OpenAPI document into API "${this.#api.spec.APIID}"`,
      );
    }
    this.#ctx.metrics.countRegistration("succeeded");
    await this.#ctx.kinds.apimApiDeployments.delete(
      this.#deployment.metadata.name,
      {
        namespace: this.#owner.namespace,
        ...(this.#deployment.metadata.uid
          ? { preconditions: { uid: this.#deployment.metadata.uid } }
          : {}),
        signal: this.#signal,
      },
    ).catch((error) => {
      this.#logger.warn(
        "Could not delete the APIMAPIDeployment after success",
        {
          error: error instanceof Error ? error.message : String(error),
        },
      );
    });
    return DONE;
  }

  async #fail(error: unknown): Promise<never> {
    const failed = describeFailure(error);
    const terminal = failed.decision.kind === "terminal";
    this.#logger.error("🚫 Failed to import API", {
      reason: failed.reason,
      message: failed.message,
      retry: failed.decision.kind,
    });
    try {
      await this.#report(
        failureVerdict(failed),
        {
          lastError: {
            code: failed.reason,
            message: failed.message,
            at: new Date(this.#ctx.clock.now()).toISOString(),
          },
          retryAttempts: terminal
            ? null
            : (this.#api.status?.retryAttempts ?? 0) + 1,
        },
      );
      await this.#setPhase(terminal ? "Failed" : "Pending", failed.message, {
        retryToken: this.#api.metadata.annotations?.[RETRY_ANNOTATION] ?? "",
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
    throw new ReportedFailure(failed);
  }

  async #report(verdict: StatusVerdict, fields: StatusPatch): Promise<ApimApi> {
    this.#api = await reportApiVerdict(
      this.#ctx,
      this.#api,
      verdict,
      fields,
      this.#signal,
    );
    return this.#api;
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
    );
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
