// Unit tests for the pre-flight checks that stop or warn about a document before it reaches APIM.

import assert from "node:assert/strict";
import type { OperationRef } from "../../../src/openapi/document_operations.ts";
import {
  APIM_INLINE_IMPORT_LIMIT_BYTES,
  apimOperationName,
  preflightDocument,
  type PreflightInput,
  signatureOf,
} from "../../../src/openapi/preflight.ts";

function input(
  operations: OperationRef[],
  overrides: Partial<PreflightInput> = {},
): PreflightInput {
  return {
    specVersion: "openapi3",
    declaredVersion: "3.0.3",
    operations,
    importValueBytes: 1000,
    externalRefs: [],
    ...overrides,
  };
}

const reasons = (issues: { reason: string }[]) => issues.map((i) => i.reason);

Deno.test("a clean document has no findings", () => {
  const result = preflightDocument(input([
    { method: "get", path: "/pets", operationId: "listPets" },
    { method: "post", path: "/pets", operationId: "createPet" },
    { method: "get", path: "/pets/{id}", operationId: "getPet" },
    { method: "get", path: "/pets/{id}/toys", operationId: "listToys" },
  ]));
  assert.deepEqual(result, {
    missingOperationIds: [],
    duplicateOperations: [],
    duplicateOperationIds: [],
    warnings: [],
    errors: [],
  });
});

Deno.test("missing operationIds are a warning naming the operations", () => {
  const result = preflightDocument(input([
    { method: "get", path: "/pets" },
    { method: "post", path: "/pets", operationId: "createPet" },
    { method: "delete", path: "/pets/{id}" },
  ]));
  assert.deepEqual(result.missingOperationIds, [
    { method: "get", path: "/pets" },
    { method: "delete", path: "/pets/{id}" },
  ]);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(reasons(result.warnings), ["MissingOperationIds"]);
  const message = result.warnings[0]?.message ?? "";
  assert.match(
    message,
    /^2 operations have no operationId: "GET \/pets", "DELETE \/pets\/\{id\}"; /,
  );
  assert.match(message, /APIM generates names for them/);
  assert.match(
    message,
    /Operation with the same method and URL template already exists/,
  );
  assert.match(message, /stable, unique operationId/);
});

Deno.test("long lists of operations are cut in messages", () => {
  const operations: OperationRef[] = Array.from(
    { length: 13 },
    (_, i) => ({ method: "get", path: `/r${i}` }),
  );
  const message = preflightDocument(input(operations)).warnings[0]?.message ??
    "";
  assert.match(message, /^13 operations have no operationId: /);
  assert.match(message, /"GET \/r9" and 3 more;/);
  assert.doesNotMatch(message, /\/r10/);
  const single = preflightDocument(input([{ method: "get", path: "/a" }]));
  assert.match(
    single.warnings[0]?.message ?? "",
    /^1 operation has no operationId/,
  );
});

Deno.test("the same method and template modulo parameter names is an error", () => {
  const result = preflightDocument(input([
    { method: "get", path: "/pets/{id}", operationId: "getPet" },
    { method: "get", path: "/pets/{petId}", operationId: "getPetById" },
    { method: "delete", path: "/pets/{petId}", operationId: "deletePet" },
    { method: "get", path: "/Pets/{id}", operationId: "getPetUpper" },
    { method: "get", path: "/pets/{id}/", operationId: "getPetSlash" },
  ]));
  assert.deepEqual(result.duplicateOperations, [{
    signature: "GET /pets/{}",
    operations: [
      { method: "get", path: "/pets/{id}", operationId: "getPet" },
      { method: "get", path: "/pets/{petId}", operationId: "getPetById" },
    ],
  }]);
  assert.deepEqual(reasons(result.errors), ["DuplicateOperations"]);
  assert.equal(
    result.errors[0]?.message,
    '2 operations have the signature "GET /pets/{}": "GET /pets/{id}", "GET /pets/{petId}"; ' +
      'APIM rejects the import with "Importing API has duplicate signature operations"',
  );
});

Deno.test("a duplicated operationId is an error", () => {
  const result = preflightDocument(input([
    { method: "get", path: "/pets", operationId: "pets" },
    { method: "post", path: "/pets", operationId: "pets" },
    { method: "get", path: "/toys", operationId: "toys" },
  ]));
  assert.deepEqual(result.duplicateOperationIds, [{
    operationId: "pets",
    operations: [
      { method: "get", path: "/pets", operationId: "pets" },
      { method: "post", path: "/pets", operationId: "pets" },
    ],
  }]);
  assert.deepEqual(reasons(result.errors), ["DuplicateOperationIds"]);
  assert.match(
    result.errors[0]?.message ?? "",
    /^the operationId "pets" is used by 2 operations: "GET \/pets", "POST \/pets"/,
  );
});

