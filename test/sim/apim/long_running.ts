// APIM long-running operations: async import/delete bookkeeping, the API lock (409), Location and Azure-AsyncOperation polling.
//
// Evidence (test/fixtures/azure-recordings): Location = the resource URL + `asyncId` + `asyncCode`
// (net-ApiRevisionTests#2, aso-…20240501#77); Azure-AsyncOperation (2024-05-01 only) =
// `.../tenant/operationResults/{asyncId}`, answering `{"status": "Succeeded"}` when done
// (aso-…20240501#82); no `Retry-After` on any APIM child-resource answer (every file). While an
// operation on an API runs, writes to the API and its children answer 409
// PessimisticConcurrencyConflict (apiops#141, #497), and APIM keeps the lock for a short while
// after the operation reported success (apiops-cli#252: the next call on the same API right after
// an import "succeeded" still got the 409): the `lockSettleMs` knob.

import { randomBytes } from "node:crypto";
import type { Clock } from "../../../src/util/clock.ts";
import { type ArmError, pessimisticConcurrencyConflict } from "./arm_error.ts";
import {
  type ApiVersion,
  param,
  type RequestContext,
  type Route,
} from "./context.ts";
import { emptyResponse, jsonResponse } from "./http.ts";
import { compact, type JsonValue } from "./json.ts";
import type { ApimKnobs } from "./knobs.ts";
import { nameKey, serviceResourceId, type ServiceState } from "./store.ts";

/** How a finished operation answers its Location poll. */
export type AsyncOutcome =
  | {
    ok: true;
    status: 200 | 201 | 204;
    body: JsonValue | null;
    etag: string | null;
  }
  | { ok: false; error: ArmError };

/** What an operation does, for the operation history (tests tell repeated imports apart by `content`). */
export interface OperationLabel {
  kind: "import" | "delete" | "write";
  /** The revision it writes or deletes. */
  revision?: string;
  /** For imports: digest of the document and the settings imported with it. */
  content?: string;
}

/** One operation as the history reports it. */
export interface OperationRecord {
  id: string;
  kind: OperationLabel["kind"];
  service: string;
  apiRoot: string;
  revision: string | null;
  content: string | null;
  startedAt: number;
  /** Null while it runs. */
  endedAt: number | null;
  /** Null while it runs. */
  succeeded: boolean | null;
  errorCode: string | null;
}

/** What starts an operation. */
export interface AsyncOperationSpec {
  service: ServiceState;
  /** API id (root) the operation locks. */
  apiRoot: string;
  /** Path (percent-encoded where needed) of the Location URL, e.g. `.../apis/petstore;rev=1`. */
  locationPath: string;
  apiVersion: ApiVersion;
  /** Final status announced in the Location URL (`asyncCode`). */
  asyncCode: 200 | 201 | 204;
  /** Applies the operation to the state when it completes and says how it ended. */
  finish: () => AsyncOutcome;
  /** Polls answered 202 before completion. */
  pollsBeforeDone: number;
  /** Completes by itself after this much clock time (null: only polls count). */
  durationMs: number | null;
  /** What it does (default: a write). */
  label?: OperationLabel;
}

/** A running or finished operation. */
export interface AsyncOperation extends AsyncOperationSpec {
  /** 24 hex digits, like APIM's asyncId. */
  id: string;
  startedAt: number;
  pollsAnswered: number;
  outcome: AsyncOutcome | null;
  endedAt: number | null;
}

const MAX_FINISHED = 10_000;

function lockKey(service: ServiceState, apiRoot: string): string {
  return nameKey(`${serviceResourceId(service)}/apis/${apiRoot}`);
}

