// Version sets in the simulator: APIM's rules for APIs in a set (the recorded version-set traffic is replayed by apim_replay_test.ts).

import assert from "node:assert/strict";
import {
  armError,
  pollLocation,
  putApi,
  resource,
  SERVICE_PATH,
  type SimFixture,
  startSimulators,
} from "./sim_fixture.ts";

const SET_ID = `${SERVICE_PATH}/apiVersionSets/orders`;

Deno.test("an API's PUT answer embeds its set under the set's display name; a GET names the set by id only", async () => {
  await using sim = await startSimulators();
  await putSet(sim, "orders", {
    displayName: "Orders",
    description: "Orders, all versions",
    versioningScheme: "Segment",
  });
  const put = await putApi(sim, "orders-v1", {
    path: "orders",
    apiVersionSetId: SET_ID,
    apiVersion: "v1",
  });
  // As recorded: aso-Test_ApiManagement_20240501_CRUD#57 (PUT) and #68 (GET).
  assert.deepEqual(resource(put.body).properties["apiVersionSet"], {
    id: SET_ID,
    name: "Orders",
    description: "Orders, all versions",
    versioningScheme: "Segment",
    versionQueryName: null,
    versionHeaderName: null,
  });
  const got = resource((await sim.arm("GET", "/apis/orders-v1")).body);
  assert.equal(got.properties["apiVersionSet"], undefined);
  assert.equal(got.properties["apiVersionSetId"], SET_ID);
});

async function putSet(
  sim: SimFixture,
  id: string,
  properties: Record<string, unknown>,
) {
  return await sim.arm("PUT", `/apiVersionSets/${id}`, {
    body: { properties },
  });
}

Deno.test("two versions of one set share a path; the same version twice, or the path outside the set, is refused", async () => {
  await using sim = await startSimulators();
  assert.equal(
    (await putSet(sim, "orders", {
      displayName: "Orders",
      versioningScheme: "Segment",
    })).status,
    201,
  );
  const inSet = (version: string) => ({
    path: "orders",
    apiVersionSetId: SET_ID,
    apiVersion: version,
  });
  assert.equal((await putApi(sim, "orders-v1", inSet("v1"))).status, 201);
  assert.equal((await putApi(sim, "orders-v2", inSet("v2"))).status, 201);

  const twice = await putApi(sim, "orders-v2b", inSet("v2"));
  assert.equal(twice.status, 400);
  assert.deepEqual(armError(twice.body).details, [{
    code: "ValidationError",
    target: "apiVersion",
    message: "API with specified version 'v2' already exists",
  }]);

  const outside = await putApi(sim, "orders-plain", { path: "orders" });
  assert.equal(outside.status, 400);
  assert.equal(
    armError(outside.body).details?.[0]?.message,
    "Cannot create API 'orders-plain' with the same Path 'orders' as API 'orders-v1'  unless it's a part of the same version set",
  );

  const versionWithoutSet = await putApi(sim, "loose", {
    path: "loose",
    apiVersion: "v1",
  });
  assert.equal(versionWithoutSet.status, 400);
  assert.deepEqual(armError(versionWithoutSet.body).details, [{
    code: "ValidationError",
    target: "ApiVersion",
    message: "Can't set VersionName when ApiVersionSetId is not set.",
  }]);

  const unknownSet = await putApi(sim, "lost", {
    path: "lost",
    apiVersionSetId: `${SERVICE_PATH}/apiVersionSets/nope`,
    apiVersion: "v1",
  });
  assert.equal(unknownSet.status, 404);
  assert.deepEqual(armError(unknownSet.body), {
    code: "ResourceNotFound",
    message: "ApiVersionSet not found.",
    details: null,
  });
});

Deno.test("a version set needs a display name, and a Header or Query scheme needs its name", async () => {
  await using sim = await startSimulators();
  const bad = await putSet(sim, "bad", {
    displayName: "",
    versioningScheme: "Header",
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(armError(bad.body).details, [
    {
      code: "ValidationError",
      target: "name",
      message: "name (display name) should not be empty",
    },
    {
      code: "ValidationError",
      target: "versioningScheme",
      message: "The specified condition was not met for 'versioningScheme'.",
    },
  ]);
  const header = await putSet(sim, "by-header", {
    displayName: "By header",
    versioningScheme: "Header",
    versionHeaderName: "Api-Version",
  });
  assert.equal(header.status, 201);
  assert.equal(
    resource(header.body).properties["versionHeaderName"],
    "Api-Version",
  );
  assert.equal(
    (await putSet(sim, "by-query", {
      displayName: "By query",
      versioningScheme: "Query",
      versionQueryName: "api-version",
    })).status,
    201,
  );
});

Deno.test("deleting the last API of a set deletes the set; deleting one of two keeps it", async () => {
  await using sim = await startSimulators();
  await putSet(sim, "orders", {
    displayName: "Orders",
    versioningScheme: "Segment",
  });
  for (const version of ["v1", "v2"]) {
    await putApi(sim, `orders-${version}`, {
      path: "orders",
      apiVersionSetId: SET_ID,
      apiVersion: version,
    });
  }
  // A DELETE at 2024-05-01 runs as an operation (202 + Location, 204 when polled).
  const remove = async (apiId: string) => {
    const accepted = await sim.arm("DELETE", `/apis/${apiId}`, {
      headers: { "if-match": "*" },
    });
    assert.equal(accepted.status, 202);
    return (await pollLocation(sim, accepted.headers.get("location") ?? ""))
      .final;
  };
  assert.equal((await remove("orders-v1")).status, 204);
  assert.equal(
    (await sim.arm("GET", "/apiVersionSets/orders")).status,
    200,
    "one version left",
  );
  assert.equal((await remove("orders-v2")).status, 204);
  assert.equal(
    (await sim.arm("GET", "/apiVersionSets/orders")).status,
    404,
    "the last version took the set with it",
  );
});
