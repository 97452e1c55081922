// Synthetic OpenAPI documents in the shapes real ones take, for tests (never copies of real documents).

/**
 * A YAML document of `count` operations whose 401 responses are all one anchored node, as
 * PyYAML writes shared objects (`&id001` once, `*id001` everywhere else). `version` is the
 * first line (`openapi: 3.0.3`, `swagger: '2.0'`).
 */
export function sharedAnchorYaml(count: number, version: string): string {
  const lines = [version, "info: {title: Shared, version: '1'}", "paths:"];
  for (let i = 0; i < count; i++) {
    lines.push(
      `  /r${i}:`,
      `    get:`,
      `      operationId: op${i}`,
      `      responses:`,
      i === 0
        ? `        '401': &id001 {description: Unauthorized}`
        : `        '401': *id001`,
    );
  }
  return lines.join("\n") + "\n";
}
