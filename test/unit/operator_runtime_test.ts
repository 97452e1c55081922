// The image, `deno task start`, the tests and the bench run the operator with the same V8 flags and malloc settings, and the image ships the bundle the bench measures.
import assert from "node:assert/strict";
import {
  OPERATOR_BUNDLE_ENTRY,
  OPERATOR_BUNDLE_FLAGS,
} from "../support/operator_bundle.ts";
import {
  OPERATOR_MALLOC_ENV,
  OPERATOR_V8_FLAGS,
  operatorRunFlags,
} from "../support/operator_runtime.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("the Dockerfile compiles with the operator's V8 flags and sets its malloc settings", async () => {
  const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  const compile = /\n\s*&& deno compile(?:[^\n]*\\\n)*[^\n]*/.exec(dockerfile)
    ?.[0];
  assert.ok(compile, "no deno compile command");
  assert.ok(
    compile.includes(`-P=operator --v8-flags=${OPERATOR_V8_FLAGS} `),
    compile,
  );
  assert.ok(compile.endsWith(` dist/${OPERATOR_BUNDLE_ENTRY}`), compile);
  const checkAt = dockerfile.indexOf("\nRUN deno check src/main.ts\n");
  const bundleAt = dockerfile.indexOf("\nRUN deno task bundle\n");
  assert.ok(checkAt > 0 && checkAt < bundleAt, "type-checked before bundling");
  assert.ok(bundleAt < dockerfile.indexOf(compile), "bundled, then compiled");
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const env = /\nENV ([^\n]*)/.exec(runtimeStage)?.[1]?.split(/\s+/) ?? [];
  assert.deepEqual(
    env.filter((e) => e.startsWith("MALLOC_")).sort(),
    Object.entries(OPERATOR_MALLOC_ENV).map(([k, v]) => `${k}=${v}`).sort(),
  );
});

Deno.test("deno task bundle bundles the operator as the bench and the e2e test do", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as { tasks: Record<string, string> };
  assert.equal(
    config.tasks["bundle"],
    [
      "deno bundle --quiet",
      ...OPERATOR_BUNDLE_FLAGS,
      "--outdir=dist src/main.ts",
    ].join(" "),
  );
});

Deno.test("deno task start runs the operator like the image does", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as { tasks: Record<string, string> };
  const start = config.tasks["start"] ?? "";
  const env = Object.entries(OPERATOR_MALLOC_ENV).map(([k, v]) => `${k}=${v}`);
  assert.equal(
    start,
    [...env, "deno run", ...operatorRunFlags(), "src/main.ts"].join(" "),
  );
});
