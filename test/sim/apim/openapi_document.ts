// Reading an imported OpenAPI 3 / Swagger 2 document (JSON or YAML) into the operations APIM would create.

import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { HTTP_METHODS } from "../../../src/openapi/document_operations.ts";
import { ArmError, validationFailure } from "./arm_error.ts";
import { isJsonObject } from "./json.ts";

/** Which specification the import format expects. */
export type DocumentFlavor = "openapi3" | "swagger2";

/** How the document text is encoded. */
export type DocumentSyntax = "json" | "yaml";

/** One operation of the document. */
export interface ImportedOperation {
  /** Upper-case HTTP method. */
  method: string;
  /** Path as written in the document (`/pets/{id}`); Swagger's basePath goes to the service URL. */
  path: string;
  /** Path plus required query parameters as template parameters (`/pets?limit={limit}`). */
  urlTemplate: string;
  operationId?: string;
  displayName: string;
  description?: string;
}

/** What an import takes from a document. */
export interface ImportedDocument {
  title?: string;
  description?: string;
  serverUrl?: string;
  /** Gateway protocols the document names (Swagger `schemes`, OpenAPI 3 server URL schemes). */
  protocols?: string[];
  operations: ImportedOperation[];
}

const parameterSchema = z.object({
  name: z.string(),
  in: z.string(),
  required: z.boolean().optional(),
}).loose();

const refSchema = z.object({ $ref: z.string() });

const operationSchema = z.object({
  operationId: z.string().nullish(),
  summary: z.string().nullish(),
  description: z.string().nullish(),
  parameters: z.array(z.unknown()).optional(),
}).loose();

const documentSchema = z.object({
  openapi: z.string().optional(),
  swagger: z.string().optional(),
  info: z.object({
    title: z.string(),
    description: z.string().optional(),
  }).loose(),
  servers: z.array(z.object({ url: z.string() }).loose()).optional(),
  host: z.string().optional(),
  basePath: z.string().optional(),
  schemes: z.array(z.string()).optional(),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
}).loose();

type OpenApiDocument = z.infer<typeof documentSchema>;
type Parameter = z.infer<typeof parameterSchema>;

function specReference(flavor: DocumentFlavor): string {
  return flavor === "openapi3"
    ? "the OpenAPI specification https://spec.openapis.org/oas/v3.0.1"
    : "the Swagger 2.0 specification https://swagger.io/specification/v2/";
}

function parsingError(detail: string): ArmError {
  return validationFailure(`Parsing error(s): ${detail}`);
}

/**
 * YAML aliases are resolved without a count limit (the yaml library's default refuses an anchor
 * used ~100 times): APIM reads YAML with Microsoft.OpenApi.Readers, which loads a YamlDotNet-style
 * YamlStream whose DocumentLoadingState links every alias to its anchor, with no limit; PyYAML
 * writes such documents (`*id001` in every operation).
 */
function parseText(text: string, syntax: DocumentSyntax): unknown {
  try {
    return syntax === "json"
      ? JSON.parse(text)
      : parseYaml(text, { maxAliasCount: -1 });
  } catch (error) {
    throw parsingError(error instanceof Error ? error.message : String(error));
  }
}

/** Follows a local `$ref` (`#/components/parameters/x`, `#/parameters/x`). */
function resolveParameter(doc: unknown, value: unknown): Parameter | null {
  const ref = refSchema.safeParse(value);
  let target: unknown = value;
  if (ref.success && ref.data.$ref.startsWith("#/")) {
    target = ref.data.$ref.slice(2).split("/").reduce<unknown>(
      (node, key) => isJsonObject(node) ? node[key] : undefined,
      doc,
    );
  }
  const parsed = parameterSchema.safeParse(target);
  return parsed.success ? parsed.data : null;
}

