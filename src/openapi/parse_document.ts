// Parsing fetched bytes into an OpenAPI document: JSON or YAML, version check, digest, APIM import payload.

import { createHash } from "node:crypto";
import { z } from "zod";
import { extractOperations, type OperationRef } from "./document_operations.ts";
import { externalReferences } from "./document_references.ts";
import {
  describeValue,
  documentIssueText,
  InvalidDocumentError,
  invalidFromZod,
} from "./invalid_document_error.ts";
import { type ParsedYaml, parseYaml } from "./parse_yaml.ts";
import { APIM_INLINE_IMPORT_LIMIT_BYTES } from "./preflight.ts";

/** Which specification a document follows. */
export type SpecVersion = "openapi3" | "swagger2";

/** How the document was written. */
export type DocumentEncoding = "json" | "yaml";

/** The APIM `properties.format` values this operator imports with. */
export type ImportFormat = "openapi+json" | "openapi" | "swagger-json";

/** A parsed OpenAPI document: what the controller needs to pre-flight, hash, log and import it. */
export interface OpenApiDocument {
  specVersion: SpecVersion;
  /** The `openapi` or `swagger` field as written, e.g. `3.0.3` or `2.0`. */
  declaredVersion: string;
  encoding: DocumentEncoding;
  /** `info.title`. */
  title: string;
  /** `info.description`, when it is a string. */
  description?: string | undefined;
  /** `info.version`, as written (YAML `1.0` stays `1.0`). */
  version: string;
  /** Size of the fetched bytes. */
  sizeBytes: number;
  /** `sha256:<hex>` of the exact fetched bytes. */
  digest: string;
  operations: OperationRef[];
  /** `$ref`s to other files (APIM cannot follow them). */
  externalRefs: string[];
  /** APIM `properties.format` for `importValue`. */
  importFormat: ImportFormat;
  /** APIM `properties.value`: the document text (Swagger 2 YAML converted to JSON). */
  importValue: string;
  /** UTF-8 size of `importValue`, for APIM's inline import limit. */
  importValueBytes: number;
}

const OPENAPI_3 = /^3\.\d+(\.\d+)?(-[0-9A-Za-z.-]+)?$/;

const versionSchema = z.union([z.string(), z.number()], {
  error: (issue) =>
    issue.input === undefined
      ? "is missing"
      : `must be a string, not ${describeValue(issue.input)}`,
});

const documentSchema = z.object({
  info: z.object({
    title: z.string(),
    version: versionSchema,
    description: z.unknown().optional(),
  }),
  paths: z.record(z.string(), z.unknown()).optional(),
});

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parses the bytes of a fetched document. JSON when the text starts with `{` or `[` (it must then
 * be valid JSON), otherwise YAML 1.2 with the core schema ({@linkcode parseYaml}: one document,
 * unique keys, bounded aliases; not read over APIM's inline import limit). The result must be an
 * object with `openapi: 3.x` or `swagger: "2.0"` and an `info` with `title` and `version`.
 * `contentType` only sharpens messages: the bytes decide. Import payload: OAS 3 JSON →
 * `openapi+json`, OAS 3 YAML → `openapi` byte for byte (re-encoding YAML could change values),
 * Swagger 2 JSON → `swagger-json`, Swagger 2 YAML → converted to JSON (with `swagger` and
 * `info.version` kept as the strings written, and numbers as written where that is valid JSON)
 * and sent as `swagger-json`.
 * Throws {@linkcode InvalidDocumentError} with what is wrong and where.
 */
export function parseOpenApiDocument(
  bytes: Uint8Array,
  contentType?: string,
): OpenApiDocument {
  try {
    return readDocument(bytes, contentType);
  } catch (error) {
    // A document nested too deeply for the walks over it, or expanded past a string's limit.
    if (!(error instanceof RangeError)) throw error;
    throw new InvalidDocumentError(
      `the document cannot be read: it nests too deeply or expands too far (${error.message})`,
    );
  }
}

function readDocument(
  bytes: Uint8Array,
  contentType: string | undefined,
): OpenApiDocument {
  const text = decodeText(bytes, contentType);
  const parsed = parseText(text, bytes.byteLength);
  const root = parsed.value;
  if (!isRecord(root)) {
    throw new InvalidDocumentError(
      `the document must be an object with an "openapi" or "swagger" field, not ${
        describeValue(root)
      }`,
    );
  }
  const spec = detectSpecVersion(root, parsed.yaml);
  const checked = documentSchema.safeParse(root, {
    error: documentIssueText,
  });
  if (!checked.success) throw invalidFromZod(checked.error);
  const { info, paths } = checked.data;
  const version = typeof info.version === "string"
    ? info.version
    : parsed.yaml?.numberText(["info", "version"]) ?? String(info.version);
  const payload = importPayload(spec.specVersion, root, parsed, text, bytes, {
    swagger: spec.declaredVersion,
    version,
  });
  return {
    ...spec,
    encoding: parsed.yaml === undefined ? "json" : "yaml",
    title: info.title,
    description: typeof info.description === "string"
      ? info.description
      : undefined,
    version,
    sizeBytes: bytes.byteLength,
    digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    operations: extractOperations(paths, root),
    externalRefs: externalReferences(root),
    ...payload,
  };
}

/** Decodes UTF-8 (a BOM is dropped), refusing markup, UTF-16 and empty bodies with clear words. */
function decodeText(
  bytes: Uint8Array,
  contentType: string | undefined,
): string {
  const body = hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes;
  const first = body.find((b) => !isWhitespace(b));
  if (first === undefined) {
    throw new InvalidDocumentError("the response body is empty");
  }
  if (first === 0x3c /* < */) {
    throw new InvalidDocumentError(markupDetail(body, contentType));
  }
  if (
    (bytes[0] === 0xff && bytes[1] === 0xfe) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff)
  ) {
    throw new InvalidDocumentError(
      "the document is UTF-16 encoded: only UTF-8 is supported",
    );
  }
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new InvalidDocumentError("the document is not valid UTF-8 text", {
      cause: error,
    });
  }
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function markupDetail(
  bytes: Uint8Array,
  contentType: string | undefined,
): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 512)).toLowerCase();
  const html = /html/.test(contentType?.toLowerCase() ?? "") ||
    /<(!doctype\s+html|html|head|body)[\s>]/.test(head);
  return html
    ? "the response is HTML, not an OpenAPI document"
    : "the response is XML, not an OpenAPI document";
}

