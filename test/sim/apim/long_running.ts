// APIM long-running operations: async import/delete bookkeeping, the API lock (409), Location and Azure-AsyncOperation polling.

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
import {
  type ApiProperties,
  nameKey,
  serviceResourceId,
  type ServiceState,
} from "./store.ts";

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
  /** Properties the running operation will write; their path counts as taken meanwhile. */
  reserves?: ApiProperties;
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

/** Registry of operations by asyncId and of the API locks they hold while running. */
export class LongRunningOperations {
  readonly #clock: Clock;
  readonly #byId = new Map<string, AsyncOperation>();
  readonly #running = new Map<string, AsyncOperation>();

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
    this.#running.set(lockKey(spec.service, spec.apiRoot), op);
    this.#prune();
    return op;
  }

  /** Records an operation that finished at once (2024-05-01 writes answered in LRO shape). */
  finished(spec: AsyncOperationSpec): AsyncOperation {
    const op = this.start(spec);
    this.#complete(op);
    return op;
  }

  /** The running operation holding the lock on an API, if any. */
  running(service: ServiceState, apiRoot: string): AsyncOperation | undefined {
    return this.#running.get(lockKey(service, apiRoot));
  }

  /** Every running operation (for state snapshots). */
  allRunning(): AsyncOperation[] {
    return [...this.#running.values()];
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
    for (const op of [...this.#running.values()]) {
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
    this.#running.delete(lockKey(op.service, op.apiRoot));
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

/** 409 PessimisticConcurrencyConflict when an operation on the API is running. */
export function assertApiNotLocked(ctx: RequestContext, apiRoot: string): void {
  if (ctx.runtime.operations.running(ctx.service, apiRoot)) {
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

/** Location, Azure-AsyncOperation and Retry-After for an operation (Location only for 2022-08-01). */
export function operationHeaders(
  ctx: RequestContext,
  op: AsyncOperation,
): Record<string, string> {
  const { baseUrl, knobs } = ctx.runtime;
  const headers: Record<string, string> = {
    location: locationUrl(baseUrl, op),
    "retry-after": String(knobs.pollRetryAfterSeconds),
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
      "retry-after": String(ctx.runtime.knobs.pollRetryAfterSeconds),
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
  const error = op.outcome && !op.outcome.ok
    ? op.outcome.error.body().error
    : undefined;
  return jsonResponse(
    200,
    compact({
      id: `${serviceResourceId(op.service)}/tenant/operationResults/${op.id}`,
      name: op.id,
      status: statusOf(op),
      startTime: new Date(op.startedAt).toISOString(),
      endTime: op.endedAt === null
        ? undefined
        : new Date(op.endedAt).toISOString(),
      error,
    }),
    op.outcome ? {} : {
      "retry-after": String(ctx.runtime.knobs.pollRetryAfterSeconds),
    },
  );
}

/** `GET .../tenant/operationResults/{operationId}` (the Azure-AsyncOperation URL). */
export const operationResultRoutes: Route[] = [{
  pattern: ["tenant", "operationResults", ":operationId"],
  handlers: { GET: getOperationResult },
}];