function serverUrl(doc: OpenApiDocument): string | undefined {
  const first = doc.servers?.[0]?.url;
  if (first && /^[a-z]+:\/\//i.test(first)) return first.replace(/\/$/, "");
  if (!doc.host) return undefined;
  return `${doc.schemes?.[0] ?? "https"}://${doc.host}${doc.basePath ?? ""}`
    .replace(/\/$/, "");
}

const GATEWAY_PROTOCOLS = ["http", "https", "ws", "wss"];

/** Swagger `schemes`, or the schemes of OpenAPI 3 absolute `servers` URLs (net-ApiRevisionTests#3). */
function protocolsOf(doc: OpenApiDocument): string[] | undefined {
  const schemes = doc.schemes ??
    (doc.servers ?? []).flatMap((s) => {
      const m = /^([a-z]+):\/\//i.exec(s.url);
      return m?.[1] ? [m[1].toLowerCase()] : [];
    });
  const known = schemes.filter((s) => GATEWAY_PROTOCOLS.includes(s));
  return known.length > 0 ? known : undefined;
}

function readOperations(
  raw: unknown,
  doc: OpenApiDocument,
  queryAsTemplate: boolean,
): ImportedOperation[] {
  const operations: ImportedOperation[] = [];
  for (const [key, item] of Object.entries(doc.paths)) {
    // A query string in a path key is ignored: `/mySamplePath?willbeignored={willbeignored}`
    // became `/mySamplePath?dummyReqQueryParam={...}` (net-ApiRevisionTests#6).
    const path = key.replace(/\?.*$/, "");
    const shared = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of HTTP_METHODS) {
      if (item[method] === undefined) continue;
      const op = operationSchema.safeParse(item[method]);
      if (!op.success) {
        throw parsingError(
          `Operation '${method.toUpperCase()} ${path}' is not an object.`,
        );
      }
      const parameters = [...shared, ...(op.data.parameters ?? [])]
        .map((p) => resolveParameter(raw, p))
        .filter((p): p is Parameter => p !== null);
      const query = queryAsTemplate
        ? parameters.filter((p) => p.in === "query" && p.required === true)
        : [];
      const urlTemplate = query.length === 0
        ? path
        : `${path}?${query.map((p) => `${p.name}={${p.name}}`).join("&")}`;
      const operationId = op.data.operationId?.trim() || undefined;
      const summary = op.data.summary?.trim() || undefined;
      operations.push({
        method: method.toUpperCase(),
        path: path,
        urlTemplate,
        ...(operationId === undefined ? {} : { operationId }),
        displayName:
          (summary ?? operationId ?? `${method.toUpperCase()} ${path}`)
            .slice(0, 300),
        ...(op.data.description ? { description: op.data.description } : {}),
      });
    }
  }
  return operations;
}

/**
 * Parses an import document. Throws the `ValidationError` APIM reports (while polling) for text
 * that does not parse or a document of the wrong specification.
 */
export function readImportDocument(
  text: string,
  syntax: DocumentSyntax,
  flavor: DocumentFlavor,
  translateRequiredQueryParameters: "template" | "query",
): ImportedDocument {
  const raw = parseText(text, syntax);
  const parsed = documentSchema.safeParse(raw);
  const versionOk = parsed.success &&
    (flavor === "openapi3"
      ? /^3\./.test(parsed.data.openapi ?? "")
      : parsed.data.swagger === "2.0");
  if (!parsed.success || !versionOk) {
    throw parsingError(
      `The input OpenAPI file is not valid for ${specReference(flavor)}.`,
    );
  }
  const doc = parsed.data;
  const description = doc.info.description;
  const server = serverUrl(doc);
  const protocols = protocolsOf(doc);
  return {
    title: doc.info.title,
    ...(description === undefined ? {} : { description }),
    ...(server === undefined ? {} : { serverUrl: server }),
    ...(protocols === undefined ? {} : { protocols }),
    operations: readOperations(
      raw,
      doc,
      translateRequiredQueryParameters === "template",
    ),
  };
}
