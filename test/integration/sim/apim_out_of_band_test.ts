// Out-of-band ("portal") changes through the service handle are what ARM readers see next.

import assert from "node:assert/strict";
import {
  collection,
  createApiWithParents,
  importBody,
  openApiDocument,
  pollLocation,
  putApi,
  resource,
  startSimulators,
} from "./sim_fixture.ts";

Deno.test("portal edits of an API: new serviceUrl and ETag, deletion, and the lock during an import", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 1, lockSettleMs: 0 } },
  });
  const created = await putApi(sim, "echo", {
    serviceUrl: "https://old.example.com",
  });
  sim.service.setServiceUrl("echo", "https://portal.example.com");
  const read = await sim.arm("GET", "/apis/echo");
  assert.equal(
    resource(read.body).properties.serviceUrl,
    "https://portal.example.com",
  );
  assert.notEqual(read.headers.get("etag"), created.headers.get("etag"));
  sim.service.bumpApiEtag("echo");
  const stale = await sim.arm("PATCH", "/apis/echo", {
    headers: { "if-match": read.headers.get("etag") ?? "" },
    body: { properties: { displayName: "x" } },
  });
  assert.equal(stale.status, 412);
  const doc = openApiDocument("Echo", [["GET /echo", "echo"]]);
  const put = await sim.arm("PUT", "/apis/echo", {
    body: importBody(doc, "echo"),
  });
  assert.equal(sim.service.isApiLocked("echo"), true);
  await pollLocation(sim, put.headers.get("location") ?? "");
  assert.equal(sim.service.isApiLocked("echo"), false);
  assert.equal(sim.service.deleteApi("echo"), true);
  assert.equal((await sim.arm("GET", "/apis/echo")).status, 404);
});

Deno.test("portal removal of links, products and tags", async () => {
  await using sim = await startSimulators();
  await createApiWithParents(sim, {
    apiId: "echo",
    productId: "p",
    tagId: "t",
  });
  assert.deepEqual(sim.service.api("echo")?.productIds, ["p"]);
  assert.deepEqual(sim.service.api("echo")?.tagIds, ["t"]);
  assert.equal(sim.service.unlinkProduct("p", "echo"), true);
  assert.equal(sim.service.unlinkTag("t", "echo"), true);
  assert.equal(
    collection((await sim.arm("GET", "/products/p/apis")).body).value.length,
    0,
  );
  assert.equal((await sim.arm("GET", "/apis/echo/tags/t")).status, 404);
  assert.equal(sim.service.deleteProduct("p"), true);
  assert.equal(sim.service.deleteTag("t"), true);
  assert.equal((await sim.arm("GET", "/products/p")).status, 404);
  assert.equal((await sim.arm("GET", "/tags/t")).status, 404);
});
