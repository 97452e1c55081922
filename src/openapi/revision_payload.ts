// The import payload for a revision that is not current: the document with `info.description` pinned to the API's.
import { parseDocument } from "yaml";
import type { ImportFormat, OpenApiDocument } from "./parse_document.ts";

/** What an import PUT carries as `format` and `value`. */
export interface ImportPayload {
  format: ImportFormat;
  value: string;
}

/**
 * API Management refuses an import into a non-current revision that would change the API's
 * description, and takes the description from the document, not from the request (see
 * test/sim/apim/DEVIATIONS.md): so the document goes with `info.description` set to `description`
 * (or without one when the API has none). JSON is re-serialised; YAML is edited in place.
 */
export function payloadWithDescription(
  doc: OpenApiDocument,
  description: string | undefined,
): ImportPayload {
  const same = { format: doc.importFormat, value: doc.importValue };
  if (doc.description === description) return same;
  if (doc.importFormat === "openapi") {
    const yaml = parseDocument(doc.importValue, { version: "1.2" });
    if (description === undefined) yaml.deleteIn(["info", "description"]);
    else yaml.setIn(["info", "description"], description);
    return { format: doc.importFormat, value: yaml.toString() };
  }
  const json = JSON.parse(doc.importValue) as { info: Record<string, unknown> };
  if (description === undefined) delete json.info["description"];
  else json.info["description"] = description;
  return { format: doc.importFormat, value: JSON.stringify(json) };
}
