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
  /**
   * Names of the required query parameters (path item's, then the operation's own), which APIM
   * makes part of the operation's URL template on import; absent when there are none.
   */
  requiredQuery?: string[];
}

/** `GET /pets/{id}`: how an operation is named in messages. */
export function operationLabel(operation: OperationRef): string {
  return `${operation.method.toUpperCase()} ${operation.path}`;
}

const operationSchema = z.object({
  operationId: z.string().nullish(),
  summary: z.unknown().optional(),
  parameters: z.unknown().optional(),
});

/** A parameter as far as the URL template goes; anything else in `parameters` is skipped. */
const parameterSchema = z.object({
  name: z.string(),
  in: z.string(),
  required: z.unknown().optional(),
});

const referenceSchema = z.object({ $ref: z.string() });

const pathItemSchema = z.object({
  parameters: z.unknown().optional(),
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
 * Lists the operations under `paths` (a value already checked to be an object, or absent) of the
 * document `root`. Extension keys (`x-...`) are skipped at both levels; path-level fields such as
 * `parameters`, `servers` or `$ref` are not operations. Parameters may be local references
 * (`#/components/parameters/x`, `#/parameters/x`); malformed ones are skipped. Throws
 * {@linkcode InvalidDocumentError} for a path that does not start with `/`, a path item or
 * operation that is not an object, or an `operationId` that is not a string.
 */
export function extractOperations(
  paths: Record<string, unknown> | undefined,
  root: unknown,
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
      const requiredQuery = requiredQueryNames(
        root,
        parsed.data.parameters,
        operation.parameters,
      );
      operations.push({
        method,
        path,
        ...(operationId ? { operationId } : {}),
        ...(typeof summary === "string" ? { summary } : {}),
        ...(requiredQuery.length > 0 ? { requiredQuery } : {}),
      });
    }
  }
  return operations;
}

/** Required query parameters by name; an operation's parameter replaces the path item's of the same name and place. */
function requiredQueryNames(
  root: unknown,
  shared: unknown,
  own: unknown,
): string[] {
  const byKey = new Map<string, z.infer<typeof parameterSchema>>();
  for (const list of [shared, own]) {
    for (const item of Array.isArray(list) ? list : []) {
      const parameter = parameterSchema.safeParse(resolveLocal(root, item));
      if (parameter.success) {
        const { name } = parameter.data;
        byKey.set(`${parameter.data.in}:${name}`, parameter.data);
      }
    }
  }
  return [...byKey.values()]
    .filter((p) => p.in === "query" && p.required === true)
    .map((p) => p.name);
}

/** The target of a local `$ref` (`#/a/b~1c`), the value itself when it is not one, undefined when absent. */
function resolveLocal(root: unknown, value: unknown): unknown {
  const ref = referenceSchema.safeParse(value);
  if (!ref.success) return value;
  if (!ref.data.$ref.startsWith("#/")) return undefined;
  return ref.data.$ref.slice(2).split("/").reduce<unknown>(
    (node, segment) =>
      typeof node === "object" && node !== null
        ? (node as Record<string, unknown>)[
          segment.replaceAll("~1", "/").replaceAll("~0", "~")
        ]
        : undefined,
    root,
  );
}
