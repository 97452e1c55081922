// Pre-flight of a parsed OpenAPI document: what APIM would reject or mangle, found before calling Azure.

import { operationLabel, type OperationRef } from "./document_operations.ts";
import type { OpenApiDocument } from "./parse_document.ts";

/** APIM's limit on an inline (`format` + `value`) import, 4 MB (reference §A.2). */
export const APIM_INLINE_IMPORT_LIMIT_BYTES = 4 * 1024 * 1024;

/** Machine-readable kind of a pre-flight finding; usable as a condition reason. */
export type PreflightReason =
  | "DuplicateOperations"
  | "DuplicateOperationIds"
  | "ExternalReferences"
  | "ImportTooLarge"
  | "MissingOperationIds"
  | "OperationNameCollision"
  | "UnsupportedOpenApiVersion";

/** One finding, with a message ready for a condition or an Event. */
export interface PreflightIssue {
  reason: PreflightReason;
  message: string;
}

/** Operations that APIM sees as the same operation: same method and URL template. */
export interface DuplicateOperations {
  /** Method and template with parameter names blanked: `GET /pets/{}`. */
  signature: string;
  operations: OperationRef[];
}

/** Operations that share one `operationId`. */
export interface DuplicateOperationIds {
  operationId: string;
  operations: OperationRef[];
}

/** The outcome of {@linkcode preflightDocument}. Import only when `errors` is empty. */
export interface PreflightResult {
  missingOperationIds: OperationRef[];
  duplicateOperations: DuplicateOperations[];
  duplicateOperationIds: DuplicateOperationIds[];
  /** Import anyway, but tell the user (Warning condition and Event). */
  warnings: PreflightIssue[];
  /** Do not import: APIM would reject the document. */
  errors: PreflightIssue[];
}

/** What the pre-flight reads from a document. */
export type PreflightInput = Pick<
  OpenApiDocument,
  | "specVersion"
  | "declaredVersion"
  | "operations"
  | "importValueBytes"
  | "externalRefs"
>;

/** Options for {@linkcode preflightDocument}. */
export interface PreflightOptions {
  /** Largest import payload in bytes (default {@linkcode APIM_INLINE_IMPORT_LIMIT_BYTES}). */
  maxImportBytes?: number;
}

/** Operations listed by name in one message at most; the rest are counted. */
const LISTED_OPERATIONS = 10;

/**
 * Checks a document the way APIM will treat it on import (pure). Errors: two operations with the
 * same method and URL template modulo parameter names (`GET /pets/{id}` and `GET /pets/{petId}`;
 * paths compare case-sensitively; see {@linkcode signatureOf}), an `operationId` used twice, an import payload over the inline
 * limit. Warnings: operations without `operationId` (APIM names them itself, and re-imports can
 * then fail), distinct operationIds that APIM turns into the same operation name, OpenAPI
 * versions APIM does not import, `$ref`s to other files ("`$ref` pointers can't reference
 * external files", api-management-api-import-restrictions).
 */
