// What the OpenAPI parser says when it refuses a document, for the parser's unit tests.

import assert from "node:assert/strict";
import { InvalidDocumentError } from "../../src/openapi/invalid_document_error.ts";
import { parseOpenApiDocument } from "../../src/openapi/parse_document.ts";

/** UTF-8 bytes of `text`. */
export const encode = (text: string): Uint8Array =>
  new TextEncoder().encode(text);

/** The detail of the {@linkcode InvalidDocumentError} that refuses `text`; fails when it is read. */
export function refusedDetail(
  text: string | Uint8Array,
  contentType?: string,
): string {
  const bytes = typeof text === "string" ? encode(text) : text;
  try {
    parseOpenApiDocument(bytes, contentType);
  } catch (error) {
    assert.ok(error instanceof InvalidDocumentError, String(error));
    assert.equal(error.retryable, false);
    assert.equal(error.message, `Invalid OpenAPI document: ${error.detail}`);
    return error.detail;
  }
  assert.fail(`expected the document to be refused: ${String(text)}`);
}
