// The operations of an OpenAPI document: each method under `paths`, with its operationId and summary.

import { z } from "zod";
import {
  documentIssueText,
  InvalidDocumentError,
  invalidFromZod,
} from "./invalid_document_error.ts";

/** The operation methods of a path item, in the order OpenAPI lists them. */
export const HTTP_METHODS = [
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
] as const;

/** One of {@linkcode HTTP_METHODS}. */
export type HttpMethod = typeof HTTP_METHODS[number];

/** An operation of a document, enough to name it in messages and to pre-flight it. */
export interface OperationRef {
  method: HttpMethod;
  /** The path template as written under `paths`, e.g. `/pets/{id}`. */
  path: string;
  /** Absent when the document has none (absent, null or empty, as APIM treats it). */
  operationId?: string;
  summary?: string;
}

/** `GET /pets/{id}`: how an operation is named in messages. */
export function operationLabel(operation: OperationRef): string {
  return `${operation.method.toUpperCase()} ${operation.path}`;
}

const operationSchema = z.object({
  operationId: z.string().nullish(),
  summary: z.unknown().optional(),
});

const pathItemSchema = z.object({
  get: operationSchema.optional(),
  put: operationSchema.optional(),
  post: operationSchema.optional(),
  delete: operationSchema.optional(),
  options: operationSchema.optional(),
  head: operationSchema.optional(),
  patch: operationSchema.optional(),
  trace: operationSchema.optional(),
}).nullable();

/**
 * Lists the operations under `paths` (a value already checked to be an object, or absent).
 * Extension keys (`x-...`) are skipped at both levels; path-level fields such as `parameters`,
 * `servers` or `$ref` are not operations. Throws {@linkcode InvalidDocumentError} for a path
 * that does not start with `/`, a path item or operation that is not an object, or an
 * `operationId` that is not a string.
 */
export function extractOperations(
  paths: Record<string, unknown> | undefined,
): OperationRef[] {
  const operations: OperationRef[] = [];
  for (const [path, item] of Object.entries(paths ?? {})) {
    if (path.startsWith("x-")) continue;
    if (!path.startsWith("/")) {
      throw new InvalidDocumentError(
        `paths[${JSON.stringify(path)}] does not start with "/"`,
      );
    }
    const parsed = pathItemSchema.safeParse(item, { error: documentIssueText });
    if (!parsed.success) throw invalidFromZod(parsed.error, ["paths", path]);
    if (parsed.data === null) continue;
    for (const method of HTTP_METHODS) {
      const operation = parsed.data[method];
      if (operation === undefined) continue;
      const { operationId, summary } = operation;
      operations.push({
        method,
        path,
        ...(operationId ? { operationId } : {}),
        ...(typeof summary === "string" ? { summary } : {}),
      });
    }
  }
  return operations;
}
