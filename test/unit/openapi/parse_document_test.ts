// Unit tests for parsing fetched bytes into an OpenAPI document and its APIM import payload.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseOpenApiDocument } from "../../../src/openapi/parse_document.ts";
import {
  encode,
  refusedDetail as invalid,
} from "../../support/openapi_refusal.ts";

const OAS3_JSON = JSON.stringify({
  openapi: "3.0.3",
  info: { title: "Pets", version: "1.2.0" },
  paths: {
    "/pets": {
      parameters: [{ name: "tenant", in: "header" }],
      get: { operationId: "listPets", summary: "List pets" },
      post: { operationId: "createPet" },
      "x-internal": { get: { operationId: "ignored" } },
    },
    "/pets/{id}": { get: { operationId: "getPet" }, delete: {} },
    "x-extension": { anything: true },
  },
});

const OAS3_YAML = `# Pets API
openapi: 3.1.0
info:
  title: Pets
  version: 1.0 # unquoted: YAML reads a number
  description: "Caf\\u00e9 & more: ünïcödé"
paths:
  /pets:
    get:
      operationId: listPets
      responses:
        200:
          description: ok
    trace: {}
`;

const SWAGGER2_JSON = JSON.stringify({
  swagger: "2.0",
  info: { title: "Legacy", version: "2" },
  paths: { "/orders": { get: { operationId: "listOrders" } } },
});

const SWAGGER2_YAML = `swagger: 2.0
info:
  title: Legacy
  version: 1.10
host: orders.example.com
paths:
  /orders/{id}:
    get:
      operationId: getOrder
      parameters:
        - name: id
          in: path
          required: true
          type: string
      responses:
        200:
          description: yes
          examples:
            application/json: { on: no, zip: 01234, flag: true }
`;

Deno.test("OpenAPI 3 JSON is sent as openapi+json with the exact text", () => {
  const doc = parseOpenApiDocument(encode(OAS3_JSON), "application/json");
  assert.equal(doc.specVersion, "openapi3");
  assert.equal(doc.declaredVersion, "3.0.3");
  assert.equal(doc.encoding, "json");
  assert.equal(doc.title, "Pets");
  assert.equal(doc.version, "1.2.0");
  assert.equal(doc.importFormat, "openapi+json");
  assert.equal(doc.importValue, OAS3_JSON);
  assert.equal(doc.importValueBytes, encode(OAS3_JSON).byteLength);
  assert.deepEqual(doc.operations, [
    {
      method: "get",
      path: "/pets",
      operationId: "listPets",
      summary: "List pets",
    },
    { method: "post", path: "/pets", operationId: "createPet" },
    { method: "get", path: "/pets/{id}", operationId: "getPet" },
    { method: "delete", path: "/pets/{id}" },
  ]);
});

Deno.test("OpenAPI 3 YAML is sent as openapi byte for byte", () => {
  const bytes = encode(OAS3_YAML);
  const doc = parseOpenApiDocument(bytes, "application/yaml");
  assert.equal(doc.specVersion, "openapi3");
  assert.equal(doc.encoding, "yaml");
  assert.equal(doc.importFormat, "openapi");
  assert.equal(doc.importValue, OAS3_YAML);
  assert.deepEqual(encode(doc.importValue), bytes);
  assert.equal(doc.importValueBytes, bytes.byteLength);
  assert.equal(doc.version, "1.0", "the version as written, not the number 1");
  assert.deepEqual(doc.operations, [
    { method: "get", path: "/pets", operationId: "listPets" },
    { method: "trace", path: "/pets" },
  ]);
});

Deno.test("Swagger 2 JSON is sent as swagger-json with the exact text", () => {
  const doc = parseOpenApiDocument(encode(SWAGGER2_JSON));
  assert.equal(doc.specVersion, "swagger2");
  assert.equal(doc.encoding, "json");
  assert.equal(doc.importFormat, "swagger-json");
  assert.equal(doc.importValue, SWAGGER2_JSON);
});

Deno.test("Swagger 2 YAML is converted to JSON and sent as swagger-json", () => {
  const doc = parseOpenApiDocument(encode(SWAGGER2_YAML), "text/yaml");
  assert.equal(doc.specVersion, "swagger2");
  assert.equal(doc.declaredVersion, "2.0");
  assert.equal(doc.encoding, "yaml");
  assert.equal(doc.version, "1.10");
  assert.equal(doc.importFormat, "swagger-json");
  const converted = JSON.parse(doc.importValue);
  assert.equal(converted.swagger, "2.0");
  assert.equal(converted.info.version, "1.10");
  assert.equal(converted.host, "orders.example.com");
  const get = converted.paths["/orders/{id}"].get;
  assert.equal(get.parameters[0].required, true);
  // YAML 1.2 core schema: `on`/`no` stay strings, `01234` is an integer.
  assert.deepEqual(get.responses["200"].examples["application/json"], {
    on: "no",
    zip: 1234,
    flag: true,
  });
  assert.equal(doc.importValueBytes, encode(doc.importValue).byteLength);
  assert.deepEqual(doc.operations, [
    { method: "get", path: "/orders/{id}", operationId: "getOrder" },
  ]);
});

