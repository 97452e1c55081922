// Parsing the largest YAML documents the operator reads inside its V8 heap limit, in a child process.

import assert from "node:assert/strict";
import { APIM_INLINE_IMPORT_LIMIT_BYTES } from "../../../src/openapi/preflight.ts";
import { OPERATOR_V8_FLAGS } from "../../support/operator_runtime.ts";

const PARSE = new URL(
  "../../../src/openapi/parse_document.ts",
  import.meta.url,
);
const REVISION = new URL(
  "../../../src/openapi/revision_payload.ts",
  import.meta.url,
);
const CONFIG = new URL("../../../deno.json", import.meta.url);

/**
 * Child code: parse the file named by the first argument and, with a second argument, build the
 * payload of an import into a revision that is not current, with that description; print what
 * was read.
 */
const CHILD = `import { parseOpenApiDocument } from ${
  JSON.stringify(PARSE.href)
};
import { payloadWithDescription } from ${JSON.stringify(REVISION.href)};
const doc = parseOpenApiDocument(await Deno.readFile(Deno.args[0]));
const payload = Deno.args[1] ? payloadWithDescription(doc, Deno.args[1]) : undefined;
console.log(JSON.stringify({
  operations: doc.operations.length,
  format: payload?.format ?? doc.importFormat,
}));`;

/**
 * A YAML document of many operations and schemas with short descriptions: about 10 bytes per key
 * or value, 2-3 times denser than real documents (OpenAI's, Twilio's and Kubernetes' have 22-28).
 */
function denseYaml(header: string, limitBytes: number): string {
  const parts = [header, "paths:\n"];
  const schemas = ["definitions:\n"];
  let size = header.length;
  for (let i = 0; size < limitBytes - 4096; i++) {
    const path =
      `  /things${i}/{id}:\n    get:\n      operationId: getThing${i}\n` +
      `      summary: Get thing ${i}\n` +
      `      description: Reads one thing by its id; answers 404 when there is none.\n` +
      `      parameters:\n        - name: id\n          in: path\n          required: true\n` +
      `          type: string\n      responses:\n        '200':\n          description: OK\n`;
    const schema = `  Thing${i}:\n    type: object\n    properties:\n` +
      `      id: {type: string, description: The id of the thing, unique in its tenant.}\n` +
      `      count: {type: integer, format: int32, description: How many there are.}\n` +
      `      tags: {type: array, items: {type: string}}\n`;
    parts.push(path);
    schemas.push(schema);
    size += path.length + schema.length;
  }
  return parts.join("") + schemas.join("");
}

async function parseInOperatorHeap(
  text: string,
  pinnedDescription?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, text);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `--config=${CONFIG.pathname}`,
        `--v8-flags=${OPERATOR_V8_FLAGS}`,
        CHILD,
        file,
        ...(pinnedDescription === undefined ? [] : [pinnedDescription]),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return {
      code: output.code,
      stdout: decode(output.stdout),
      stderr: decode(output.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test("YAML documents up to APIM's inline import limit (larger ones are not read) parse within the operator's heap limit", async () => {
  const cases = [
    {
      header: "openapi: 3.0.3\ninfo: {title: Big, version: '1'}\n",
      format: "openapi",
    },
    {
      header: "swagger: '2.0'\ninfo: {title: Big, version: '1'}\n",
      format: "swagger-json",
    },
  ];
  for (const { header, format } of cases) {
    const text = denseYaml(header, APIM_INLINE_IMPORT_LIMIT_BYTES);
    const result = await parseInOperatorHeap(text);
    assert.equal(result.code, 0, `${format}: ${result.stderr.slice(0, 500)}`);
    const read = JSON.parse(result.stdout);
    assert.equal(read.format, format);
    assert.equal(read.operations, text.split("operationId:").length - 1);
  }
});

Deno.test("a YAML document up to APIM's inline import limit gets a pinned description within the operator's heap limit", async () => {
  const header = "openapi: 3.0.3\ninfo: {title: Big, version: '1'}\n";
  const text = denseYaml(header, APIM_INLINE_IMPORT_LIMIT_BYTES);
  const result = await parseInOperatorHeap(text, "Pinned description");
  assert.equal(result.code, 0, result.stderr.slice(0, 500));
  assert.equal(JSON.parse(result.stdout).format, "openapi+json");
});
