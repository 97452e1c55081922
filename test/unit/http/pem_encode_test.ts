// Unit tests of PEM armour.
import assert from "node:assert/strict";
import { pemEncode } from "../../../src/http/pem_encode.ts";
import { pemToDer } from "./der_reader.ts";

Deno.test("pemEncode() wraps base64 at 64 characters between the labelled markers", () => {
  const der = Uint8Array.from({ length: 100 }, (_, i) => i);
  const pem = pemEncode("CERTIFICATE", der);
  const lines = pem.trimEnd().split("\n");
  assert.equal(lines[0], "-----BEGIN CERTIFICATE-----");
  assert.equal(lines.at(-1), "-----END CERTIFICATE-----");
  const body = lines.slice(1, -1);
  assert.deepEqual(body.map((l) => l.length), [64, 64, 8]);
  assert.ok(pem.endsWith("\n"));
  assert.deepEqual(pemToDer(pem), der);
});

Deno.test("pemEncode() handles short and empty input", () => {
  assert.equal(
    pemEncode("PRIVATE KEY", Uint8Array.of(1, 2, 3)),
    "-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n",
  );
  assert.equal(
    pemEncode("X", new Uint8Array()),
    "-----BEGIN X-----\n-----END X-----\n",
  );
});