/** Registry of operations by asyncId and of the API locks they hold. */
export class LongRunningOperations {
  readonly #clock: Clock;
  readonly #byId = new Map<string, AsyncOperation>();
  /** The latest operation on each API (it holds the lock while running and while settling). */
  readonly #latest = new Map<string, AsyncOperation>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Starts an operation; it holds the API lock until it completes. */
  start(spec: AsyncOperationSpec): AsyncOperation {
    const op: AsyncOperation = {
      ...spec,
      id: randomBytes(12).toString("hex"),
      startedAt: this.#clock.now(),
      pollsAnswered: 0,
      outcome: null,
      endedAt: null,
    };
    this.#byId.set(op.id, op);
    this.#latest.set(lockKey(spec.service, spec.apiRoot), op);
    this.#prune();
    return op;
  }

  /** Records an operation that finished at once (writes answered in LRO shape); it holds no lock. */
  finished(spec: AsyncOperationSpec): AsyncOperation {
    const now = this.#clock.now();
    const op: AsyncOperation = {
      ...spec,
      id: randomBytes(12).toString("hex"),
      startedAt: now,
      pollsAnswered: 0,
      outcome: spec.finish(),
      endedAt: now,
    };
    this.#byId.set(op.id, op);
    this.#prune();
    return op;
  }

  /**
   * The operation holding the lock on an API: one still running, or one that ended less than
   * `settleMs` ago.
   */
  lockHolder(
    service: ServiceState,
    apiRoot: string,
    settleMs: number,
  ): AsyncOperation | undefined {
    const key = lockKey(service, apiRoot);
    const op = this.#latest.get(key);
    if (!op) return undefined;
    if (op.endedAt === null || this.#clock.now() < op.endedAt + settleMs) {
      return op;
    }
    this.#latest.delete(key);
    return undefined;
  }

  /** Every operation still remembered (the newest 10 000), oldest first. */
  history(): OperationRecord[] {
    return [...this.#byId.values()].map((op) => ({
      id: op.id,
      kind: op.label?.kind ?? "write",
      service: op.service.name,
      apiRoot: op.apiRoot,
      revision: op.label?.revision ?? null,
      content: op.label?.content ?? null,
      startedAt: op.startedAt,
      endedAt: op.endedAt,
      succeeded: op.outcome ? op.outcome.ok : null,
      errorCode: op.outcome && !op.outcome.ok ? op.outcome.error.code : null,
    }));
  }

  /** An operation by asyncId. */
  get(id: string): AsyncOperation | undefined {
    return this.#byId.get(id.toLowerCase());
  }

  /** Completes the operations whose duration has elapsed. */
  settleDue(): void {
    const now = this.#clock.now();
    for (const op of [...this.#latest.values()]) {
      if (op.durationMs !== null && now - op.startedAt >= op.durationMs) {
        this.#complete(op);
      }
    }
  }

  /** One poll: counts it and completes the operation when it has been polled enough. */
  poll(op: AsyncOperation): void {
    if (op.outcome) return;
    if (op.pollsAnswered >= op.pollsBeforeDone) {
      this.#complete(op);
      return;
    }
    op.pollsAnswered += 1;
  }

  #complete(op: AsyncOperation): void {
    if (op.outcome) return;
    op.outcome = op.finish();
    op.endedAt = this.#clock.now();
  }

  #prune(): void {
    if (this.#byId.size <= MAX_FINISHED) return;
    for (const [id, op] of this.#byId) {
      if (this.#byId.size <= MAX_FINISHED) break;
      if (op.outcome) this.#byId.delete(id);
    }
  }
}

/** 409 PessimisticConcurrencyConflict while an operation on the API runs or settles. */
export function assertApiNotLocked(ctx: RequestContext, apiRoot: string): void {
  const { operations, knobs } = ctx.runtime;
  if (operations.lockHolder(ctx.service, apiRoot, knobs.lockSettleMs)) {
    throw pessimisticConcurrencyConflict();
  }
}

