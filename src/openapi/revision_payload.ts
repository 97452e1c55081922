// The import payload for a revision that is not current: the document with `info.description` pinned to the API's.
import { InvalidDocumentError } from "./invalid_document_error.ts";
import {
  type ImportFormat,
  type OpenApiDocument,
  utf8Length,
} from "./parse_document.ts";
import { parseYaml, rawJson } from "./parse_yaml.ts";
import { APIM_INLINE_IMPORT_LIMIT_BYTES } from "./preflight.ts";

/** What an import PUT carries as `format` and `value`. */
export interface ImportPayload {
  format: ImportFormat;
  value: string;
}

/**
 * API Management refuses an import into a non-current revision that would change the API's
 * description, and takes the description from the document, not from the request (see
 * test/sim/apim/DEVIATIONS.md): so the document goes with `info.description` set to `description`
 * (or without one when the API has none). JSON is re-serialised with its numbers as written. YAML
 * is read the way it was parsed and sent as JSON (`openapi+json`), with `openapi` and
 * `info.version` as written (`3.0`, `1.0`) and numbers as written where that is valid JSON, like
 * Swagger 2 YAML: editing the YAML in place needed its whole syntax tree, which for a document
 * near APIM's 4 MB limit is more than the operator's heap. Throws {@linkcode InvalidDocumentError}
 * (`ImportTooLarge`) when the result is over APIM's inline import limit.
 */
export function payloadWithDescription(
  doc: OpenApiDocument,
  description: string | undefined,
): ImportPayload {
  const same = { format: doc.importFormat, value: doc.importValue };
  if (doc.description === description) return same;
  const { root, toJson } = documentObject(doc);
  if (description === undefined) delete root.info["description"];
  else root.info["description"] = description;
  const value = toJson(root);
  const bytes = utf8Length(value);
  if (bytes > APIM_INLINE_IMPORT_LIMIT_BYTES) {
    throw new InvalidDocumentError(
      `the document with the API's description, as JSON for a revision that is not current, is ${bytes} bytes, over APIM's inline import limit of ${APIM_INLINE_IMPORT_LIMIT_BYTES} bytes`,
      { reason: "ImportTooLarge" },
    );
  }
  return {
    format: doc.importFormat === "openapi" ? "openapi+json" : doc.importFormat,
    value,
  };
}

type DocumentObject =
  & { info: Record<string, unknown> }
  & Record<
    string,
    unknown
  >;

/**
 * The document as a JSON object (it was parsed as one already: `info` is an object), and how to
 * write it back with its numbers as written (`1.50` stays `1.50`, not `1.5`).
 */
function documentObject(
  doc: OpenApiDocument,
): { root: DocumentObject; toJson: (root: DocumentObject) => string } {
  if (doc.importFormat !== "openapi") {
    const root = JSON.parse(
      doc.importValue,
      (_key, value: unknown, context?: { source?: string }) =>
        typeof value === "number" && context?.source !== undefined &&
          context.source !== String(value)
          ? rawJson(context.source)
          : value,
    ) as DocumentObject;
    return { root, toJson: (edited) => JSON.stringify(edited) };
  }
  const yaml = parseYaml(doc.importValue);
  const root = yaml.value as DocumentObject;
  root["openapi"] = doc.declaredVersion;
  root.info["version"] = doc.version;
  return { root, toJson: (edited) => yaml.toJson(edited) };
}
