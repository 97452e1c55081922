// Unit tests for reading YAML OpenAPI documents: aliases as PyYAML writes them, alias bombs and loops, size limits.

import assert from "node:assert/strict";
import { InvalidDocumentError } from "../../../src/openapi/invalid_document_error.ts";
import { parseOpenApiDocument } from "../../../src/openapi/parse_document.ts";
import {
  encode,
  refusedDetail as invalid,
} from "../../support/openapi_refusal.ts";
import { sharedAnchorYaml } from "../../support/synthetic_openapi.ts";

Deno.test("YAML alias bombs are refused", () => {
  const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 8; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(
      `${name}: &${name} [${Array(10).fill(`*${prev}`).join(", ")}]`,
    );
  }
  assert.match(invalid(lines.join("\n") + "\n"), /cannot be read/);
});

Deno.test("YAML over APIM's inline import limit is refused unread; JSON of that size is read and left to the pre-flight", () => {
  const padding = "x".repeat(4 * 1024 * 1024);
  const yaml =
    `openapi: 3.0.3\ninfo:\n  title: Big\n  version: "1"\n  description: ${padding}\npaths: {}\n`;
  assert.throws(
    () => parseOpenApiDocument(encode(yaml)),
    (error: unknown) =>
      error instanceof InvalidDocumentError &&
      error.reason === "ImportTooLarge" &&
      /^the YAML document is 4194\d{3} bytes, over APIM's inline import limit of 4194304 bytes \(YAML is not read over that size\)$/
        .test(error.detail),
  );
  const json = JSON.stringify({
    openapi: "3.0.3",
    info: { title: "Big", version: "1", description: padding },
    paths: {},
  });
  assert.equal(
    parseOpenApiDocument(encode(json)).importValueBytes,
    json.length,
  );
});

Deno.test("YAML that shares objects through many aliases is read (as PyYAML writes them)", () => {
  const doc = parseOpenApiDocument(
    encode(sharedAnchorYaml(300, "openapi: 3.0.3")),
  );
  assert.equal(doc.operations.length, 300);
  const swagger = parseOpenApiDocument(
    encode(sharedAnchorYaml(300, "swagger: '2.0'")),
  );
  const converted = JSON.parse(swagger.importValue);
  assert.deepEqual(converted.paths["/r299"].get.responses["401"], {
    description: "Unauthorized",
  });
});

Deno.test("a YAML alias inside its own anchor is refused", () => {
  assert.match(
    invalid("swagger: '2.0'\ninfo: &i {title: t, version: '1', self: *i}\n"),
    /cannot be read/,
  );
  assert.match(invalid("swagger: '2.0'\nx: &a [1, *a]\n"), /cannot be read/);
});

Deno.test("YAML whose aliases repeat a long string past the expansion limit is refused before it is written out", () => {
  const long = "x".repeat(1024 * 1024);
  const refs = Array.from({ length: 20 }, (_, i) => `  r${i}: *big`).join("\n");
  const text =
    `swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\nx-big: &big ${long}\nx-refs:\n${refs}\n`;
  assert.match(
    invalid(text),
    /aliases expand it to more than 16777216 characters/,
  );
});
