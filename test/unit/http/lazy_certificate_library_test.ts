// The X.509 library stays out of the operator's start-up graph: only a dynamic import reaches it.
import assert from "node:assert/strict";

const SRC = new URL("../../../src/", import.meta.url);
const LIBRARY_MODULE = "http/self_signed_certificate.ts";

async function sources(dir = ""): Promise<Array<[string, string]>> {
  const files: Array<[string, string]> = [];
  for await (const entry of Deno.readDir(new URL(dir, SRC))) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) files.push(...await sources(`${path}/`));
    else if (path.endsWith(".ts")) {
      files.push([path, await Deno.readTextFile(new URL(path, SRC))]);
    }
  }
  return files;
}

/** Static value imports (and re-exports) of `specifier`; `import type` is erased and allowed. */
function staticImports(text: string, specifier: RegExp): string[] {
  const statements = text.match(
    /^\s*(?:import|export)\b(?!\s+type\b)[^;]*?(?:from\s+)?"[^"]+";/gm,
  ) ?? [];
  return statements.filter((s) => specifier.test(s));
}

Deno.test("only a dynamic import loads self_signed_certificate.ts, the one module that loads @peculiar/x509", async () => {
  const files = await sources();
  const offenders = files.flatMap(([path, text]) =>
    path === LIBRARY_MODULE ? [] : [
      ...staticImports(text, /self_signed_certificate\.ts"/),
      ...staticImports(text, /"(@peculiar\/|reflect-metadata)/),
    ].map((s) => `${path}: ${s.trim()}`)
  );
  assert.deepEqual(offenders, []);
  const loaders = files.filter(([, text]) =>
    /await import\(\s*"\.\/self_signed_certificate\.ts"\s*,?\s*\)/.test(text)
  ).map(([path]) => path);
  assert.deepEqual(loaders, ["http/serve_metrics.ts"]);
});
