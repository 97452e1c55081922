// The state of one registration pass and the status writes every step uses (verdict, operation record, phase, Events).
import type { ApiRef } from "../azure/apim_paths.ts";
import type { ApiContract } from "../azure/apim_schemas.ts";
import type { ArmError } from "../azure/arm_error.ts";
import type { ApimApi, PendingOperationRecord } from "../crd/apim_api.ts";
import type {
  ApimApiDeployment,
  DeploymentPhase,
} from "../crd/apim_api_deployment.ts";
import { apimApis } from "../crd/resources.ts";
import type { Logger } from "../log.ts";
import type { OpenApiDocument } from "../openapi/parse_document.ts";
import type { StatusVerdict } from "../reconcile/conditions.ts";
import type { OwnerRef } from "../reconcile/desired_api.ts";
import type { RegistrationFacts } from "../reconcile/registration_facts.ts";
import { revisionApiId } from "../reconcile/plan_revisions.ts";
import { reportApiVerdict } from "./apim_api_status.ts";
import { involvedObject } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";
import type { Links } from "./registration_links.ts";
import {
  patchStatus,
  patchStatusRetrying,
  type StatusPatch,
} from "./status_patch.ts";
import type { UsableVersionSet } from "./version_set_lookup.ts";

/** A recorded write that leaves later than this after its record (pacing, a 429's wait) is recorded again. */
export const RESTAMP_AFTER_MS = 1_000;

function sameRecord(
  a: PendingOperationRecord | undefined,
  b: PendingOperationRecord | undefined,
): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** What a pass knows and holds; the steps read and update it. */
export class RegistrationPass {
  readonly ctx: OperatorContext;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  readonly owner: OwnerRef;
  deployment: ApimApiDeployment;
  api: ApimApi;
  /** The operation as this pass knows it; every status write persists it. */
  record: PendingOperationRecord | undefined;
  facts!: RegistrationFacts;
  ref!: ApiRef;
  doc: OpenApiDocument | undefined;
  /** The API (or revision) as APIM last answered: the import, a poll, or a read. */
  body: ApiContract | undefined;
  pollError: ArmError | undefined;
  /** When the last poll (or the import's acceptance) was answered: Retry-After counts from then. */
  answeredAt: number | undefined;
  links: Links | undefined;
  /** The digest of the document API Management holds now. */
  digest: string | undefined;
  /** The spec the pass decides on. */
  readonly #generation: number | undefined;
  /** Forget `status.registeredApi` with the failure (nothing was ever created there). */
  releaseIdentity = false;
  /** The version set the API joins, when it has one and it can be used. */
  versionSet: UsableVersionSet | undefined;
  /** The deployment's phase writes, one after another. */
  #phaseWrites: Promise<void> = Promise.resolve();
  /** The phase set but not yet sent. */
  #nextPhase: StatusPatch | undefined;

  constructor(
    ctx: OperatorContext,
    deployment: ApimApiDeployment,
    api: ApimApi,
    signal: AbortSignal,
  ) {
    this.ctx = ctx;
    this.deployment = deployment;
    this.api = api;
    this.signal = signal;
    this.record = api.status?.pendingOperation;
    this.#generation = api.metadata.generation;
    this.owner = {
      namespace: api.metadata.namespace ?? "",
      name: api.metadata.name,
    };
    this.logger = ctx.logger.child({
      controller: "apimapideployment",
      namespace: this.owner.namespace,
      name: this.owner.name,
      apiId: api.spec.APIID,
    });
  }

  /** The resource the recorded operation writes: the API, or its new revision. */
  targetRef(): ApiRef {
    const revision = this.record?.revision;
    return revision === undefined
      ? this.ref
      : { ...this.ref, apiId: revisionApiId(this.ref.apiId, revision) };
  }

  /** The delay left of `delayMs` counted from the last answer, so status writes do not make polls late. */
  sinceAnswer(delayMs: number): number {
    const from = this.answeredAt ?? this.ctx.clock.now();
    return Math.max(0, from + delayMs - this.ctx.clock.now());
  }

  /**
   * Whether the record of a sent write landed on an APIMAPI changed since the pass decided (a newer
   * spec, a deletion): the pass ends after that write, and the next one decides on the fresh object.
   */
  superseded(): boolean {
    return !this.#decidedOn(this.api);
  }

