// What the logs say about a fetched OpenAPI document: the `📄 Swagger content` line.

import type { Logger } from "../log.ts";
import type { ImportFormat, OpenApiDocument } from "./parse_document.ts";

/** The facts about a document that appear in logs (never the document itself above debug). */
export interface DocumentSummary {
  title: string;
  version: string;
  sizeBytes: number;
  digest: string;
  operationCount: number;
  format: ImportFormat;
}

/** The message users grep for; kept from the original operator. */
export const SWAGGER_CONTENT_MESSAGE = "📄 Swagger content";

/** Summarises a document for logs. */
export function documentSummary(doc: OpenApiDocument): DocumentSummary {
  return {
    title: doc.title,
    version: doc.version,
    sizeBytes: doc.sizeBytes,
    digest: doc.digest,
    operationCount: doc.operations.length,
    format: doc.importFormat,
  };
}

/**
 * Logs `📄 Swagger content` at info with the {@linkcode documentSummary} fields, then the same
 * message at debug with the import payload as `content` (written only when debug is enabled).
 */
export function logDocumentSummary(logger: Logger, doc: OpenApiDocument): void {
  const summary = documentSummary(doc);
  logger.info(SWAGGER_CONTENT_MESSAGE, { ...summary });
  logger.debug(SWAGGER_CONTENT_MESSAGE, {
    digest: summary.digest,
    content: doc.importValue,
  });
}
