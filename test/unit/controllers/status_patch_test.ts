// Unit tests for the status merge patch: every field it sets ends up exactly as given.
import assert from "node:assert/strict";
import { replacing } from "../../../src/controllers/status_patch.ts";

/** RFC 7386 JSON merge patch, as the API server applies it. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    return patch;
  }
  const base = typeof target === "object" && target !== null &&
      !Array.isArray(target)
    ? { ...target as Record<string, unknown> }
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

const cases: { name: string; current: unknown; next: unknown }[] = [
  {
    name: "a new pending operation drops the poll URL of the one it replaces",
    current: { kind: "import", url: "https://arm/op/1", pollKind: "location" },
    next: { kind: "import", startedAt: "2026-12-05T00:00:00Z" },
  },
  {
    name: "nested objects are replaced as a whole, arrays as they are",
    current: { a: { b: 1, c: 2 }, list: [1, 2, 3] },
    next: { a: { b: 1 }, list: [3] },
  },
  {
    name: "a key set to undefined is removed",
    current: { a: 1, b: 2 },
    next: { a: 1, b: undefined },
  },
  {
    name: "an object replaces a scalar and a scalar an object",
    current: { a: 1, b: { c: 1 } },
    next: { a: { d: 2 }, b: 3 },
  },
  { name: "a value where there was none", current: undefined, next: { a: 1 } },
];

for (const c of cases) {
  Deno.test(`replacing(): ${c.name}`, () => {
    const expected = JSON.parse(JSON.stringify(c.next));
    assert.deepEqual(
      mergePatch(c.current, replacing(c.current, c.next)),
      expected,
    );
  });
}
