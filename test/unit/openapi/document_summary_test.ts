// Unit tests for the document summary and the `📄 Swagger content` log lines.

import assert from "node:assert/strict";
import { Logger, type LogLevel } from "../../../src/log.ts";
import {
  documentSummary,
  logDocumentSummary,
} from "../../../src/openapi/document_summary.ts";
import { parseOpenApiDocument } from "../../../src/openapi/parse_document.ts";

const TEXT = JSON.stringify({
  openapi: "3.0.1",
  info: { title: "Pets", version: "2.1" },
  paths: { "/pets": { get: { operationId: "a" }, post: { operationId: "b" } } },
});
const DOC = parseOpenApiDocument(new TextEncoder().encode(TEXT));

function collect(level: LogLevel): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({
    level,
    sink: (line) => lines.push(JSON.parse(line)),
  });
  logDocumentSummary(logger.child({ controller: "apimapideployment" }), DOC);
  return lines;
}

Deno.test("documentSummary holds the facts for the log line", () => {
  assert.deepEqual(documentSummary(DOC), {
    title: "Pets",
    version: "2.1",
    sizeBytes: TEXT.length,
    digest: DOC.digest,
    operationCount: 2,
    format: "openapi+json",
  });
});

Deno.test("at info level one line without the document is logged", () => {
  const lines = collect("info");
  assert.equal(lines.length, 1);
  const { time: _time, ...line } = lines[0] ?? {};
  assert.deepEqual(line, {
    level: "info",
    msg: "📄 Swagger content",
    controller: "apimapideployment",
    ...documentSummary(DOC),
  });
});

Deno.test("at debug level the document follows in a debug line", () => {
  const lines = collect("debug");
  assert.equal(lines.length, 2);
  assert.equal(lines[0]?.content, undefined);
  assert.equal(lines[1]?.level, "debug");
  assert.equal(lines[1]?.msg, "📄 Swagger content");
  assert.equal(lines[1]?.content, TEXT);
  assert.equal(lines[1]?.digest, DOC.digest);
});