/** How long a simulated long-running operation takes, from the knobs. */
export function operationTiming(
  knobs: ApimKnobs,
): Pick<AsyncOperationSpec, "pollsBeforeDone" | "durationMs"> {
  return {
    pollsBeforeDone: knobs.importPolls,
    durationMs: knobs.importDurationMs,
  };
}

/** The Location URL: the resource URL plus `asyncId` and `asyncCode`. */
function locationUrl(baseUrl: string, op: AsyncOperation): string {
  return `${baseUrl}${op.locationPath}?api-version=${op.apiVersion}&asyncId=${op.id}&asyncCode=${op.asyncCode}`;
}

/** The Azure-AsyncOperation URL (`.../tenant/operationResults/{asyncId}`). */
function asyncOperationUrl(baseUrl: string, op: AsyncOperation): string {
  return `${baseUrl}${
    serviceResourceId(op.service)
  }/tenant/operationResults/${op.id}?api-version=${op.apiVersion}`;
}

/** `Retry-After` when the knob asks for one (APIM sends none on these answers). */
function retryAfterHeader(knobs: ApimKnobs): Record<string, string> {
  return knobs.pollRetryAfterSeconds === null
    ? {}
    : { "retry-after": String(knobs.pollRetryAfterSeconds) };
}

/** Location and (2024-05-01) Azure-AsyncOperation for an operation; Retry-After only by knob. */
export function operationHeaders(
  ctx: RequestContext,
  op: AsyncOperation,
): Record<string, string> {
  const { baseUrl, knobs } = ctx.runtime;
  const headers: Record<string, string> = {
    location: locationUrl(baseUrl, op),
    ...retryAfterHeader(knobs),
  };
  if (op.apiVersion !== "2022-08-01") {
    headers["azure-asyncoperation"] = asyncOperationUrl(baseUrl, op);
  }
  return headers;
}

/** Answers a GET of the Location URL: 202 while running, then the final status/body or the error. */
export function answerLocationPoll(
  ctx: RequestContext,
  op: AsyncOperation,
): Response {
  ctx.runtime.operations.poll(op);
  const outcome = op.outcome;
  if (!outcome) {
    return emptyResponse(202, {
      location: locationUrl(ctx.runtime.baseUrl, op),
      ...retryAfterHeader(ctx.runtime.knobs),
    });
  }
  if (!outcome.ok) {
    return jsonResponse(outcome.error.status, outcome.error.body());
  }
  const headers: Record<string, string> = outcome.etag === null
    ? {}
    : { etag: outcome.etag };
  return outcome.body === null
    ? emptyResponse(outcome.status, headers)
    : jsonResponse(outcome.status, outcome.body, headers);
}

function statusOf(op: AsyncOperation): string {
  if (!op.outcome) return "InProgress";
  return op.outcome.ok ? "Succeeded" : "Failed";
}

function getOperationResult(ctx: RequestContext): Response {
  const op = ctx.runtime.operations.get(param(ctx, "operationId"));
  if (!op || op.service !== ctx.service) {
    return jsonResponse(404, {
      error: {
        code: "ResourceNotFound",
        message: "Operation not found.",
        details: null,
      },
    });
  }
  ctx.runtime.operations.poll(op);
  if (ctx.runtime.knobs.asyncOperationBody === "emptyList") {
    return jsonResponse(200, { value: [] });
  }
  // Only `status` (aso-…20240501#26, #30, #82 answer `{"status":"Succeeded"}`); a failure adds ARM's `error`.
  const error = op.outcome && !op.outcome.ok
    ? op.outcome.error.body().error
    : undefined;
  return jsonResponse(
    200,
    compact({ status: statusOf(op), error }),
    op.outcome ? {} : retryAfterHeader(ctx.runtime.knobs),
  );
}

/** `GET .../tenant/operationResults/{operationId}` (the Azure-AsyncOperation URL). */
export const operationResultRoutes: Route[] = [{
  pattern: ["tenant", "operationResults", ":operationId"],
  handlers: { GET: getOperationResult },
}];
