// §C6: revision addressing (raw and %3B-encoded), sourceApiId, one current revision, releases, revision deletes.

import assert from "node:assert/strict";
import {
  armError,
  collection,
  pollLocation,
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
  // A non-current revision has no isCurrent field (net-ApiRevisionTests#9, cli-…revision#4).
  assert.equal("isCurrent" in created.properties, false);
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

  // Newest first, relative ids, privateUrl with ;rev= only when not current, nextLink null
  // (net-ApiRevisionTests#15, cli-test_apim_api_revision#2).
  const listing = await sim.arm("GET", "/apis/echo-api/revisions");
  const revisions = collection(listing.body);
  assert.deepEqual(
    revisions.value.map((r) => [r.apiRevision, r.isCurrent, r.privateUrl]),
    [["2", false, "/echo;rev=2"], ["1", true, "/echo"]],
  );
  assert.deepEqual(
    revisions.value.map((r) => [r.id, r.apiId]),
    [
      ["/apis/echo-api;rev=2/revisions/echo-api;rev=2", "/apis/echo-api;rev=2"],
      ["/apis/echo-api;rev=1/revisions/echo-api;rev=1", "/apis/echo-api;rev=1"],
    ],
  );
  assert.equal(revisions.nextLink, null);

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
  // The answer names the API, not the revision (net-ApiRevisionTests#19).
  assert.equal(
    resource(release.body).properties.apiId,
    `${sim.service.resourceId}/apis/echo-api`,
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
  assert.equal("apiId" in (resource(releases.value[0]).properties), false);
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

Deno.test("deleting revisions: non-current goes alone, current with others fails when polled, deleteRevisions removes all", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  await putApi(sim, "echo", {});
  for (const rev of ["2", "3"]) {
    await sim.arm("PUT", `/apis/echo;rev=${rev}`, {
      body: {
        properties: { sourceApiId: `${sim.service.resourceId}/apis/echo` },
      },
    });
  }
  // 2024-05-01: 202 + Location (asyncCode=204), the outcome with the poll.
  const nonCurrent = await sim.arm("DELETE", "/apis/echo;rev=2");
  assert.equal(nonCurrent.status, 202);
  const location = nonCurrent.headers.get("location") ?? "";
  assert.match(location, /\/apis\/echo;rev=2\?.*asyncCode=204$/);
  assert.equal((await pollLocation(sim, location)).final.status, 204);
  assert.deepEqual(sim.service.api("echo")?.revisions.map((r) => r.revision), [
    "1",
    "3",
  ]);
  // The current revision cannot go while others exist (apiops-cli#260: at poll time).
  const current = await sim.arm("DELETE", "/apis/echo");
  assert.equal(current.status, 202);
  const refused = await pollLocation(
    sim,
    current.headers.get("location") ?? "",
  );
  assert.equal(refused.final.status, 400);
  assert.deepEqual(armError(refused.final.body), {
    code: "ValidationError",
    message: "Cannot delete the current revision of an API.",
    details: null,
  });
  // 2022-08-01 answers at once (apiops#184).
  const sync = await sim.arm("DELETE", "/apis/echo", {
    apiVersion: "2022-08-01",
  });
  assert.equal(sync.status, 400);
  assert.equal(
    armError(sync.body).message,
    "Cannot delete the current revision of an API.",
  );
  const all = await sim.arm("DELETE", "/apis/echo", {
    query: { deleteRevisions: "true" },
  });
  assert.equal(all.status, 202);
  await pollLocation(sim, all.headers.get("location") ?? "");
  assert.equal(sim.service.api("echo"), undefined);
  assert.equal((await sim.arm("GET", "/apis/echo;rev=3")).status, 404);
});
