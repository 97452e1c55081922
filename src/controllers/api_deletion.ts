// One deletion pass of an APIMAPI: runs the steps nextDeletionStep picks, at the identity recorded in status.
import { deleteApi, lookupApi } from "../azure/apim_apis.ts";
import { apiPath, type ApiRef } from "../azure/apim_paths.ts";
import {
  isInstanceGone,
  writeOutcomeUnknown,
} from "../azure/classify_arm_error.ts";
import { ArmError } from "../azure/arm_error.ts";
import { pollDelayMs, pollOperation } from "../azure/operation.ts";
import type { ApimApi, PendingOperationRecord } from "../crd/apim_api.ts";
import { apimApis } from "../crd/resources.ts";
import { DONE, type Outcome, requeueAfter } from "../kube/run_controller.ts";
import type { Logger } from "../log.ts";
import type { StatusVerdict } from "../reconcile/conditions.ts";
import {
  type DeletionFacts,
  type DeletionStep,
  nextDeletionStep,
  type Release,
} from "../reconcile/plan_deletion.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import { involvedObject } from "./controller.ts";
import {
  deletionFailure,
  describeFailure,
  ReportedFailure,
} from "./failure.ts";
import { removeFinalizer } from "./finalizers.ts";
import { observedApi } from "./observed_api.ts";
import { failureVerdict } from "./verdict_status.ts";
import {
  operationFacts,
  pollableOperation,
  pollFacts,
  withPollUrl,
} from "./operation_record.ts";
import type { OperatorContext } from "./operator_context.ts";
import { instanceRef, lookupService, serviceRef } from "./service_lookup.ts";

/** Reads while a write whose answer was lost may still land. */
const RECHECK_MS = 5_000;
const MAX_STEPS = 20;

/** Where the API is: the identity recorded at registration, else (objects from before) the APIMService's. */
function registeredRef(
  ctx: OperatorContext,
  api: ApimApi,
): ApiRef | undefined {
  const recorded = api.status?.registeredApi;
  if (recorded) {
    return { service: instanceRef(recorded), apiId: recorded.apiId };
  }
  const service = lookupService(
    ctx,
    api.metadata.namespace,
    api.spec.apimService,
  );
  const touched = api.status?.appliedHash !== undefined ||
    api.status?.pendingOperation !== undefined;
  if (!service || !touched) return undefined;
  return { service: serviceRef(service), apiId: api.spec.APIID };
}

/** Runs one deletion pass for an APIMAPI read fresh from the API server; resolves when it is let go or waits. */
export class ApiDeletion {
  readonly #ctx: OperatorContext;
  readonly #signal: AbortSignal;
  readonly #logger: Logger;
  #api: ApimApi;
  #record: PendingOperationRecord | undefined;
  readonly #ref: ApiRef | undefined;
  readonly #facts: DeletionFacts;
  #pollError: ArmError | undefined;