interface ParsedText {
  value: unknown;
  /** The YAML reading when the text was YAML, for numbers' source text. */
  yaml: ParsedYaml | undefined;
}

function parseText(text: string, byteLength: number): ParsedText {
  const start = text.trimStart()[0];
  if (start === "{" || start === "[") {
    try {
      return { value: JSON.parse(text), yaml: undefined };
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new InvalidDocumentError(`the document is not valid JSON: ${why}`, {
        cause: error,
      });
    }
  }
  // Reading YAML takes several times its size in heap; a document APIM cannot import is not read.
  if (byteLength > APIM_INLINE_IMPORT_LIMIT_BYTES) {
    throw new InvalidDocumentError(
      `the YAML document is ${byteLength} bytes, over APIM's inline import limit of ${APIM_INLINE_IMPORT_LIMIT_BYTES} bytes (YAML is not read over that size)`,
      { reason: "ImportTooLarge" },
    );
  }
  const yaml = parseYaml(text);
  return { value: yaml.value, yaml };
}

function detectSpecVersion(
  root: Record<string, unknown>,
  yaml: ParsedYaml | undefined,
): { specVersion: SpecVersion; declaredVersion: string } {
  const hasOpenapi = "openapi" in root;
  const hasSwagger = "swagger" in root;
  if (hasOpenapi && hasSwagger) {
    throw new InvalidDocumentError(
      'the document has both an "openapi" and a "swagger" field: it must be either OpenAPI 3 or Swagger 2',
    );
  }
  if (!hasOpenapi && !hasSwagger) {
    throw new InvalidDocumentError(
      'the document has neither an "openapi" nor a "swagger" field, so it is not an OpenAPI 3 or Swagger 2 document',
    );
  }
  const key = hasOpenapi ? "openapi" : "swagger";
  const raw = root[key];
  const declared = typeof raw === "string"
    ? raw
    : typeof raw === "number"
    ? yaml?.numberText([key])
    : undefined;
  if (declared === undefined) {
    throw new InvalidDocumentError(
      `"${key}" must be a string such as "${
        hasOpenapi ? "3.0.3" : "2.0"
      }", not ${describeValue(raw)}`,
    );
  }
  if (hasOpenapi && OPENAPI_3.test(declared)) {
    return { specVersion: "openapi3", declaredVersion: declared };
  }
  if (hasSwagger && declared === "2.0") {
    return { specVersion: "swagger2", declaredVersion: declared };
  }
  throw new InvalidDocumentError(
    hasOpenapi
      ? `"openapi" is "${declared}": only OpenAPI 3.x documents (or Swagger 2.0 with a "swagger" field) are supported`
      : `"swagger" is "${declared}": only Swagger "2.0" (or OpenAPI 3.x with an "openapi" field) is supported`,
  );
}

function importPayload(
  specVersion: SpecVersion,
  root: Record<string, unknown>,
  parsed: ParsedText,
  text: string,
  bytes: Uint8Array,
  strings: { swagger: string; version: string },
): Pick<OpenApiDocument, "importFormat" | "importValue" | "importValueBytes"> {
  const textBytes = hasUtf8Bom(bytes) ? bytes.byteLength - 3 : bytes.byteLength;
  if (specVersion === "openapi3") {
    return {
      importFormat: parsed.yaml === undefined ? "openapi+json" : "openapi",
      importValue: text,
      importValueBytes: textBytes,
    };
  }
  if (parsed.yaml === undefined) {
    return {
      importFormat: "swagger-json",
      importValue: text,
      importValueBytes: textBytes,
    };
  }
  root.swagger = strings.swagger;
  if (isRecord(root.info)) root.info.version = strings.version;
  const json = parsed.yaml.toJson(root);
  return {
    importFormat: "swagger-json",
    importValue: json,
    importValueBytes: utf8Length(json),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** UTF-8 size of a string without encoding it. */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      length += 4;
      i++;
    } else length += 3;
  }
  return length;
}
