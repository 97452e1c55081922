// Unit tests for the health and readiness handler.
import assert from "node:assert/strict";
import { probeHandler } from "../../../src/http/probes.ts";

Deno.test("probeHandler() answers 200 when every check passes and 503 naming the failed one", async () => {
  let synced = false;
  const handler = probeHandler(
    [{ name: "ping", check: () => undefined }],
    [{
      name: "caches",
      check: () => synced ? undefined : "apimapis not synced",
    }],
  );
  assert.equal(handler(new Request("http://x/healthz")).status, 200);
  const notReady = handler(new Request("http://x/readyz"));
  assert.equal(notReady.status, 503);
  assert.match(
    await notReady.text(),
    /\[-\]caches failed: apimapis not synced/,
  );
  synced = true;
  assert.equal(handler(new Request("http://x/readyz")).status, 200);
  assert.equal(handler(new Request("http://x/readyz/caches")).status, 200);
  assert.equal(handler(new Request("http://x/readyz/unknown")).status, 404);
  assert.equal(handler(new Request("http://x/other")).status, 404);
});
