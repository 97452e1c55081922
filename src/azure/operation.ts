// ARM long-running operations as plain values: start one from a write's answer, poll it once per call.
//
//   write (PUT/DELETE) --startOperationFromResponse--> finished
//                                                  \-> pending: PendingOperation (stored in status)
//   pending --pollOperation (one GET)--> running (retryAfterMs, maybe a new URL) -> requeue, poll again
//                                    \-> succeeded (final body) | failed (ARM's error, verbatim)
//
// Poll URL preference: Azure-AsyncOperation while it yields a `status`, else Location, else the
// resource itself until its provisioningState is terminal. Recorded APIM traffic at 2024-05-01
// answers the Azure-AsyncOperation URL with `{"status": "Succeeded"}` (API DELETE and other
// APIM writes: test/fixtures/azure-recordings/aso-…20240501#82, #26, #30), and that is the URL
// clients poll (the Azure SDKs, as recorded); its Location poll is not recorded. Older
// api-versions send Location only (net-ApiRevisionTests#2). An Azure-AsyncOperation answer
// without `status` (`200 {"value":[]}` at 2021-08-01, terraform-provider-azurerm#22771) makes
// the poller watch the resource instead.

import { z } from "zod";
import type { ArmClient } from "./arm_client.ts";
import type { ArmResponse } from "./arm_response.ts";
import { ArmError, ArmResponseError, ArmTransportError } from "./arm_error.ts";
import { parseRetryAfterMs } from "./arm_headers.ts";

/** What the operation does; a controller resumes differently per kind. */
export type OperationKind = "import" | "create-or-update" | "delete";

/** Which URL the operation is polled at and how its answers read. */
export type PollKind = "location" | "async-operation" | "resource";

/** A running ARM operation, serialisable as JSON so a controller can store it and resume after a restart. */
export interface PendingOperation {
  kind: OperationKind;
  /** Absolute poll URL on the ARM origin. */
  url: string;
  pollKind: PollKind;
  /** ISO 8601 time the operation was accepted. */
  startedAt: string;
  /** Encoded ARM path of the resource the operation writes. */
  resourcePath: string;
  /** Hash of the desired state the operation applies (so a restart does not start it again). */
  desiredHash?: string | undefined;
}

/** Decodes a {@linkcode PendingOperation} read back from storage. */
export const pendingOperationSchema: z.ZodType<PendingOperation> = z.object({
  kind: z.enum(["import", "create-or-update", "delete"]),
  url: z.url(),
  pollKind: z.enum(["location", "async-operation", "resource"]),
  startedAt: z.iso.datetime({ offset: true }),
  resourcePath: z.string().startsWith("/"),
  desiredHash: z.string().optional(),
});

/** How a write ended up: finished now (with its answer), or accepted and running. */
export type OperationStart =
  | { state: "finished"; response: ArmResponse }
  | { state: "pending"; operation: PendingOperation; retryAfterMs: number };

/**
 * One poll's verdict. `running` carries the operation to store (its URL may have moved); `gone`
 * means the poll URL answered 404 (expired, or unknown to ARM): only a read of the resource tells
 * what happened.
 */
export type PollResult =
  | { state: "running"; retryAfterMs: number; operation: PendingOperation }
  | { state: "succeeded"; body: unknown; etag: string | undefined }
  | { state: "failed"; error: ArmError }
  | { state: "gone"; error: ArmError };

/** Options for {@linkcode startOperationFromResponse}. */
export interface StartOperationOptions {
  kind: OperationKind;
  desiredHash?: string;
  /** Wait when ARM sends no Retry-After (default 5 s). */
  defaultRetryAfterMs?: number;
}

