// Unit tests for canonical JSON and the desired-state hash.
import assert from "node:assert/strict";
import {
  canonicalJson,
  type Hashable,
  hashOf,
} from "../../../src/reconcile/hash.ts";

const canonical: [string, Hashable, string][] = [
  ["writes a string as JSON", 'say "hi"\n', JSON.stringify('say "hi"\n')],
  ["writes a number as JSON", 1.5, "1.5"],
  ["writes a boolean as JSON", false, "false"],
  ["writes null", null, "null"],
  ["writes undefined as null", undefined, "null"],
  ["writes an empty object", {}, "{}"],
  ["writes an empty array", [], "[]"],
  ["sorts object keys", { b: 1, a: 2, C: 3 }, '{"C":3,"a":2,"b":1}'],
  [
    "sorts the keys of nested objects",
    { z: { y: 1, x: [{ b: true, a: null }] } },
    '{"z":{"x":[{"a":null,"b":true}],"y":1}}',
  ],
  ["keeps the order of arrays", [3, 1, 2], "[3,1,2]"],
  ["drops undefined members", { a: undefined, b: 1 }, '{"b":1}'],
  ["writes undefined array items as null", [undefined, 1], "[null,1]"],
  ["escapes keys", { 'k"ey': 1 }, '{"k\\"ey":1}'],
];

for (const [what, value, text] of canonical) {
  Deno.test(`canonicalJson() ${what}`, () => {
    assert.equal(canonicalJson(value), text);
  });
}

Deno.test("canonicalJson() writes text that parses back to the same value", () => {
  const value = { list: [1, "two", { three: 3 }], flag: true, none: null };
  assert.deepEqual(JSON.parse(canonicalJson(value)), value);
});

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return [...new Uint8Array(digest)]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("hashOf() is the hex SHA-256 of the canonical JSON", async () => {
  const value = { b: [1, 2], a: "x" };
  assert.equal(hashOf(value), await sha256Hex('{"a":"x","b":[1,2]}'));
  assert.match(hashOf(value), /^[0-9a-f]{64}$/);
});

Deno.test("hashOf() ignores key order at every depth", () => {
  assert.equal(
    hashOf({ a: 1, b: { c: 2, d: [{ e: 3, f: 4 }] } }),
    hashOf({ b: { d: [{ f: 4, e: 3 }], c: 2 }, a: 1 }),
  );
});

Deno.test("hashOf() treats an undefined member like an absent one", () => {
  assert.equal(hashOf({ a: 1, b: undefined }), hashOf({ a: 1 }));
});

const distinct: [string, Hashable, Hashable][] = [
  ["array order", [1, 2], [2, 1]],
  ["a value", { a: 1 }, { a: 2 }],
  ["a null member and an absent one", { a: null }, {}],
  ["a number and its string", 1, "1"],
  ["a boolean and its string", true, "true"],
  ["a nested value", { a: { b: 1 } }, { a: { b: 2 } }],
];

for (const [what, a, b] of distinct) {
  Deno.test(`hashOf() tells apart ${what}`, () => {
    assert.notEqual(hashOf(a), hashOf(b));
  });
}
