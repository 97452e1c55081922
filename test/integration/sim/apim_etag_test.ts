// §C4: ETag/If-Match strictness on APIs, products and tags, and the concurrent-writer knob.

import assert from "node:assert/strict";
import {
  armError,
  importApi,
  openApiDocument,
  putApi,
  resource,
  startSimulators,
} from "./sim_fixture.ts";

const PRECONDITION_FAILED = {
  error: {
    code: "PreconditionFailed",
    message:
      "Exception of type 'Microsoft.WindowsAzure.ApiManagement.Management.Core.Exceptions.PreconditionFailedException' was thrown.",
    details: null,
  },
};

Deno.test("every write of an API gives a new ETag, returned by GET, HEAD, PUT and PATCH", async () => {
  await using sim = await startSimulators();
  const created = await putApi(sim, "echo", {
    serviceUrl: "https://echo.example.com",
  });
  const etag1 = created.headers.get("etag");
  assert.ok(etag1);
  const get = await sim.arm("GET", "/apis/echo");
  assert.equal(get.headers.get("etag"), etag1);
  const head = await sim.arm("HEAD", "/apis/echo");
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
  assert.equal(head.headers.get("etag"), etag1);
  const patched = await sim.arm("PATCH", "/apis/echo", {
    headers: { "if-match": etag1 },
    body: { properties: { serviceUrl: "https://echo2.example.com" } },
  });
  assert.equal(patched.status, 200);
  const etag2 = patched.headers.get("etag");
  assert.ok(etag2 && etag2 !== etag1);
  assert.equal(
    resource(patched.body).properties.serviceUrl,
    "https://echo2.example.com",
  );
  const stale = await sim.arm("PATCH", "/apis/echo", {
    headers: { "if-match": etag1 },
    body: { properties: { displayName: "lost update" } },
  });
  assert.equal(stale.status, 412);
  assert.deepEqual(stale.body, PRECONDITION_FAILED);
  assert.equal(
    sim.service.currentRevision("echo")?.properties.displayName,
    "echo",
  );
  const star = await sim.arm("PATCH", "/apis/echo", {
    headers: { "if-match": "*" },
    body: { properties: { displayName: "Echo" } },
  });
  assert.equal(star.status, 200);
});

Deno.test("PATCH without If-Match is rejected, DELETE without it is not; stale If-Match on DELETE is 412", async () => {
  await using sim = await startSimulators();
  const created = await putApi(sim, "echo", {});
  const patch = await sim.arm("PATCH", "/apis/echo", {
    body: { properties: {} },
  });
  assert.equal(patch.status, 400);
  assert.equal(armError(patch.body).details?.[0]?.target, "If-Match");
  await putApi(sim, "echo", { displayName: "changed" });
  const stale = await sim.arm("DELETE", "/apis/echo", {
    headers: { "if-match": created.headers.get("etag") ?? "" },
  });
  assert.equal(stale.status, 412);
  assert.ok(sim.service.api("echo"));
  // Recorded DELETEs without If-Match succeed (aso-…578500a#138: 200 at 2022-08-01).
  const unconditional = await sim.arm("DELETE", "/apis/echo", {
    apiVersion: "2022-08-01",
  });
  assert.equal(unconditional.status, 200);
  assert.equal(sim.service.api("echo"), undefined);
});

Deno.test("ETag headers are quoted strings; If-Match takes them back verbatim", async () => {
  await using sim = await startSimulators();
  const created = await putApi(sim, "echo", {});
  const etag = created.headers.get("etag") ?? "";
  // Every recorded ETag header is quoted (net-ApiTests#5: "\"AAAAAAAALpI=\"").
  assert.match(etag, /^"[A-Za-z0-9+/=]+"$/);
  const patched = await sim.arm("PATCH", "/apis/echo", {
    headers: { "if-match": etag },
    body: { properties: { displayName: "Echo" } },
  });
  assert.equal(patched.status, 200);
});

Deno.test("PUT without If-Match upserts (201 then 200); with a stale or absent-entity ETag it is 412", async () => {
  await using sim = await startSimulators();
  const first = await sim.arm("PUT", "/tags/t1", {
    body: { properties: { displayName: "one" } },
  });
  assert.equal(first.status, 201);
  const again = await sim.arm("PUT", "/tags/t1", {
    body: { properties: { displayName: "one" } },
  });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("etag"), first.headers.get("etag"));
  const changed = await sim.arm("PUT", "/tags/t1", {
    headers: { "if-match": first.headers.get("etag") ?? "" },
    body: { properties: { displayName: "two" } },
  });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get("etag"), first.headers.get("etag"));
  const stale = await sim.arm("PUT", "/tags/t1", {
    headers: { "if-match": first.headers.get("etag") ?? "" },
    body: { properties: { displayName: "three" } },
  });
  assert.equal(stale.status, 412);
  const absent = await sim.arm("PUT", "/tags/t2", {
    headers: { "if-match": '"AAAAAAAAAAE="' },
    body: { properties: { displayName: "x" } },
  });
  assert.equal(absent.status, 412);
  assert.equal(sim.service.tag("t1")?.displayName, "two");
});

Deno.test("the concurrent-writer knob makes the ETag of a GET stale before the PATCH", async () => {
  await using sim = await startSimulators();
  await sim.arm("PUT", "/products/p1", {
    body: { properties: { displayName: "P1" } },
  });
  sim.apim.knobs.concurrentWriter = { remaining: 1, path: /\/products\/p1$/ };
  const read = await sim.arm("GET", "/products/p1");
  const lost = await sim.arm("PATCH", "/products/p1", {
    headers: { "if-match": read.headers.get("etag") ?? "" },
    body: { properties: { description: "mine" } },
  });
  assert.equal(lost.status, 412);
  const reread = await sim.arm("GET", "/products/p1");
  assert.notEqual(reread.headers.get("etag"), read.headers.get("etag"));
  const ok = await sim.arm("PATCH", "/products/p1", {
    headers: { "if-match": reread.headers.get("etag") ?? "" },
    body: { properties: { description: "mine" } },
  });
  assert.equal(ok.status, 200);
  assert.equal(sim.service.product("p1")?.description, "mine");
});

Deno.test("an import changes the API's ETag only when it changes the operations", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  const doc = openApiDocument("Pets", [["GET /pets", "listPets"]]);
  const first = await importApi(sim, "pets", doc, "pets");
  const same = await importApi(sim, "pets", doc, "pets");
  assert.equal(same.status, 200);
  assert.equal(same.headers.get("etag"), first.headers.get("etag"));
  const more = await importApi(
    sim,
    "pets",
    openApiDocument("Pets", [["GET /pets", "listPets"], [
      "GET /pets/{id}",
      "getPet",
    ]]),
    "pets",
  );
  assert.notEqual(more.headers.get("etag"), first.headers.get("etag"));
});