  constructor(ctx: OperatorContext, api: ApimApi, signal: AbortSignal) {
    this.#ctx = ctx;
    this.#api = api;
    this.#signal = signal;
    this.#record = api.status?.pendingOperation;
    this.#ref = registeredRef(ctx, api);
    this.#logger = ctx.logger.child({
      controller: "apimapi",
      namespace: api.metadata.namespace,
      name: api.metadata.name,
      apiId: api.spec.APIID,
    });
    this.#facts = {
      now: ctx.clock.now(),
      unknownOutcomeSettleMs: ctx.settings.unconfirmedWriteWaitMs,
      recheckMs: RECHECK_MS,
      owner: {
        namespace: api.metadata.namespace ?? "",
        name: api.metadata.name,
      },
      apiId: this.#ref?.apiId ?? api.spec.APIID,
      policy: api.spec.deletionPolicy,
      adopted: api.status?.adopted === true,
      identityKnown: this.#ref !== undefined,
      serviceGone: !lookupService(
        ctx,
        api.metadata.namespace,
        api.spec.apimService,
      ),
      operation: operationFacts(this.#record),
    };
  }

  /**
   * Runs steps until the APIMAPI is let go or must wait. A failure is shown in its Ready condition
   * (Events cannot be created in a namespace being deleted) with the operation as this pass left
   * it, and retried with backoff ({@linkcode deletionFailure}).
   */
  async run(): Promise<Outcome> {
    try {
      for (let i = 0; i < MAX_STEPS; i++) {
        const outcome = await this.#execute(nextDeletionStep(this.#facts));
        if (outcome) return outcome;
      }
      throw new Error(`Deletion did not settle within ${MAX_STEPS} steps`);
    } catch (error) {
      if (this.#signal.aborted || error instanceof ReportedFailure) throw error;
      const failure = deletionFailure(describeFailure(error));
      await this.#report(failureVerdict(failure)).catch(() => {});
      throw new ReportedFailure(failure);
    }
  }

  #requireRef(): ApiRef {
    if (!this.#ref) throw new Error("No API identity to delete");
    return this.#ref;
  }

  async #execute(step: DeletionStep): Promise<Outcome | undefined> {
    const f = this.#facts;
    switch (step.step) {
      case "wait":
        await this.#writeStatus(step.reason, step.message);
        return requeueAfter(step.delayMs);
      case "poll": {
        const op = this.#record ? pollableOperation(this.#record) : undefined;
        if (!this.#record || !op) {
          f.poll = { state: "gone" };
          return undefined;
        }
        const result = await pollOperation(this.#ctx.arm, op, {
          defaultRetryAfterMs: pollDelayMs(
            this.#ctx.clock.now() - Date.parse(op.startedAt),
          ),
          signal: this.#signal,
        });
        f.poll = pollFacts(result);
        if (result.state === "failed") this.#pollError = result.error;
        if (result.state === "running" && result.operation.url !== op.url) {
          this.#record = withPollUrl(this.#record, result.operation);
        }
        return undefined;
      }
      case "readApi": {
        const found = await lookupApi(this.#ctx.arm, this.#requireRef());
        f.target = found.state === "found"
          ? observedApi(found.api.entity, found.api.etag)
          : found.state === "absent"
          ? { exists: false }
          : { exists: false, instanceGone: true };
        return undefined;
      }
      case "forgetOperation":
        this.#forget();
        return undefined;
      case "deleteFailed": {
        this.#forget();
        const message = `API Management could not delete API "${f.apiId}": ${
          this.#pollError?.message ?? "the operation failed"
        }; deleting it again`;
        await this.#writeStatus("DeleteFailed", message);
        // Retried with backoff: a delete that failed once may well succeed later.
        throw new ReportedFailure({
          decision: { kind: "backoff" },
          reason: "DeleteFailed",
          message,
        });
      }
      case "recordIntent":
        this.#record = {
          kind: "delete",
          startedAt: new Date(step.operation.startedAt).toISOString(),
          resourcePath: String(apiPath(this.#requireRef())),
        };
        await this.#writeStatus(
          "Deleting",
          `Deleting API "${f.apiId}" from API Management`,
        );
        f.operation = operationFacts(this.#record);
        f.intentRecorded = true;
        return undefined;
      case "sendDelete":
        return await this.#sendDelete();
      case "release":
        return await this.#release(step.release);
    }
  }

  #forget(): void {
    this.#record = undefined;
    this.#facts.operation = undefined;
    this.#facts.intentRecorded = false;
    this.#facts.poll = undefined;
    this.#facts.target = undefined;
  }

  async #sendDelete(): Promise<Outcome | undefined> {
    const ref = this.#requireRef();
    const record = this.#record;
    this.#facts.intentRecorded = false;
    let start;
    try {
      start = await deleteApi(this.#ctx.arm, {
        api: ref,
        ifMatch: "*",
        deleteRevisions: true,
      });
    } catch (error) {
      if (this.#signal.aborted) throw error;
      if (
        isInstanceGone(error) ||
        (error instanceof ArmError && error.status === 404)
      ) {
        this.#forget();
        this.#facts.target = isInstanceGone(error)
          ? { exists: false, instanceGone: true }
          : { exists: false };
        return undefined;
      }
      if (writeOutcomeUnknown(error)) {
        await this.#writeStatus(
          "Deleting",
          `The answer to the delete of API "${ref.apiId}" was lost; checking before sending it again`,
        );
        return requeueAfter(RECHECK_MS);
      }
      // Refused (e.g. the API is locked by a running operation): nothing was applied.
      this.#forget();
      throw error;
    }
    if (start.state === "pending" && record) {
      this.#record = withPollUrl(record, start.operation);
      await this.#writeStatus(
        "Deleting",
        `API Management is deleting API "${ref.apiId}"`,
      );
      return requeueAfter(start.retryAfterMs);
    }
    this.#forget();
    this.#facts.target = { exists: false };
    return await this.#release({
      type: "Normal",
      reason: "Deleted",
      note: `Deleted API "${ref.apiId}" and its revisions from API Management`,
    });
  }

  /** Records why the deletion waits, with the operation as this pass knows it. */
  async #writeStatus(reason: string, message: string): Promise<void> {
    await this.#report({ state: "progressing", reason, message });
  }

  /** Records `verdict`, with the operation as this pass knows it. */
  async #report(verdict: StatusVerdict): Promise<void> {
    const seen = this.#api;
    this.#api = await reportApiVerdict(
      this.#ctx,
      seen,
      verdict,
      { pendingOperation: this.#record ?? null },
      this.#signal,
      (fresh) =>
        JSON.stringify(fresh.status?.pendingOperation ?? null) ===
          JSON.stringify(seen.status?.pendingOperation ?? null),
    );
  }

  async #release(release: Release): Promise<Outcome> {
    const fields = { reason: release.reason };
    if (release.type === "Warning") this.#logger.warn(release.note, fields);
    else this.#logger.info(release.note, fields);
    await this.#ctx.events.record(involvedObject(apimApis, this.#api), {
      type: release.type,
      reason: release.reason,
      note: release.note,
    });
    await removeFinalizer(this.#ctx.kinds.apimApis, this.#api, this.#signal);
    return DONE;
  }
}