  /** Whether `api` is still the APIMAPI this pass decided on: the same spec, not being deleted. */
  #decidedOn(api: ApimApi): boolean {
    return !api.metadata.deletionTimestamp &&
      api.metadata.generation === this.#generation;
  }

  /** Forgets the operation (the next status write clears it). */
  forget(): void {
    this.record = undefined;
    this.facts.operation = undefined;
    this.facts.intentRecorded = false;
    this.facts.poll = undefined;
    this.facts.target = undefined;
  }

  /** Counts the recorded import's end in the import-duration metric. */
  observeImport(result: "succeeded" | "failed"): void {
    const started = Date.parse(this.record?.startedAt ?? "");
    if (Number.isNaN(started)) return;
    this.ctx.metrics.observeImport(result, this.ctx.clock.now() - started);
  }

  /**
   * Writes the verdict with the operation as this pass knows it. A concurrent write of other fields
   * is retried on a fresh read, unless the APIMAPI is being deleted, its spec changed, or someone
   * else changed the recorded operation: then the pass ends and runs again on fresh data. The
   * answer to a sent write (`answered`) is written whatever else changed while the recorded
   * operation is still this pass's: a deletion, and the pass after a spec edit, need its poll URL.
   */
  async report(
    verdict: StatusVerdict,
    fields: StatusPatch,
    options: { answered?: boolean } = {},
  ): Promise<void> {
    this.api = await reportApiVerdict(
      this.ctx,
      this.api,
      verdict,
      { ...fields, pendingOperation: this.record ?? null },
      this.signal,
      options.answered ? this.#sameRecord() : this.#unchanged(),
    );
  }

  /**
   * Whether a fresh read is still the APIMAPI this pass decided on: not being deleted, the same
   * spec, and the same recorded operation.
   */
  #unchanged(): (fresh: ApimApi) => boolean {
    const sameRecord = this.#sameRecord();
    return (fresh) => this.#decidedOn(fresh) && sameRecord(fresh);
  }

  /** Whether a fresh read still records the operation this pass last saw recorded. */
  #sameRecord(): (fresh: ApimApi) => boolean {
    const seen = this.api;
    return (fresh) =>
      sameRecord(fresh.status?.pendingOperation, seen.status?.pendingOperation);
  }

  /**
   * Adds the links about to be made to those recorded as made by this APIMAPI (nothing else); on a
   * concurrent write, only while the APIMAPI is still the one this pass decided on.
   */
  async recordLinks(adding: Links): Promise<void> {
    const union = (recorded: readonly string[] = [], more: string[]) => [
      ...recorded,
      ...more.filter((id) =>
        !recorded.some((r) => r.toLowerCase() === id.toLowerCase())
      ),
    ];
    this.api = await patchStatusRetrying(
      this.ctx.kinds.apimApis,
      this.api,
      (fresh) => ({
        linkedProducts: union(fresh.status?.linkedProducts, adding.products),
        linkedTags: union(fresh.status?.linkedTags, adding.tags),
      }),
      { signal: this.signal, accept: this.#unchanged() },
    );
  }

  /** Writes the operation as this pass knows it, nothing else. */
  async persistRecord(): Promise<void> {
    this.api = await patchStatusRetrying(
      this.ctx.kinds.apimApis,
      this.api,
      () => ({ pendingOperation: this.record ?? null }),
      { signal: this.signal, accept: this.#sameRecord() },
    );
  }

  /**
   * Before each attempt of the recorded write leaves: when it leaves well after its record (it
   * waited for a write slot or a 429's Retry-After), the record is written again with this start,
   * so the window in which a lost answer may still land counts from the send. A record that cannot
   * be written stops the attempt.
   */
  async recordSending(): Promise<void> {
    const record = this.record;
    if (!record) return;
    const now = this.ctx.clock.now();
    if (now - Date.parse(record.startedAt) < RESTAMP_AFTER_MS) return;
    this.record = { ...record, startedAt: new Date(now).toISOString() };
    await this.persistRecord();
  }

  /**
   * Sets the deployment's phase without waiting for the write: the phase is informational (a
   * failed write is not an error of the pass), so it stays off the registration's path. Writes go
   * out one at a time (each guarded by the resourceVersion the previous one returned), and a phase
   * set while another waits to be written replaces it. {@linkcode phaseWritten} waits for them.
   */
  setPhase(
    phase: DeploymentPhase,
    message: string,
    extra: StatusPatch = {},
  ): void {
    const waiting = this.#nextPhase !== undefined;
    this.#nextPhase = {
      phase,
      message,
      observedGeneration: this.deployment.metadata.generation ?? null,
      lastAttemptAt: new Date(this.ctx.clock.now()).toISOString(),
      ...extra,
    };
    if (waiting) return;
    this.#phaseWrites = this.#phaseWrites.then(async () => {
      const patch = this.#nextPhase ?? {};
      this.#nextPhase = undefined;
      this.deployment = await patchStatus(
        this.ctx.kinds.apimApiDeployments,
        this.deployment,
        patch,
        this.signal,
      ).catch(() => this.deployment);
    });
  }

  /** Resolves once every phase set so far was written (or given up). */
  phaseWritten(): Promise<void> {
    return this.#phaseWrites;
  }

  /** Records an Event on the APIMAPI. */
  async event(
    type: "Normal" | "Warning",
    reason: string,
    note: string,
  ): Promise<void> {
    await this.ctx.events.record(involvedObject(apimApis, this.api), {
      type,
      reason,
      note,
    });
  }
}
