// Unit tests of the example shape comparison used by the conformance test.

import assert from "node:assert/strict";
import { shapeMismatches } from "./shape_match.ts";

Deno.test("values are ignored, keys and JSON types are compared recursively", () => {
  const example = {
    id: "/a",
    properties: { n: 1, tags: ["x"], flag: true, auth: null },
  };
  assert.deepEqual(
    shapeMismatches(example, {
      id: "/b",
      properties: { n: 2, tags: ["y", "z"], flag: false },
    }),
    [],
  );
  assert.deepEqual(
    shapeMismatches(example, {
      id: 3,
      properties: { tags: [1], flag: "true" },
    }),
    [
      "id: expected string, got number",
      "properties.n: missing",
      "properties.tags[]: expected string, got number",
      "properties.flag: expected boolean, got string",
    ],
  );
});

Deno.test("list values must have items; other arrays may be empty; ignored paths are skipped", () => {
  assert.deepEqual(shapeMismatches({ value: [{ a: 1 }] }, { value: [] }), [
    "value: expected items",
  ]);
  assert.deepEqual(
    shapeMismatches({ locations: [{ a: 1 }] }, { locations: [] }),
    [],
  );
  assert.deepEqual(
    shapeMismatches({ tags: { owner: "x" } }, { tags: {} }, ["tags"]),
    [],
  );
});