Deno.test("the digest is sha256 of the exact bytes, the size their length", () => {
  const bytes = encode(OAS3_YAML);
  const doc = parseOpenApiDocument(bytes);
  const expected = createHash("sha256").update(bytes).digest("hex");
  assert.equal(doc.digest, `sha256:${expected}`);
  assert.equal(doc.sizeBytes, bytes.byteLength);
  const changed = parseOpenApiDocument(encode(OAS3_YAML + "\n"));
  assert.notEqual(changed.digest, doc.digest);
});

Deno.test("a UTF-8 byte order mark is accepted and not counted in the payload", () => {
  const text = OAS3_JSON;
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...encode(text)]);
  const doc = parseOpenApiDocument(bytes);
  assert.equal(doc.importValue, text);
  assert.equal(doc.sizeBytes, bytes.byteLength);
  assert.equal(doc.importValueBytes, bytes.byteLength - 3);
});

Deno.test("HTML is refused as HTML, other markup as XML", () => {
  assert.equal(
    invalid("<!DOCTYPE html><html><body>Login</body></html>"),
    "the response is HTML, not an OpenAPI document",
  );
  assert.equal(
    invalid("\n  <html lang=en><head></head></html>"),
    "the response is HTML, not an OpenAPI document",
  );
  assert.equal(
    invalid("<div>oops</div>", "text/html; charset=utf-8"),
    "the response is HTML, not an OpenAPI document",
  );
  assert.equal(
    invalid('<?xml version="1.0"?><wsdl:definitions/>', "application/xml"),
    "the response is XML, not an OpenAPI document",
  );
});

Deno.test("empty and blank bodies are refused", () => {
  assert.equal(invalid(""), "the response body is empty");
  assert.equal(invalid(" \n\t\r\n"), "the response body is empty");
  assert.match(invalid("# just a comment\n"), /no content/);
});

Deno.test("JSON that is not an object is refused", () => {
  assert.match(
    invalid('[{"openapi":"3.0.0"}]'),
    /must be an object with an "openapi" or "swagger" field, not an array/,
  );
  assert.match(invalid("Not Found"), /not the string "Not Found"/);
  assert.match(invalid("42"), /not the number 42/);
  assert.match(invalid("null"), /not null/);
});

Deno.test("a document without a version key is refused", () => {
  assert.match(
    invalid('{"info":{"title":"t","version":"1"},"paths":{}}'),
    /neither an "openapi" nor a "swagger" field/,
  );
  assert.match(
    invalid('{"openapi":"3.0.0","swagger":"2.0","info":{}}'),
    /both an "openapi" and a "swagger" field/,
  );
});

Deno.test("unsupported or mistyped version keys are refused with the value", () => {
  assert.match(
    invalid('{"openapi":"2.0","info":{"title":"t","version":"1"}}'),
    /"openapi" is "2.0"/,
  );
  assert.match(
    invalid('{"swagger":"1.2","info":{"title":"t","version":"1"}}'),
    /"swagger" is "1.2"/,
  );
  assert.match(
    invalid('{"openapi":3,"info":{"title":"t","version":"1"}}'),
    /"openapi" must be a string such as "3.0.3", not the number 3/,
  );
  // In YAML an unquoted 3.0 is read as written.
  const doc = parseOpenApiDocument(
    encode("openapi: 3.0\ninfo: {title: t, version: v1}\n"),
  );
  assert.equal(doc.declaredVersion, "3.0");
});

Deno.test("invalid JSON and YAML name the problem and where", () => {
  assert.match(
    invalid('{"openapi": "3.0.0",}'),
    /^the document is not valid JSON: .*position/,
  );
  assert.match(
    invalid("openapi: 3.0.0\ninfo:\n  title: a\n  title: b\n"),
    /^the document is not valid YAML: duplicated mapping key at line 4, column 3$/,
  );
  assert.match(
    invalid("openapi: [3.0.0\n"),
    /not valid YAML: .* at line \d+, column \d+$/,
  );
  assert.match(
    invalid("openapi: 3.0.0\n---\nopenapi: 3.1.0\n"),
    /holds 2 documents/,
  );
});

