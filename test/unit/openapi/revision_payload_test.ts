// Unit tests for the import payload of a revision that is not current: the document with the API's description.

import assert from "node:assert/strict";
import { InvalidDocumentError } from "../../../src/openapi/invalid_document_error.ts";
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

Deno.test("numbers keep their written text where that is valid JSON, in YAML and JSON documents", () => {
  const yaml = `openapi: 3.0.3
info: {title: t, version: '1', description: d}
paths: {}
x-numbers: {price: 1.50, big: 1e3, plain: 7, octal: 0o17, leading: 007}
`;
  const json =
    `{"openapi":"3.0.3","info":{"title":"t","version":"1","description":"d"},"paths":{},"x-numbers":{"price":1.50,"big":1e3,"plain":7}}`;
  const fromYaml = payloadWithDescription(
    parseOpenApiDocument(encode(yaml)),
    "Pinned",
  );
  assert.match(
    fromYaml.value,
    /"x-numbers":\{"price":1\.50,"big":1e3,"plain":7,"octal":15,"leading":7\}/,
  );
  const fromJson = payloadWithDescription(
    parseOpenApiDocument(encode(json)),
    "Pinned",
  );
  assert.match(
    fromJson.value,
    /"x-numbers":\{"price":1\.50,"big":1e3,"plain":7\}/,
  );
  assert.equal(JSON.parse(fromJson.value).info.description, "Pinned");
});

Deno.test("Swagger 2 YAML keeps its numbers as written where that is valid JSON", () => {
  const doc = parseOpenApiDocument(
    encode(
      "swagger: '2.0'\ninfo: {title: t, version: 1.0}\npaths: {}\nx-price: 1.50\n",
    ),
  );
  assert.match(doc.importValue, /"x-price":1\.50/);
  assert.match(doc.importValue, /"version":"1\.0"/);
});

Deno.test("a payload whose JSON is over APIM's inline import limit is refused as ImportTooLarge", () => {
  const refs = Array.from({ length: 25 }, (_, i) => `  r${i}: *big`).join("\n");
  const yaml =
    `openapi: 3.0.3\ninfo: {title: t, version: '1', description: d}\npaths: {}\nx-big: &big ${
      "x".repeat(200_000)
    }\nx-refs:\n${refs}\n`;
  const doc = parseOpenApiDocument(encode(yaml));
  assert.throws(
    () => payloadWithDescription(doc, "Pinned"),
    (error: unknown) =>
      error instanceof InvalidDocumentError &&
      error.reason === "ImportTooLarge" &&
      /over APIM's inline import limit of 4194304 bytes$/.test(error.message),
  );
});
