// §C6: revision addressing (raw and %3B-encoded), sourceApiId, one current revision, releases, revision deletes.

import assert from "node:assert/strict";
import {
  armError,
  collection,
  putApi,
  resource,
  startSimulators,
} from "./sim_fixture.ts";

Deno.test("a revision created from sourceApiId is addressable raw and percent-encoded; a release makes it current", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo-api", {
    path: "echo",
    serviceUrl: "https://echo.example.com/v1",
  });
  const source = `${sim.service.resourceId}/apis/echo-api`;
  const rev2 = await sim.arm("PUT", "/apis/echo-api;rev=2", {
    body: {
      properties: {
        path: "echo",
        serviceUrl: "https://echo.example.com/v2",
        sourceApiId: source,
        apiRevisionDescription: "v2 backend",
      },
    },
  });
  assert.equal(rev2.status, 201);
  const created = resource(rev2.body);
  assert.equal(created.name, "echo-api;rev=2");
  assert.equal(created.properties.apiRevision, "2");
  assert.equal(created.properties.isCurrent, false);
  for (const path of ["/apis/echo-api;rev=2", "/apis/echo-api%3Brev%3D2"]) {
    const got = await sim.arm("GET", path);
    assert.equal(got.status, 200, path);
    assert.equal(
      resource(got.body).properties.serviceUrl,
      "https://echo.example.com/v2",
    );
  }
  const current = resource((await sim.arm("GET", "/apis/echo-api")).body);
  assert.equal(current.properties.apiRevision, "1");

  const revisions = collection(
    (await sim.arm("GET", "/apis/echo-api/revisions")).body,
  );
  assert.deepEqual(
    revisions.value.map((r) => [r.apiRevision, r.isCurrent]),
    [["1", true], ["2", false]],
  );
  assert.equal(
    revisions.value[1]?.apiId,
    `${sim.service.resourceId}/apis/echo-api;rev=2`,
  );
  assert.equal(revisions.value[1]?.privateUrl, "/echo;rev=2");

  const release = await sim.arm("PUT", "/apis/echo-api/releases/rel-2", {
    body: {
      properties: {
        apiId: `${sim.service.resourceId}/apis/echo-api;rev=2`,
        notes: "rs-abc",
      },
    },
  });
  assert.equal(release.status, 201);
  assert.equal(
    resource(release.body).type,
    "Microsoft.ApiManagement/service/apis/releases",
  );
  const promoted = resource((await sim.arm("GET", "/apis/echo-api")).body);
  assert.equal(promoted.properties.apiRevision, "2");
  assert.equal(promoted.properties.serviceUrl, "https://echo.example.com/v2");
  const flags = sim.service.api("echo-api")?.revisions.map((r) => r.isCurrent);
  assert.deepEqual(flags, [false, true]);
  const releases = collection(
    (await sim.arm("GET", "/apis/echo-api/releases")).body,
  );
  assert.deepEqual(releases.value.map((r) => r.name), ["rel-2"]);
});

Deno.test("isCurrent: true on a revision PATCH promotes it; a release naming another API is rejected", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "a1", {});
  await putApi(sim, "b1", {});
  await sim.arm("PUT", "/apis/a1;rev=2", {
    body: { properties: { sourceApiId: `${sim.service.resourceId}/apis/a1` } },
  });
  const patched = await sim.arm("PATCH", "/apis/a1;rev=2", {
    headers: { "if-match": "*" },
    body: { properties: { isCurrent: true } },
  });
  assert.equal(patched.status, 200);
  assert.equal(sim.service.api("a1")?.currentRevision, "2");
  const wrong = await sim.arm("PUT", "/apis/a1/releases/r", {
    body: { properties: { apiId: `${sim.service.resourceId}/apis/b1` } },
  });
  assert.equal(wrong.status, 400);
  assert.equal(armError(wrong.body).details?.[0]?.target, "apiId");
});

Deno.test("deleting revisions: non-current goes alone, current with others is rejected, deleteRevisions removes all", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo", {});
  for (const rev of ["2", "3"]) {
    await sim.arm("PUT", `/apis/echo;rev=${rev}`, {
      body: {
        properties: { sourceApiId: `${sim.service.resourceId}/apis/echo` },
      },
    });
  }
  const nonCurrent = await sim.arm("DELETE", "/apis/echo;rev=2", {
    headers: { "if-match": "*" },
  });
  assert.equal(nonCurrent.status, 204);
  assert.deepEqual(sim.service.api("echo")?.revisions.map((r) => r.revision), [
    "1",
    "3",
  ]);
  const current = await sim.arm("DELETE", "/apis/echo", {
    headers: { "if-match": "*" },
  });
  assert.equal(current.status, 400);
  assert.equal(armError(current.body).code, "ValidationError");
  const all = await sim.arm("DELETE", "/apis/echo", {
    headers: { "if-match": "*" },
    query: { deleteRevisions: "true" },
  });
  assert.equal(all.status, 204);
  assert.equal(sim.service.api("echo"), undefined);
  assert.equal((await sim.arm("GET", "/apis/echo;rev=3")).status, 404);
});