Deno.test("structural problems are located precisely", () => {
  const base = { openapi: "3.0.0", info: { title: "t", version: "1" } };
  const cases: [unknown, RegExp][] = [
    [{ openapi: "3.0.0" }, /^info is missing$/],
    [{ ...base, info: { version: "1" } }, /^info\.title is missing$/],
    [
      { ...base, info: { title: 5, version: "1" } },
      /^info\.title must be a string, not the number 5$/,
    ],
    [
      { ...base, info: { title: "t", version: null } },
      /^info\.version must be a string, not null$/,
    ],
    [{ ...base, paths: [] }, /^paths must be an object, not an array$/],
    [
      { ...base, paths: { pets: {} } },
      /^paths\["pets"\] does not start with "\/"$/,
    ],
    [
      { ...base, paths: { "/pets": "x" } },
      /^paths\["\/pets"\] must be an object, not the string "x"$/,
    ],
    [
      { ...base, paths: { "/pets": { get: [] } } },
      /^paths\["\/pets"\]\.get must be an object, not an array$/,
    ],
    [
      { ...base, paths: { "/pets": { get: { operationId: 12 } } } },
      /^paths\["\/pets"\]\.get\.operationId must be a string, not the number 12$/,
    ],
  ];
  for (const [value, expected] of cases) {
    assert.match(invalid(JSON.stringify(value)), expected);
  }
});

Deno.test("empty or null operationIds count as missing; paths may be absent", () => {
  const doc = parseOpenApiDocument(encode(JSON.stringify({
    openapi: "3.1.0",
    info: { title: "t", version: "1" },
    paths: {
      "/a": { get: { operationId: "" }, put: { operationId: null } },
      "/b": null,
    },
  })));
  assert.deepEqual(doc.operations, [
    { method: "get", path: "/a" },
    { method: "put", path: "/a" },
  ]);
  const noPaths = parseOpenApiDocument(
    encode('{"openapi":"3.1.0","info":{"title":"t","version":"1"}}'),
  );
  assert.deepEqual(noPaths.operations, []);
});

Deno.test("bytes that are not UTF-8 are refused", () => {
  assert.match(
    invalid(new Uint8Array([0x6f, 0x70, 0x65, 0x6e, 0xff, 0xfe, 0x3a])),
    /not valid UTF-8/,
  );
  assert.match(invalid(new Uint8Array([0xff, 0xfe, 0x7b, 0x00])), /UTF-16/);
});

Deno.test("required query parameters are read from the path item, the operation and local references", () => {
  const cases: [string, Record<string, unknown>, string[] | undefined][] = [
    ["none", { get: { operationId: "a" } }, undefined],
    [
      "operation",
      {
        get: {
          parameters: [
            { name: "q", in: "query", required: true },
            { name: "opt", in: "query" },
            { name: "h", in: "header", required: true },
          ],
        },
      },
      ["q"],
    ],
    [
      "path item, overridden by the operation",
      {
        parameters: [
          { name: "shared", in: "query", required: true },
          { name: "dropped", in: "query", required: true },
        ],
        get: {
          parameters: [{ name: "dropped", in: "query", required: false }],
        },
      },
      ["shared"],
    ],
    [
      "references",
      {
        get: {
          parameters: [
            { $ref: "#/components/parameters/Mode" },
            { $ref: "#/components/parameters/Missing" },
            { $ref: "other.yaml#/Mode" },
            "not a parameter",
          ],
        },
      },
      ["mode"],
    ],
  ];
  for (const [name, item, requiredQuery] of cases) {
    const doc = parseOpenApiDocument(encode(JSON.stringify({
      openapi: "3.0.3",
      info: { title: "t", version: "1" },
      paths: { "/x": item },
      components: {
        parameters: { Mode: { name: "mode", in: "query", required: true } },
      },
    })));
    assert.deepEqual(doc.operations[0]?.requiredQuery, requiredQuery, name);
  }
});

Deno.test("references to other files are listed once each; local ones and those in extensions are not", () => {
  const doc = parseOpenApiDocument(encode(`openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    $ref: paths/a.yaml
  /b:
    get:
      responses:
        '200': &ok {$ref: 'common.yaml#/responses/Ok'}
        '201': *ok
        '404': {$ref: '#/components/responses/NotFound'}
      x-examples: {$ref: ./examples/b.json}
components:
  schemas:
    Remote: {$ref: 'https://example.com/schemas.json#/Remote'}
    Signed: {$ref: 'https://me:pa55@acct.example.net/s.json?sv=1&sig=s3cr3t#/Pet'}
    Query: {$ref: 'common.yaml?token=s3cr3t'}
`));
  assert.deepEqual(doc.externalRefs, [
    "paths/a.yaml",
    "common.yaml#/responses/Ok",
    "https://example.com/schemas.json#/Remote",
    "https://acct.example.net/s.json#/Pet",
    "common.yaml",
  ]);
});

Deno.test("a document nested too deeply to walk is refused, not retried", () => {
  const depth = 200_000;
  const text =
    `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"x":${
      "[".repeat(depth)
    }${"]".repeat(depth)}}`;
  assert.match(
    invalid(text),
    /^the document cannot be read: it nests too deeply/,
  );
});
