// A registration's import operation: record the intent, send it once, poll it, and say what each answer means.
import { apiPath } from "../azure/apim_paths.ts";
import { apiContractSchema } from "../azure/apim_schemas.ts";
import { pollDelayMs, pollOperation } from "../azure/operation.ts";
import type { PendingOperationRecord } from "../crd/apim_api.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { type Outcome, requeueAfter } from "../kube/run_controller.ts";
import type { RegistrationStep } from "../reconcile/registration_facts.ts";
import { revisionApiId } from "../reconcile/plan_revisions.ts";
import {
  operationFacts,
  pollableOperation,
  pollFacts,
  withPollUrl,
} from "./operation_record.ts";
import { sendImport } from "./registration_import.ts";
import type { RegistrationPass } from "./registration_pass.ts";
import { registrationIdentity } from "./registration_rules.ts";
import { instanceChangedNote } from "./service_lookup.ts";

/** Reads while an import whose answer was lost may still land. */
export const RECHECK_MS = 5_000;

/** Polls the recorded operation once (an operation without a valid poll URL counts as gone). */
export async function pollRecorded(pass: RegistrationPass): Promise<void> {
  const record = pass.record;
  const op = record ? pollableOperation(record) : undefined;
  if (!record || !op) {
    // No (valid) poll URL: only a read can tell what the write did.
    pass.facts.poll = { state: "gone" };
    return;
  }
  const result = await pollOperation(pass.ctx.arm, op, {
    defaultRetryAfterMs: pollDelayMs(
      pass.ctx.clock.now() - Date.parse(op.startedAt),
    ),
    signal: pass.signal,
  });
  pass.answeredAt = pass.ctx.clock.now();
  pass.facts.poll = pollFacts(result);
  switch (result.state) {
    case "running":
      pass.logger.info(
        record.kind === "prune"
          ? "⌛ Old API revision still being deleted"
          : "⌛ APIM async import still in progress",
        { startedAt: op.startedAt, retryAfterMs: result.retryAfterMs },
      );
      if (result.operation.url !== op.url) {
        pass.record = withPollUrl(record, result.operation);
      }
      return;
    case "succeeded": {
      const parsed = apiContractSchema.safeParse(result.body);
      pass.body = parsed.success ? parsed.data : undefined;
      return;
    }
    case "failed":
      pass.pollError = result.error;
      return;
    case "gone":
      pass.logger.info(
        "The import's operation URL is gone; reading the API",
        { code: result.error.code },
      );
      return;
  }
}

/** Persists the import about to be sent, with where it goes (survives conflicts; refuses a deletion). */
export async function recordIntent(
  pass: RegistrationPass,
  step: Extract<RegistrationStep, { step: "recordIntent" }>,
  service: ApimService,
): Promise<void> {
  const op = step.operation;
  const target = op.revision === undefined
    ? pass.ref
    : { ...pass.ref, apiId: revisionApiId(pass.ref.apiId, op.revision) };
  const record: PendingOperationRecord = {
    kind: "import",
    startedAt: new Date(pass.ctx.clock.now()).toISOString(),
    resourcePath: String(apiPath(target)),
    ...(op.desiredHash === undefined ? {} : { desiredHash: op.desiredHash }),
    documentDigest: pass.doc?.digest ?? "",
    created: op.created,
    ...(op.revision === undefined ? {} : { revision: op.revision }),
    ...(op.trigger?.replicaSetUid === undefined
      ? {}
      : { replicaSetUid: op.trigger.replicaSetUid }),
    ...(op.trigger?.readySet === undefined
      ? {}
      : { readySet: op.trigger.readySet }),
    ...(op.trigger?.signal === undefined ? {} : { signal: op.trigger.signal }),
    ...(op.trigger ? { generation: op.trigger.generation } : {}),
  };
  if (step.adopting) {
    await pass.event(
      "Normal",
      "AdoptingAPI",
      `Taking over API "${pass.ref.apiId}", which exists in API Management without an owner`,
    );
  }
  const identity = registrationIdentity(service, pass.ref.apiId);
  const previous = pass.api.status?.registeredApi;
  if (previous && JSON.stringify(previous) !== JSON.stringify(identity)) {
    await pass.event(
      "Warning",
      "InstanceChanged",
      instanceChangedNote(
        pass.api.spec.apimService,
        `API "${previous.apiId}"`,
        previous,
      ),
    );
  }
  pass.record = record;
  await pass.report({
    state: "progressing",
    reason: "Importing",
    message: `Importing the OpenAPI document (${
      pass.doc?.operations.length ?? 0
    } operations) into API Management`,
  }, {
    registeredApi: identity,
    ...(step.adopting ? { adopted: true } : {}),
  });
  pass.facts.operation = operationFacts(record);
  pass.facts.intentRecorded = true;
}

