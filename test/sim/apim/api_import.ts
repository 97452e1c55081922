// Import requests: supported formats, downloading `*-link` documents, and reading the document for the operation plan.
//
// Formats: inline `openapi+json`, `openapi` (YAML) and `swagger-json`; links `openapi+json-link`,
// `openapi-link`, `swagger-link-json`, and `swagger-link` (not in the 2024-05-01 enum, but the spec's
// own ApiManagementCreateApiUsingImportOverrideServiceUrl.json uses it, so it is accepted as an
// alias of `swagger-link-json`). Links are downloaded with the `fetchLink` option when the PUT
// arrives; a failed download fails the import late (400 while polling), like the real service.
// WADL, WSDL, GraphQL, OData and gRPC formats are known but not simulated: 400 saying so.
// Any other value is an unknown format: 400 ValidationError on `format`.

import { ArmError, invalidField, validationFailure } from "./arm_error.ts";
import type { RequestContext } from "./context.ts";
import {
  type DocumentFlavor,
  type DocumentSyntax,
  type ImportedDocument,
  readImportDocument,
} from "./openapi_document.ts";

interface ImportFormat {
  syntax: DocumentSyntax;
  flavor: DocumentFlavor;
  link: boolean;
}

const IMPORT_FORMATS: Readonly<Record<string, ImportFormat>> = {
  "openapi+json": { syntax: "json", flavor: "openapi3", link: false },
  "openapi": { syntax: "yaml", flavor: "openapi3", link: false },
  "swagger-json": { syntax: "json", flavor: "swagger2", link: false },
  "openapi+json-link": { syntax: "yaml", flavor: "openapi3", link: true },
  "openapi-link": { syntax: "yaml", flavor: "openapi3", link: true },
  "swagger-link-json": { syntax: "yaml", flavor: "swagger2", link: true },
  "swagger-link": { syntax: "yaml", flavor: "swagger2", link: true },
};

const NOT_SIMULATED_FORMATS = [
  "wadl-xml",
  "wadl-link-json",
  "wsdl",
  "wsdl-link",
  "graphql-link",
  "odata",
  "odata-link",
  "grpc",
  "grpc-link",
];

/** A validated import request. */
export interface ImportRequest {
  format: ImportFormat;
  value: string;
  translateRequiredQueryParameters: "template" | "query";
}

/** Validates `format`/`value` of an API PUT; null when the PUT is not an import. */
export function importRequestOf(properties: {
  format?: string | null | undefined;
  value?: string | null | undefined;
  translateRequiredQueryParameters?: "template" | "query" | null | undefined;
}): ImportRequest | null {
  const { format: name, value } = properties;
  if (name === undefined || name === null) return null;
  const format = IMPORT_FORMATS[name];
  if (!format) {
    throw invalidField(
      "format",
      NOT_SIMULATED_FORMATS.includes(name)
        ? `Import format '${name}' is not supported by the APIM simulator.`
        : `Unsupported 'format' value '${name}'. Supported values: ${
          [...Object.keys(IMPORT_FORMATS), ...NOT_SIMULATED_FORMATS].join(", ")
        }.`,
    );
  }
  if (value === undefined || value === null || value === "") {
    throw invalidField("value", "The value field is required for an import.");
  }
  return {
    format,
    value,
    translateRequiredQueryParameters:
      properties.translateRequiredQueryParameters ?? "template",
  };
}

/** The document text, or the late error for a link that could not be downloaded. */
export type ImportText = { ok: true; text: string } | {
  ok: false;
  error: ArmError;
};

/** Inline value, or the downloaded document of a `*-link` import. */
export async function importText(
  ctx: RequestContext,
  request: ImportRequest,
): Promise<ImportText> {
  if (!request.format.link) return { ok: true, text: request.value };
  try {
    return { ok: true, text: await ctx.runtime.fetchLink(request.value) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      error: validationFailure(
        `Failed to download the API definition from '${request.value}': ${reason}`,
      ),
    };
  }
}

/** The parsed document, or the error the import will fail with while polling. */
export type ImportDocumentResult = { ok: true; doc: ImportedDocument } | {
  ok: false;
  error: ArmError;
};

/** Parses the import document (errors are reported late, not on the PUT). */
export function importDocument(
  request: ImportRequest,
  text: ImportText,
): ImportDocumentResult {
  if (!text.ok) return text;
  try {
    return {
      ok: true,
      doc: readImportDocument(
        text.text,
        request.format.syntax,
        request.format.flavor,
        request.translateRequiredQueryParameters,
      ),
    };
  } catch (error) {
    if (error instanceof ArmError) return { ok: false, error };
    throw error;
  }
}

/** Default `fetchLink`: a plain HTTP(S) GET with a timeout. */
export async function fetchLinkWithTimeout(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return body;
}