/** Options for {@linkcode pollOperation}. */
export interface PollOperationOptions {
  /** Wait when ARM sends no Retry-After (default 5 s). */
  defaultRetryAfterMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_RETRY_AFTER_MS = 5_000;

/**
 * How long to wait before polling an operation that has run for `ageMs` when ARM sends no
 * Retry-After (APIM sends none on API operations; see test/sim/apim/DEVIATIONS.md): a quarter of
 * its age, between 1 s and 15 s, so a quick import is seen done quickly and a long one is not
 * polled more than about four times a minute.
 */
export function pollDelayMs(ageMs: number): number {
  return Math.round(Math.min(15_000, Math.max(1_000, ageMs / 4)));
}

const TERMINAL_STATES = new Set(["succeeded", "failed", "canceled"]);

// APIM has sent both `provisioningState` and `ProvisioningState` (reference A.2).
const provisioningSchema = z.looseObject({
  properties: z.looseObject({
    provisioningState: z.string().optional(),
    ProvisioningState: z.string().optional(),
  }),
});

const asyncOperationSchema = z.looseObject({
  status: z.string().optional(),
  error: z.looseObject({
    code: z.string().nullish(),
    message: z.string().nullish(),
    details: z.array(z.looseObject({
      code: z.string().nullish(),
      message: z.string().nullish(),
      target: z.string().nullish(),
    })).nullish(),
  }).nullish(),
});

function provisioningState(body: unknown): string | undefined {
  const parsed = provisioningSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { provisioningState, ProvisioningState } = parsed.data.properties;
  return provisioningState ?? ProvisioningState;
}

function isTerminal(state: string | undefined): boolean {
  return state === undefined || TERMINAL_STATES.has(state.toLowerCase());
}

function retryAfter(
  response: { headers: Headers },
  fallbackMs: number,
  now: number,
): number {
  return parseRetryAfterMs(response.headers.get("retry-after"), now) ??
    fallbackMs;
}

function withoutExtraQuery(url: string): string {
  const parsed = new URL(url);
  const apiVersion = parsed.searchParams.get("api-version");
  parsed.search = "";
  if (apiVersion) parsed.searchParams.set("api-version", apiVersion);
  return parsed.href;
}

function failedState(response: ArmResponse, state: string): ArmError {
  return new ArmError({
    method: response.method,
    path: response.path,
    status: response.status,
    code: `Provisioning${state.charAt(0).toUpperCase()}${state.slice(1)}`,
    message: `The resource provisioning state is "${state}"`,
  });
}

/**
 * Decides whether a write finished or is still running (reference A.2): finished only when the
 * answer is not 202, carries neither `Location` nor `Azure-AsyncOperation`, and its
 * `provisioningState` is absent or terminal. A running one is polled at its
 * Azure-AsyncOperation URL when it has one (see the module header).
 *
 * @throws {ArmError} when the answer says the provisioning already failed or was cancelled
 */
export function startOperationFromResponse(
  response: ArmResponse,
  options: StartOperationOptions,
): OperationStart {
  const location = response.headers.get("location");
  const asyncOperation = response.headers.get("azure-asyncoperation");
  const state = provisioningState(response.body);
  const finished = response.status !== 202 && !location && !asyncOperation &&
    isTerminal(state);
  if (finished) {
    if (state && state.toLowerCase() !== "succeeded") {
      throw failedState(response, state);
    }
    return { state: "finished", response };
  }
  const [url, pollKind]: [string, PollKind] = asyncOperation
    ? [asyncOperation, "async-operation"]
    : location
    ? [location, "location"]
    : [withoutExtraQuery(response.url), "resource"];
  return {
    state: "pending",
    operation: {
      kind: options.kind,
      url,
      pollKind,
      startedAt: new Date(response.receivedAt).toISOString(),
      resourcePath: response.path,
      desiredHash: options.desiredHash,
    },
    retryAfterMs: retryAfter(
      response,
      options.defaultRetryAfterMs ?? DEFAULT_RETRY_AFTER_MS,
      response.receivedAt,
    ),
  };
}

/** Whether the operation has run longer than `budgetMs` (default 30 min) at `nowMs`. */
export function isOperationOverdue(
  operation: PendingOperation,
  nowMs: number,
  budgetMs: number = 30 * 60_000,
): boolean {
  return nowMs - Date.parse(operation.startedAt) > budgetMs;
}

// A failed poll that says nothing about the operation: throttled, ARM trouble, auth after refresh.
function isTransientPollFailure(error: unknown): boolean {
  if (error instanceof ArmTransportError || error instanceof ArmResponseError) {
    return true;
  }
  return error instanceof ArmError &&
    (error.status === 401 || error.status === 408 || error.status === 429 ||
      error.status >= 500);
}

/**
 * Polls `operation` with exactly one GET (no retries inside; a 401 still gets one fresh token).
 * A 4xx answer of a `Location` poll is the operation's failure, ARM's error verbatim, except 404
 * (`gone`: the caller reads the resource); transient failures (408, 429, 5xx, 401 after the refresh,
 * transport, unreadable bodies) are `running` with a delay, never a failure, so a caller never
 * starts the operation a second time.
 *
 * @throws {UntrustedUrlError} when the poll URL is not on the ARM origin (nothing is sent)
 */
export async function pollOperation(
  client: ArmClient,
  operation: PendingOperation,
  options: PollOperationOptions = {},
): Promise<PollResult> {
  const fallbackMs = options.defaultRetryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
  const running = (
    retryAfterMs: number,
    next: PendingOperation = operation,
  ): PollResult => ({ state: "running", retryAfterMs, operation: next });
  let response: ArmResponse;
  try {
    response = await client.request({
      method: "GET",
      url: operation.url,
      retry: false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (isTransientPollFailure(error)) {
      return running(
        error instanceof ArmError && error.retryAfterMs !== undefined
          ? error.retryAfterMs
          : fallbackMs,
      );
    }
    if (!(error instanceof ArmError)) throw error;
    return pollFailure(client, operation, error, fallbackMs);
  }
  const delay = retryAfter(response, fallbackMs, response.receivedAt);
  if (operation.pollKind === "async-operation") {
    return asyncOperationStatus(client, operation, response, delay);
  }
  if (response.status === 202) {
    const moved = response.headers.get("location");
    return running(
      delay,
      moved && operation.pollKind === "location"
        ? { ...operation, url: moved }
        : operation,
    );
  }
  return finalAnswer(response, running(delay));
}

// The poll answered 4xx (not transient): what that means depends on what was polled.
function pollFailure(
  client: ArmClient,
  operation: PendingOperation,
  error: ArmError,
  retryAfterMs: number,
): PollResult {
  const gone = error.status === 404;
  switch (operation.pollKind) {
    case "location":
      return gone ? { state: "gone", error } : { state: "failed", error };
    case "async-operation":
      // Unknown (expired) operation id: like an expired Location, only a read can tell.
      if (gone) return { state: "gone", error };
      // The status read failed, not the operation: watch the resource instead.
      return {
        state: "running",
        retryAfterMs,
        operation: resourcePolling(client, operation),
      };
    case "resource":
      if (!gone) return { state: "failed", error };
      // A deleted resource is gone; one being created stays invisible (404) until it completes.
      return operation.kind === "delete"
        ? { state: "gone", error }
        : { state: "running", retryAfterMs, operation };
  }
}

function resourcePolling(
  client: ArmClient,
  operation: PendingOperation,
): PendingOperation {
  const url = new URL(operation.resourcePath, client.origin);
  url.searchParams.set("api-version", client.apiVersion);
  return { ...operation, url: url.href, pollKind: "resource" };
}

function asyncOperationStatus(
  client: ArmClient,
  operation: PendingOperation,
  response: ArmResponse,
  delay: number,
): PollResult {
  const parsed = asyncOperationSchema.safeParse(response.body);
  const status = parsed.success ? parsed.data.status : undefined;
  if (!status || !parsed.success) {
    // APIM has answered `200 {"value":[]}` here (reference A.11): no status, so watch the resource.
    return {
      state: "running",
      retryAfterMs: delay,
      operation: resourcePolling(client, operation),
    };
  }
  if (!isTerminal(status)) {
    return { state: "running", retryAfterMs: delay, operation };
  }
  if (status.toLowerCase() === "succeeded") {
    return { state: "succeeded", body: undefined, etag: undefined };
  }
  const detail = parsed.data.error;
  return {
    state: "failed",
    error: new ArmError({
      method: response.method,
      path: response.path,
      status: response.status,
      code: detail?.code || `Operation${status}`,
      message: detail?.message || `The operation ended with status "${status}"`,
      details: (detail?.details ?? []).map((d) => ({
        code: d.code ?? "",
        message: d.message ?? "",
        ...(typeof d.target === "string" ? { target: d.target } : {}),
      })),
    }),
  };
}

function finalAnswer(
  response: ArmResponse,
  stillRunning: PollResult,
): PollResult {
  const state = provisioningState(response.body);
  if (!isTerminal(state)) return stillRunning;
  if (state && state.toLowerCase() !== "succeeded") {
    return { state: "failed", error: failedState(response, state) };
  }
  return { state: "succeeded", body: response.body, etag: response.etag };
}
