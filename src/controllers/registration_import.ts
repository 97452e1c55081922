// Sends an import PUT exactly once and says what is known of it: accepted, finished, refused, or unknown.
import { createOrUpdateApi } from "../azure/apim_apis.ts";
import type { ApiRef } from "../azure/apim_paths.ts";
import type { ApiContract } from "../azure/apim_schemas.ts";
import { writeOutcomeUnknown } from "../azure/classify_arm_error.ts";
import type { PendingOperation } from "../azure/operation.ts";
import type { Logger } from "../log.ts";
import type { OpenApiDocument } from "../openapi/parse_document.ts";
import {
  type ImportPayload,
  payloadWithDescription,
} from "../openapi/revision_payload.ts";
import {
  type DesiredApi,
  ownerMarker,
  type OwnerRef,
} from "../reconcile/desired_api.ts";
import type { PinnedFields } from "../reconcile/registration_facts.ts";
import type { OperatorContext } from "./operator_context.ts";

/** What to import where. */
export interface ImportRequest {
  /** The API, or its new revision. */
  ref: ApiRef;
  desired: DesiredApi;
  doc: OpenApiDocument;
  /** The API was taken over: its marker says so (it is retained on deletion by default). */
  adopted: boolean;
  /** The ETag the decision read; a concurrent change (e.g. an earlier import landing) fails with 412. */
  ifMatch?: string | undefined;
  /** Into a non-current revision: the API's name, description, path and version, which must not change there. */
  pinned?: PinnedFields | undefined;
  owner: OwnerRef;
  logger: Logger;
  signal: AbortSignal;
  /** Runs right before each attempt leaves (see `ArmRequest.beforeAttempt`). */
  beforeAttempt: () => Promise<void>;
}

/** What is known of a sent import. */
export type ImportSent =
  | { state: "accepted"; operation: PendingOperation; retryAfterMs: number }
  | { state: "finished"; api: ApiContract }
  /** API Management refused it: nothing was applied. */
  | { state: "rejected"; error: unknown }
  /** The answer was lost or ambiguous: the import may be running. */
  | { state: "unknown"; message: string };

/**
 * Sends the import PUT. It is never re-sent inside the call after an answer that may hide an applied
 * write (timeouts, 5xx, 422): the caller keeps its record and reads what API Management holds first.
 * A cut-off by the caller's signal (shutdown, lost leadership) is thrown as is.
 */
export async function sendImport(
  ctx: OperatorContext,
  request: ImportRequest,
): Promise<ImportSent> {
  const { desired, doc, pinned } = request;
  let payload: ImportPayload;
  try {
    payload = pinned
      ? payloadWithDescription(doc, pinned.description)
      : { format: desired.format, value: doc.importValue };
  } catch (error) {
    // Too large to send: nothing was applied.
    return { state: "rejected", error };
  }
  const displayName = pinned ? pinned.displayName : desired.displayName;
  const apiVersion = pinned ? pinned.apiVersion : desired.apiVersion;
  request.logger.info("📤 Sending request to APIM", {
    method: "PUT",
    format: payload.format,
    path: desired.path,
    ifMatch: request.ifMatch ?? "none",
  });
  try {
    const result = await createOrUpdateApi(ctx.arm, {
      api: request.ref,
      properties: {
        format: payload.format,
        value: payload.value,
        path: pinned?.path ?? desired.path,
        serviceUrl: desired.serviceUrl,
        subscriptionRequired: desired.subscriptionRequired,
        apiRevisionDescription: ownerMarker(request.owner, desired.hash, {
          adopted: request.adopted,
          doc: desired.importHash,
        }),
        ...(displayName === undefined ? {} : { displayName }),
        ...(desired.protocols === undefined
          ? {}
          : { protocols: desired.protocols }),
        ...(desired.apiVersionSetId === undefined
          ? {}
          : { apiVersionSetId: desired.apiVersionSetId }),
        ...(apiVersion === undefined ? {} : { apiVersion }),
      },
      ...(request.ifMatch === undefined ? {} : { ifMatch: request.ifMatch }),
      desiredHash: desired.hash,
      retry: "rejected",
      beforeAttempt: request.beforeAttempt,
    });
    return result.state === "pending"
      ? {
        state: "accepted",
        operation: result.operation,
        retryAfterMs: result.retryAfterMs,
      }
      : { state: "finished", api: result.api.entity };
  } catch (error) {
    if (request.signal.aborted) throw error;
    if (!writeOutcomeUnknown(error)) return { state: "rejected", error };
    const message = error instanceof Error ? error.message : String(error);
    request.logger.warn(
      "The import's answer was lost; reading before any resend",
      {
        error: message,
      },
    );
    return {
      state: "unknown",
      message:
        `The answer to the import of API "${desired.apiId}" was lost (${message}); checking what API Management holds before sending it again`,
    };
  }
}
