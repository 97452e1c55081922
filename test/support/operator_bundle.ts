// The operator as the image ships it: `deno bundle` of src/main.ts, minified, split where modules load lazily.
//
// One minified file holds a third of the source text that 950 modules do, and V8 keeps every
// module's source in its heap; the split keeps `@azure/identity` (loaded on the first token
// request) and the X.509 library (loaded for a self-signed metrics certificate) in their own
// chunks. bench/README.md, "Memory", has the measurements. `deno task bundle` and the Dockerfile
// use these flags; test/unit/operator_runtime_test.ts keeps them equal.
import { runCommand } from "./required_tool.ts";

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** Flags of `deno bundle` (no `--keep-names`: with it the bundle's `require` of Node built-ins fails). */
export const OPERATOR_BUNDLE_FLAGS: readonly string[] = [
  "--platform=deno",
  "--minify",
  "--code-splitting",
];

/** The bundle's entry file in its output directory. */
export const OPERATOR_BUNDLE_ENTRY = "main.js";

/** Bundles the operator into `outdir` (created or replaced); returns the entry file's path. */
export async function bundleOperator(outdir: string): Promise<string> {
  await Deno.remove(outdir, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const result = await runCommand(Deno.execPath(), [
    "bundle",
    "--quiet",
    ...OPERATOR_BUNDLE_FLAGS,
    `--outdir=${outdir}`,
    `${REPO_ROOT}src/main.ts`,
  ]);
  if (result.code !== 0) {
    throw new Error(`deno bundle failed: ${result.stderr}`);
  }
  return `${outdir}/${OPERATOR_BUNDLE_ENTRY}`;
}
