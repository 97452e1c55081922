// One registration pass of an APIMAPIDeployment: runs the steps nextRegistrationStep picks until one ends the pass.
import { getApi, listApiRevisions, updateApi } from "../azure/apim_apis.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type { ApimApiDeployment } from "../crd/apim_api_deployment.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { type Outcome, requeueAfter } from "../kube/run_controller.ts";
import { CONDITION_LIMITS, truncated } from "../reconcile/conditions.ts";
import { desiredApi } from "../reconcile/desired_api.ts";
import { nextRegistrationStep } from "../reconcile/plan_registration.ts";
import type { RegistrationStep } from "../reconcile/registration_facts.ts";
import { describeFailure, type Failure, ReportedFailure } from "./failure.ts";
import { observedApi } from "./observed_api.ts";
import type { OperatorContext } from "./operator_context.ts";
import { claimApi } from "./registration_claim.ts";
import { fetchDocument, preflight } from "./registration_document.ts";
import { finish, releaseVerified } from "./registration_finish.ts";
import { API_REMOVED, linkAll, revisionFacts } from "./registration_links.ts";
import {
  pollRecorded,
  recordIntent,
  sendRecordedImport,
} from "./registration_operation.ts";
import { gatherFacts } from "./registration_gather.ts";
import { RegistrationPass } from "./registration_pass.ts";
import { retryToken } from "./registration_rules.ts";
import { carryPolicies } from "./revision_policies.ts";
import { requireService, serviceRef } from "./service_lookup.ts";
import { failureVerdict } from "./verdict_status.ts";

/** More steps than any pass takes: a decision loop would end here, not spin. */
const MAX_STEPS = 40;

function failure(
  decision: Failure["decision"],
  reason: string,
  message: string,
): ReportedFailure {
  return new ReportedFailure({ decision, reason, message });
}

/** Runs one registration pass for a deployment and its (freshly read) APIMAPI. */
export class Registration {
  readonly #pass: RegistrationPass;

  constructor(
    ctx: OperatorContext,
    deployment: ApimApiDeployment,
    api: ApimApi,
    signal: AbortSignal,
  ) {
    this.#pass = new RegistrationPass(ctx, deployment, api, signal);
  }

  /** Does the pass; errors are reported on both objects and rethrown as {@linkcode ReportedFailure}. */
  async run(): Promise<Outcome> {
    const pass = this.#pass;
    try {
      const service = this.#service();
      pass.ref = { service: serviceRef(service), apiId: pass.api.spec.APIID };
      pass.facts = gatherFacts(this.#pass, service);
      for (let i = 0; i < MAX_STEPS; i++) {
        const outcome = await this.#execute(
          nextRegistrationStep(pass.facts),
          service,
        );
        if (outcome) return outcome;
      }
      throw new Error(`Registration did not settle within ${MAX_STEPS} steps`);
    } catch (error) {
      return await this.#fail(error);
    } finally {
      // The next pass of this deployment starts from the phase this one wrote.
      await pass.phaseWritten();
    }
  }

