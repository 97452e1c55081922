// Unit tests for the import payload of a revision that is not current: the document with the API's description.

import assert from "node:assert/strict";
import { parseOpenApiDocument } from "../../../src/openapi/parse_document.ts";
import { payloadWithDescription } from "../../../src/openapi/revision_payload.ts";

const encode = (text: string) => new TextEncoder().encode(text);

const YAML = `openapi: 3.0
info:
  title: Pets
  version: 1.0
  description: From the document
paths:
  /pets:
    get: {operationId: listPets, responses: {'200': {description: ok}}}
`;

const JSON_DOC = JSON.stringify({
  openapi: "3.0.3",
  info: { title: "Pets", version: "1", description: "From the document" },
  paths: {},
});

Deno.test("the payload keeps the document when the description is the API's", () => {
  for (const text of [YAML, JSON_DOC]) {
    const doc = parseOpenApiDocument(encode(text));
    assert.deepEqual(payloadWithDescription(doc, "From the document"), {
      format: doc.importFormat,
      value: text,
    });
  }
});

Deno.test("a pinned description replaces or removes the document's, other values as written", () => {
  const cases: [string, string | undefined, Record<string, unknown>][] = [
    ["yaml", "Pinned", {
      title: "Pets",
      version: "1.0",
      description: "Pinned",
    }],
    ["yaml", undefined, { title: "Pets", version: "1.0" }],
    ["json", "Pinned", { title: "Pets", version: "1", description: "Pinned" }],
  ];
  for (const [encoding, description, info] of cases) {
    const doc = parseOpenApiDocument(
      encode(encoding === "yaml" ? YAML : JSON_DOC),
    );
    const payload = payloadWithDescription(doc, description);
    assert.equal(payload.format, "openapi+json", encoding);
    const sent = JSON.parse(payload.value);
    assert.deepEqual(sent.info, info, `${encoding} ${description}`);
    assert.equal(sent.openapi, encoding === "yaml" ? "3.0" : "3.0.3");
    assert.equal(Object.keys(sent.paths).length, encoding === "yaml" ? 1 : 0);
  }
});