/** Sends the recorded import; what its answer says ends the pass or moves it on. */
export async function sendRecordedImport(
  pass: RegistrationPass,
  step: Extract<RegistrationStep, { step: "sendImport" }>,
): Promise<Outcome | undefined> {
  const record = pass.record;
  const desired = pass.facts.desired;
  const doc = pass.doc;
  if (!record || !desired || !doc) {
    throw new Error("An import was decided without its document");
  }
  pass.setPhase("Importing", "API Management is importing");
  const sent = await sendImport(pass.ctx, {
    ref: { ...pass.ref, apiId: step.targetApiId },
    pinned: step.pinned,
    desired,
    doc,
    adopted: pass.api.status?.adopted === true,
    ifMatch: step.ifMatch,
    owner: pass.owner,
    logger: pass.logger,
    signal: pass.signal,
    beforeAttempt: () => pass.recordSending(),
  });
  pass.answeredAt = pass.ctx.clock.now();
  pass.facts.intentRecorded = false;
  // The record as the import left with it (its start moved to the send when that came late).
  const sentRecord = pass.record ?? record;
  switch (sent.state) {
    case "unknown":
      // The write may have landed: keep the record, so the next pass reads before any resend.
      await pass.report({
        state: "progressing",
        reason: "ConfirmingImport",
        message: sent.message,
        problem: true,
      }, {});
      return requeueAfter(RECHECK_MS);
    case "rejected":
      pass.forget();
      // A first import refused outright left nothing in Azure: the identity is not taken.
      pass.releaseIdentity = record.created === true &&
        pass.api.status?.appliedHash === undefined;
      throw sent.error;
    case "accepted": {
      pass.record = withPollUrl(sentRecord, sent.operation);
      pass.facts.operation = operationFacts(pass.record);
      pass.logger.info("⏳ Polling APIM async import status", {
        retryAfterMs: sent.retryAfterMs,
      });
      // Due at once (`Retry-After: 0`): the poll, a read, goes out alongside the write of its URL
      // instead of after it. Its answer counts only when that write succeeded.
      const polled = sent.retryAfterMs === 0 ? pollRecorded(pass) : undefined;
      const [written, poll] = await Promise.allSettled([
        pass.report(
          {
            state: "progressing",
            reason: "Importing",
            message:
              `API Management is importing the OpenAPI document (${doc.operations.length} operations)`,
          },
          {},
          { answered: true },
        ),
        polled,
      ]);
      if (written.status === "rejected") throw written.reason;
      if (pass.superseded()) {
        // The next pass decides on the fresh object, once the last answer's Retry-After is over.
        const last = polled ? pass.facts.poll : undefined;
        return requeueAfter(pass.sinceAnswer(
          last?.state === "running" ? last.retryAfterMs : sent.retryAfterMs,
        ));
      }
      if (poll.status === "rejected") throw poll.reason;
      if (polled) return undefined;
      // Due by now (the status write took longer than Retry-After): polled in this pass, not
      // after a round through the work queue. A poll answered "running" requeues as usual.
      const waitMs = pass.sinceAnswer(sent.retryAfterMs);
      return waitMs > 0 ? requeueAfter(waitMs) : undefined;
    }
    case "finished":
      // The record stays: the next pass reads the API, finds the import, and decides on the new spec.
      if (pass.superseded()) return requeueAfter(0);
      pass.digest = doc.digest;
      pass.observeImport("succeeded");
      pass.body = sent.api;
      pass.forget();
      pass.facts.applied = {
        desiredHash: desired.hash,
        trigger: pass.facts.trigger,
        imported: true,
        created: sentRecord.created === true,
        revision: sentRecord.revision,
      };
      return undefined;
  }
}