  #service(): ApimService {
    const { ctx, api, owner } = this.#pass;
    return requireService(ctx, owner.namespace, api.spec.apimService);
  }

  /** Runs one step; an outcome ends the pass. */
  async #execute(
    step: RegistrationStep,
    service: ApimService,
  ): Promise<Outcome | undefined> {
    const pass = this.#pass;
    const arm = pass.ctx.arm;
    const f = pass.facts;
    switch (step.step) {
      case "wait":
        if (step.verdict) await pass.report(step.verdict, {});
        else await pass.persistRecord();
        return requeueAfter(
          step.afterPoll ? pass.sinceAnswer(step.delayMs) : step.delayMs,
        );
      case "fail":
        if (step.forgetOperation) pass.forget();
        throw failure({ kind: step.decision }, step.reason, step.message);
      case "operationFailed":
        pass.logger.error(
          "❌ APIM async import did not complete successfully",
          { code: pass.pollError?.code, message: pass.pollError?.message },
        );
        pass.observeImport("failed");
        pass.forget();
        throw pass.pollError ?? new Error("The import failed");
      case "poll":
        await pollRecorded(pass);
        return undefined;
      case "readTarget": {
        const current = await getApi(arm, pass.targetRef());
        f.target = observedApi(current?.entity, current?.etag);
        pass.body = current?.entity;
        return undefined;
      }
      case "forgetOperation":
        pass.forget();
        return undefined;
      case "applied":
        // The recorded import's document only when that import is what was applied: after an
        // import for an earlier rollout, the record stays while the pass decides again.
        pass.digest = (f.operation ? pass.record?.documentDigest : undefined) ??
          pass.doc?.digest;
        if (pass.record && f.operation) {
          pass.logger.info("✅ APIM async import completed", {
            startedAt: pass.record.startedAt,
          });
          pass.observeImport("succeeded");
          // The record stays in status until the pass finishes: a pass that fails later (a link
          // refused) finds the import done again instead of deciding as if nothing had been imported.
          f.operation = undefined;
          f.poll = undefined;
        }
        f.applied = step.applied;
        return undefined;
      case "decideAgain":
        pass.logger.info(
          "Import finished for an earlier rollout or spec; deciding again",
        );
        pass.facts = {
          ...gatherFacts(this.#pass, service),
          operation: undefined,
          desired: undefined,
          earlierImport: f.applied,
        };
        pass.body = undefined;
        return undefined;
      case "fetchDocument":
        await this.#fetchDocument();
        return undefined;
      case "readApi": {
        const current = await getApi(arm, pass.ref);
        f.observed = observedApi(current?.entity, current?.etag);
        pass.body = current?.entity;
        return undefined;
      }
      case "listRevisions":
        f.revisions = (await listApiRevisions(arm, pass.ref)).map(
          revisionFacts,
        );
        return undefined;
      case "recordIntent":
        await recordIntent(pass, step, service);
        return undefined;
      case "sendImport":
        return await sendRecordedImport(pass, step);
      case "patchApi": {
        pass.logger.info("🔧 Patching APIM service URL", {
          changes: Object.keys(step.changes),
        });
        const patched = await updateApi(arm, {
          api: pass.ref,
          properties: step.marker === undefined
            ? step.changes
            : { ...step.changes, apiRevisionDescription: step.marker },
          ifMatch: step.ifMatch,
        });
        pass.body = patched.entity;
        pass.ctx.metrics.countDriftCorrection("api-properties");
        f.patched = true;
        return undefined;
      }
      case "claimApi":
        await claimApi(pass, step, service);
        return undefined;
      case "carryPolicies":
        await carryPolicies(pass.ctx, {
          api: pass.api,
          service,
          revision: step.revision,
          logger: pass.logger,
        });
        f.policiesCarried = true;
        return undefined;
      case "release":
        await releaseVerified(pass, step.revision);
        f.released = true;
        // The released revision is the API now: read it before fixing what the import had to pin.
        f.observed = undefined;
        return undefined;
      case "link":
        pass.setPhase("Linking", "Linking products and tags");
        pass.links = await linkAll(
          { arm, api: pass.api, ref: pass.ref, logger: pass.logger },
          f.applied?.created === true,
          (adding) => pass.recordLinks(adding),
        ).catch((error: unknown) => {
          // The import no longer stands: the next pass decides afresh instead of replaying it.
          if (describeFailure(error).reason === API_REMOVED) pass.forget();
          throw error;
        });
        f.linked = true;
        return undefined;
      case "finish":
        return await finish(pass, service);
    }
  }

  async #fetchDocument(): Promise<void> {
    const pass = this.#pass;
    pass.setPhase("Fetching", "Fetching the OpenAPI document");
    const doc = await fetchDocument(
      pass.ctx,
      pass.deployment.spec.openApiDefinitionUrl,
      pass.logger,
      pass.signal,
    );
    const checked = await preflight(
      pass.ctx,
      pass.api,
      doc,
      pass.logger,
      pass.signal,
    );
    pass.api = checked.api;
    pass.doc = doc;
    if (checked.error) {
      pass.facts.preflightError = checked.error;
      return;
    }
    pass.facts.desired = desiredApi(
      pass.api.spec,
      {
        digest: doc.digest,
        format: doc.importFormat,
        title: doc.title,
        description: doc.description,
      },
      pass.owner,
      pass.versionSet?.resourceId,
    );
  }

  async #fail(error: unknown): Promise<never> {
    const pass = this.#pass;
    const failed = describeFailure(error);
    const terminal = failed.decision.kind === "terminal";
    if (!pass.signal.aborted) {
      const fields = {
        reason: failed.reason,
        message: failed.message,
        retry: failed.decision.kind,
      };
      if (failed.expected) {
        pass.logger.info(
          "⏳ Waiting for API Management's lock on the API",
          fields,
        );
      } else pass.logger.error("🚫 Failed to import API", fields);
      try {
        await pass.report(failureVerdict(failed), {
          lastError: {
            code: failed.reason,
            message: truncated(failed.message, CONDITION_LIMITS.message),
            at: new Date(pass.ctx.clock.now()).toISOString(),
          },
          retryAttempts: terminal
            ? null
            : (pass.api.status?.retryAttempts ?? 0) + 1,
          ...(pass.releaseIdentity ? { registeredApi: null } : {}),
        });
        pass.setPhase(terminal ? "Failed" : "Pending", failed.message, {
          retryToken: retryToken(pass.api),
        });
      } catch (reportError) {
        pass.logger.warn("Could not record the failure in status", {
          error: reportError instanceof Error
            ? reportError.message
            : String(reportError),
        });
      }
      if (terminal) {
        pass.ctx.metrics.countRegistration("failed");
        await pass.event("Warning", failed.reason, failed.message);
      }
    }
    throw new ReportedFailure(failed);
  }
}
