// The import payload for a revision that is not current: the document with `info.description` pinned to the API's.
import type { ImportFormat, OpenApiDocument } from "./parse_document.ts";
import { parseYaml } from "./parse_yaml.ts";

/** What an import PUT carries as `format` and `value`. */
export interface ImportPayload {
  format: ImportFormat;
  value: string;
}

/**
 * API Management refuses an import into a non-current revision that would change the API's
 * description, and takes the description from the document, not from the request (see
 * test/sim/apim/DEVIATIONS.md): so the document goes with `info.description` set to `description`
 * (or without one when the API has none). JSON is re-serialised. YAML is read the way it was
 * parsed and sent as JSON (`openapi+json`), with `openapi` and `info.version` as written (`3.0`,
 * `1.0`), like Swagger 2 YAML: editing the YAML in place needed its whole syntax tree, which for a
 * document near APIM's 4 MB limit is more than the operator's heap.
 */
export function payloadWithDescription(
  doc: OpenApiDocument,
  description: string | undefined,
): ImportPayload {
  const same = { format: doc.importFormat, value: doc.importValue };
  if (doc.description === description) return same;
  const json = documentObject(doc);
  if (description === undefined) delete json.info["description"];
  else json.info["description"] = description;
  return {
    format: doc.importFormat === "openapi" ? "openapi+json" : doc.importFormat,
    value: JSON.stringify(json),
  };
}

type DocumentObject =
  & { info: Record<string, unknown> }
  & Record<
    string,
    unknown
  >;

/** The document as a JSON object (it was parsed as one already: `info` is an object). */
function documentObject(doc: OpenApiDocument): DocumentObject {
  if (doc.importFormat !== "openapi") {
    return JSON.parse(doc.importValue) as DocumentObject;
  }
  const yaml = parseYaml(doc.importValue).value as DocumentObject;
  yaml["openapi"] = doc.declaredVersion;
  yaml.info["version"] = doc.version;
  return yaml;
}