Deno.test("operationIds that APIM names alike are a warning", () => {
  const result = preflightDocument(input([
    { method: "get", path: "/pets", operationId: "get_pets" },
    { method: "post", path: "/pets", operationId: "Get-Pets" },
  ]));
  assert.deepEqual(result.errors, []);
  assert.deepEqual(reasons(result.warnings), ["OperationNameCollision"]);
  assert.match(
    result.warnings[0]?.message ?? "",
    /"get_pets", "Get-Pets" all become the APIM operation name "get-pets"/,
  );
});

Deno.test("an import payload over the inline limit is an error", () => {
  const atLimit = preflightDocument(
    input([], { importValueBytes: APIM_INLINE_IMPORT_LIMIT_BYTES }),
  );
  assert.deepEqual(atLimit.errors, []);
  const over = preflightDocument(
    input([], { importValueBytes: APIM_INLINE_IMPORT_LIMIT_BYTES + 1 }),
  );
  assert.deepEqual(reasons(over.errors), ["ImportTooLarge"]);
  assert.match(
    over.errors[0]?.message ?? "",
    /4194305 bytes, over APIM's inline import limit of 4194304 bytes/,
  );
  const custom = preflightDocument(input([], { importValueBytes: 2000 }), {
    maxImportBytes: 1999,
  });
  assert.deepEqual(reasons(custom.errors), ["ImportTooLarge"]);
});

Deno.test("OpenAPI versions APIM does not import are a warning", () => {
  for (const declaredVersion of ["3.0", "3.0.3", "3.1.0", "3.1"]) {
    assert.deepEqual(
      preflightDocument(input([], { declaredVersion })).warnings,
      [],
      declaredVersion,
    );
  }
  const newer = preflightDocument(input([], { declaredVersion: "3.2.0" }));
  assert.deepEqual(reasons(newer.warnings), ["UnsupportedOpenApiVersion"]);
  const swagger = preflightDocument(
    input([], { specVersion: "swagger2", declaredVersion: "2.0" }),
  );
  assert.deepEqual(swagger.warnings, []);
});

Deno.test("signatures and APIM operation names follow APIM's rules", () => {
  assert.equal(
    signatureOf({ method: "patch", path: "/a/{x}/b/{y}" }),
    "PATCH /a/{}/b/{}",
  );
  assert.equal(apimOperationName("GetPetById"), "getpetbyid");
  assert.equal(apimOperationName("--List  Pets__v2!"), "list-pets-v2");
  assert.equal(apimOperationName("x".repeat(100)).length, 76);
});

Deno.test("a query string in a paths key is not part of the signature; required query parameters are", () => {
  const cases: { operations: OperationRef[]; signatures: string[] }[] = [
    {
      // APIM drops the query of a paths key (net-ApiRevisionTests#6), so both are POST /responses.
      operations: [
        { method: "post", path: "/responses", operationId: "create" },
        {
          method: "post",
          path: "/responses?beta=true",
          operationId: "createBeta",
        },
      ],
      signatures: ["POST /responses"],
    },
    {
      // Required query parameters become part of the URL template, and tell operations apart.
      operations: [
        { method: "get", path: "/things", operationId: "list" },
        {
          method: "get",
          path: "/things?mode=tree",
          operationId: "tree",
          requiredQuery: ["mode"],
        },
      ],
      signatures: [],
    },
    {
      operations: [
        {
          method: "get",
          path: "/c?comp=acl",
          operationId: "acl",
          requiredQuery: ["comp"],
        },
        {
          method: "get",
          path: "/c?comp=list",
          operationId: "list",
          requiredQuery: ["comp"],
        },
      ],
      signatures: ["GET /c?comp={}"],
    },
  ];
  for (const { operations, signatures } of cases) {
    const result = preflightDocument(input(operations));
    assert.deepEqual(
      result.duplicateOperations.map((d) => d.signature),
      signatures,
      JSON.stringify(operations),
    );
  }
  assert.equal(
    signatureOf({
      method: "get",
      path: "/a/{x}?ignored={y}",
      requiredQuery: ["q", "r"],
    }),
    "GET /a/{}?q={}&r={}",
  );
});

Deno.test("references to other files are a warning naming the first of them", () => {
  const refs = Array.from(
    { length: 12 },
    (_, i) => `common.yaml#/schemas/S${i}`,
  );
  const result = preflightDocument(input([], { externalRefs: refs }));
  assert.deepEqual(result.errors, []);
  assert.deepEqual(reasons(result.warnings), ["ExternalReferences"]);
  const message = result.warnings[0]?.message ?? "";
  assert.match(
    message,
    /^the document refers to other files: "common\.yaml#\/schemas\/S0", .*"common\.yaml#\/schemas\/S9" and 2 more; APIM/,
  );
  assert.match(message, /bundle/);
});
