// A registration's document step: fetch the OpenAPI document, pre-flight it, and report missing operationIds.
import type { ApimApi } from "../crd/apim_api.ts";
import { apimApis } from "../crd/resources.ts";
import type { Logger } from "../log.ts";
import { logDocumentSummary } from "../openapi/document_summary.ts";
import { redactUrl } from "../openapi/document_url.ts";
import { fetchOpenApiDocument } from "../openapi/fetch_document.ts";
import {
  type OpenApiDocument,
  parseOpenApiDocument,
} from "../openapi/parse_document.ts";
import { preflightDocument } from "../openapi/preflight.ts";
import { involvedObject } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";
import { writeApiCondition } from "./api_condition.ts";

/** The fetched document and, when it cannot be imported, why. */
export interface CheckedDocument {
  doc: OpenApiDocument;
  error?: { reason: string; message: string } | undefined;
}

/** Fetches and parses the document at `url` (errors are thrown: unreachable, too large, not OpenAPI). */
export async function fetchDocument(
  ctx: OperatorContext,
  url: string,
  logger: Logger,
  signal: AbortSignal,
): Promise<OpenApiDocument> {
  logger.info("📡 Fetching OpenAPI definition", { url: redactUrl(url) });
  const fetched = await fetchOpenApiDocument(url, {
    ...ctx.settings.openApi,
    signal,
  });
  logger.info("📥 OpenAPI definition downloaded", {
    bytes: fetched.bytes.length,
  });
  const doc = parseOpenApiDocument(fetched.bytes, fetched.contentType);
  ctx.metrics.observeDocument(doc.sizeBytes);
  logDocumentSummary(logger, doc);
  return doc;
}

/**
 * Pre-flights the document: its first error (e.g. duplicate operations) refuses the import. Its
 * warnings (missing operationIds, references to other files, ...) are logged and announced by
 * Events once per new document; missing operationIds are also kept in the OperationIdsComplete
 * condition. Returns the APIMAPI as written.
 */
export async function preflight(
  ctx: OperatorContext,
  api: ApimApi,
  doc: OpenApiDocument,
  logger: Logger,
  signal: AbortSignal,
): Promise<{ api: ApimApi; error?: CheckedDocument["error"] }> {
  const result = preflightDocument(doc);
  const [firstError] = result.errors;
  if (firstError) {
    return {
      api,
      error: { reason: firstError.reason, message: firstError.message },
    };
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
  const previous = api.status?.conditions?.find((c) =>
    c.type === condition.type
  );
  const conditionChanged = previous?.status !== condition.status ||
    previous.message !== condition.message;
  // Warnings are told once per document: when it is not the one registered last, or when they
  // change the condition.
  const newDocument = api.status?.documentDigest !== doc.digest;
  if (!conditionChanged && !newDocument) return { api };
  const written = conditionChanged
    ? await writeApiCondition(ctx, api, condition, signal)
    : api;
  for (const warning of result.warnings) {
    logger.warn("OpenAPI document warning", {
      reason: warning.reason,
      message: warning.message,
    });
    await ctx.events.record(involvedObject(apimApis, api), {
      type: "Warning",
      reason: warning.reason,
      note: warning.message,
    });
  }
  return { api: written };
}