export function preflightDocument(
  doc: PreflightInput,
  options: PreflightOptions = {},
): PreflightResult {
  const maxImportBytes = options.maxImportBytes ??
    APIM_INLINE_IMPORT_LIMIT_BYTES;
  const missingOperationIds = doc.operations.filter((op) =>
    op.operationId === undefined
  );
  const duplicateOperations = groupsOfTwoOrMore(doc.operations, signatureOf)
    .map(([signature, operations]) => ({ signature, operations }));
  const withIds = doc.operations.filter((op) => op.operationId !== undefined);
  const duplicateOperationIds = groupsOfTwoOrMore(
    withIds,
    (op) => op.operationId ?? "",
  ).map(([operationId, operations]) => ({ operationId, operations }));

  const errors: PreflightIssue[] = [
    ...duplicateOperations.map(({ signature, operations }) => ({
      reason: "DuplicateOperations" as const,
      message:
        `${operations.length} operations have the signature "${signature}": ${
          listOperations(operations)
        }; APIM rejects the import with "Importing API has duplicate signature operations"`,
    })),
    ...duplicateOperationIds.map(({ operationId, operations }) => ({
      reason: "DuplicateOperationIds" as const,
      message:
        `the operationId "${operationId}" is used by ${operations.length} operations: ${
          listOperations(operations)
        }; every operationId must be unique`,
    })),
  ];
  if (doc.importValueBytes > maxImportBytes) {
    errors.push({
      reason: "ImportTooLarge",
      message:
        `the document is ${doc.importValueBytes} bytes, over APIM's inline import limit of ${maxImportBytes} bytes`,
    });
  }

  const warnings: PreflightIssue[] = [];
  if (missingOperationIds.length > 0) {
    warnings.push({
      reason: "MissingOperationIds",
      message: `${operationsHave(missingOperationIds.length)} no operationId: ${
        listOperations(missingOperationIds)
      }; APIM generates names for them on import and generates different names on later imports, so re-importing the API can fail with "Operation with the same method and URL template already exists": give every operation a stable, unique operationId`,
    });
  }
  warnings.push(...nameCollisions(withIds));
  if (doc.externalRefs.length > 0) {
    warnings.push({
      reason: "ExternalReferences",
      message: `the document refers to other files: ${
        listed(doc.externalRefs.map((ref) => `"${ref}"`))
      }; APIM cannot resolve a $ref outside the document it imports, so the import may fail or lose those definitions: serve the document bundled into one file`,
    });
  }
  if (
    doc.specVersion === "openapi3" &&
    !/^3\.[01](\.|$)/.test(doc.declaredVersion)
  ) {
    warnings.push({
      reason: "UnsupportedOpenApiVersion",
      message:
        `the document declares OpenAPI "${doc.declaredVersion}", but APIM imports OpenAPI 3.0 and 3.1 only and may reject it`,
    });
  }
  return {
    missingOperationIds,
    duplicateOperations,
    duplicateOperationIds,
    warnings,
    errors,
  };
}

/**
 * How APIM compares operations: upper-case method, the path with parameter names blanked, and the
 * required query parameters APIM adds to the URL template (`GET /pets/{}?status={}`). A query
 * string in the paths key itself is dropped on import (`/mySamplePath?willbeignored={willbeignored}`
 * became `/mySamplePath?dummyReqQueryParam={dummyReqQueryParam}`, net-ApiRevisionTests#6).
 */
export function signatureOf(operation: OperationRef): string {
  const path = operation.path.replace(/\?.*$/, "").replace(/\{[^}]*\}/g, "{}");
  const query = (operation.requiredQuery ?? []).map((name) => `${name}={}`);
  return `${operation.method.toUpperCase()} ${path}${
    query.length > 0 ? `?${query.join("&")}` : ""
  }`;
}

/**
 * The operation resource name APIM derives from an `operationId` (reference §A.12): lower case,
 * every run of other characters than letters and digits becomes `-`, dashes trimmed, 76 characters.
 */
export function apimOperationName(operationId: string): string {
  return operationId.toLowerCase().replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 76);
}

/** Distinct operationIds that end up with the same APIM operation name. */
function nameCollisions(operations: OperationRef[]): PreflightIssue[] {
  return groupsOfTwoOrMore(
    operations,
    (op) => apimOperationName(op.operationId ?? ""),
  ).flatMap(([name, group]) => {
    const ids = [...new Set(group.map((op) => op.operationId))];
    if (ids.length < 2) return [];
    return [{
      reason: "OperationNameCollision" as const,
      message: `the operationIds ${
        ids.map((id) => `"${id}"`).join(", ")
      } all become the APIM operation name "${name}": APIM adds numeric suffixes to tell them apart, so re-imports may not match the same operations; make them differ in more than case and punctuation`,
    }];
  });
}

/** Groups by key, keeping only groups of two or more, in order of first appearance. */
function groupsOfTwoOrMore<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
): [string, T[]][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return [...groups].filter(([, group]) => group.length > 1);
}

function operationsHave(count: number): string {
  return count === 1 ? "1 operation has" : `${count} operations have`;
}

function listOperations(operations: readonly OperationRef[]): string {
  return listed(operations.map((op) => `"${operationLabel(op)}"`));
}

/** The first {@linkcode LISTED_OPERATIONS} items, the rest counted. */
function listed(items: readonly string[]): string {
  const shown = items.slice(0, LISTED_OPERATIONS).join(", ");
  const rest = items.length - LISTED_OPERATIONS;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}
