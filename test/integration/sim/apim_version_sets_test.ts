// Version sets in the simulator: ASO's recorded version-set traffic replayed, and APIM's rules for APIs in a set.

import assert from "node:assert/strict";
import { z } from "zod";
import { shapeMismatches } from "./shape_match.ts";
import {
  armError,
  putApi,
  resource,
  RESOURCE_GROUP,
  SERVICE_NAME,
  SERVICE_PATH,
  type SimFixture,
  startSimulators,
} from "./sim_fixture.ts";

const RECORDING = new URL(
  "../../fixtures/azure-recordings/aso-Test_ApiManagement_20240501_CRUD.json",
  import.meta.url,
);

const interactionSchema = z.object({
  source: z.string(),
  request: z.object({
    method: z.string(),
    url: z.string(),
    body: z.unknown(),
  }),
  response: z.object({ status: z.number(), body: z.unknown() }),
});

type Interaction = z.infer<typeof interactionSchema>;

function recorded(): Interaction[] {
  return z.array(interactionSchema).parse(
    JSON.parse(Deno.readTextFileSync(RECORDING)),
  );
}

/** The recording's placeholders replaced by the simulator's test service. */
function localised(text: string): string {
  return text.replaceAll("{resourceGroup}", RESOURCE_GROUP).replaceAll(
    "{serviceName}",
    SERVICE_NAME,
  );
}

/** The recorded interactions on version sets, and the API PUTs that name one, that succeeded. */
function versionSetTraffic(): Interaction[] {
  return recorded().filter((i) =>
    i.response.status < 300 &&
    (i.request.url.includes("/apiVersionSets/") ||
      (i.request.method === "PUT" &&
        JSON.stringify(i.request.body).includes("apiVersionSetId")))
  );
}

async function replay(sim: SimFixture, interaction: Interaction) {
  const url = new URL(localised(interaction.request.url), "https://arm");
  return await sim.arm(interaction.request.method, url.pathname, {
    apiVersion: url.searchParams.get("api-version"),
    ...(interaction.request.body === "" ? {} : {
      body: JSON.parse(localised(JSON.stringify(interaction.request.body))),
    }),
  });
}

Deno.test("ASO's recorded version-set traffic replays with the recorded statuses and body shapes", async () => {
  await using sim = await startSimulators();
  const traffic = versionSetTraffic();
  assert.ok(
    traffic.length >= 6,
    `version-set interactions found: ${traffic.length}`,
  );
  for (const interaction of traffic) {
    const res = await replay(sim, interaction);
    assert.equal(
      res.status,
      interaction.response.status,
      `${interaction.source}: ${JSON.stringify(res.body)}`,
    );
    assert.deepEqual(
      shapeMismatches(
        JSON.parse(localised(JSON.stringify(interaction.response.body))),
        res.body,
        // Contract fields the simulator does not model (ASO's API has no backend, MCP or OAuth).
        [
          "properties.backendId",
          "properties.mcpProperties",
          "properties.authenticationSettings",
          "properties.serviceUrl",
        ],
      ),
      [],
      interaction.source,
    );
  }
  // An API in a set embeds the set under its display name, as recorded (#57).
  const api = resource((await sim.arm("GET", "/apis/asotest-api-mdvgyh")).body);
  assert.deepEqual(api.properties["apiVersionSet"], {
    id: `${SERVICE_PATH}/apiVersionSets/asotest-vs-dtydxd`,
    name: "/apiVersionSets/account-api",
    description: "A version set for the account api",
    versioningScheme: "Segment",
    versionQueryName: null,
    versionHeaderName: null,
  });
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

const SET_ID = `${SERVICE_PATH}/apiVersionSets/orders`;

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
    "Cannot create API 'orders-plain' with the same Path 'orders' as API 'orders-v1' unless it's a part of the same version set",
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
  const remove = (apiId: string) =>
    sim.arm("DELETE", `/apis/${apiId}`, { headers: { "if-match": "*" } });
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
