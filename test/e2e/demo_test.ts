// The README's run command: `deno task demo --once` registers the sample API end to end and exits 0.
import assert from "node:assert/strict";

Deno.test("the demo registers the README's sample API on its own control plane", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "demo/demo.ts", "--once"],
    cwd: new URL("../../", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text.slice(-3000));
  assert.match(
    text,
    /API Management now holds API "my-api" at path "\/api\/v1"/,
  );
  assert.match(text, /products: my-product; tags: backend, v1/);
});
