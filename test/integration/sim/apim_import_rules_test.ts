// APIM's rules for imports and revisions: locked non-current revisions, what an import takes from the document, path clashes, slow imports.

import assert from "node:assert/strict";
import { FakeClock } from "../../support/fake_clock.ts";
import { sharedAnchorYaml } from "../../support/synthetic_openapi.ts";
import {
  armError,
  importBody,
  pollLocation,
  putApi,
  resource,
  type SimFixture,
  startSimulators,
} from "./sim_fixture.ts";

function document(info: { title: string; description?: string }): string {
  return JSON.stringify({
    openapi: "3.0.1",
    info: { ...info, version: "1.0" },
    servers: [{ url: "http://backend.example.com/api" }],
    paths: {
      "/pets": {
        get: {
          operationId: "listPets",
          responses: { "200": { description: "OK" } },
        },
      },
    },
  });
}

/** PUTs an import into `apiId` and answers the final poll. */
async function importInto(
  sim: SimFixture,
  apiId: string,
  doc: string,
  apiVersion: string,
  extra: Record<string, unknown> = {},
) {
  const put = await sim.arm("PUT", `/apis/${apiId}`, {
    apiVersion,
    body: importBody(doc, "pets", extra),
  });
  assert.ok(put.status === 201 || put.status === 202 || put.status === 200);
  return (await pollLocation(sim, put.headers.get("location") ?? "")).final;
}

const QUICK = { importPolls: 0, lockSettleMs: 0 };

Deno.test("an import into a non-current revision that changes the title or description fails when polled", async () => {
  for (const apiVersion of ["2022-08-01", "2024-05-01"]) {
    await using sim = await startSimulators({ apim: { knobs: QUICK } });
    const v1 = document({ title: "Pets", description: "Pets v1" });
    assert.equal((await importInto(sim, "pets", v1, apiVersion)).status, 201);
    const created = await sim.arm("PUT", "/apis/pets;rev=2", {
      apiVersion,
      body: {
        properties: {
          path: "pets",
          sourceApiId: `${sim.service.resourceId}/apis/pets`,
        },
      },
    });
    assert.equal(created.status, 201);
    // azure-cli#19277, azure-powershell#9270, apiops#436: reported by the poll, ValidationError,
    // the message ending in a space.
    const described = await importInto(
      sim,
      "pets;rev=2",
      document({ title: "Pets", description: "Pets v2" }),
      apiVersion,
    );
    assert.equal(described.status, 400, apiVersion);
    assert.deepEqual(armError(described.body), {
      code: "ValidationError",
      message: "Can't change property Description for non-current revision ",
      details: null,
    });
    const renamed = await importInto(
      sim,
      "pets;rev=2",
      document({ title: "Pets 2", description: "Pets v1" }),
      apiVersion,
    );
    assert.equal(
      armError(renamed.body).message,
      "Can't change property Name for non-current revision ",
    );
    // The same title and description, another backend: accepted (net-ApiRevisionTests#9).
    const same = await importInto(sim, "pets;rev=2", v1, apiVersion, {
      serviceUrl: "https://backend.example.com/v2",
    });
    assert.equal(same.status, 200, apiVersion);
    assert.equal(
      sim.service.api("pets")?.revisions.find((r) => r.revision === "2")
        ?.properties.serviceUrl,
      "https://backend.example.com/v2",
    );
  }
});

Deno.test("a non-current revision cannot change its path or version; making it current can", async () => {
  await using sim = await startSimulators({ apim: { knobs: QUICK } });
  // A version needs a version set (version_sets.ts): echo is v1 of one.
  const versionSetId = `${sim.service.resourceId}/apiVersionSets/echoes`;
  await sim.arm("PUT", "/apiVersionSets/echoes", {
    body: {
      properties: { displayName: "Echoes", versioningScheme: "Segment" },
    },
  });
  await putApi(sim, "echo", {
    path: "echo",
    apiVersionSetId: versionSetId,
    apiVersion: "v1",
  });
  const source = `${sim.service.resourceId}/apis/echo`;
  const moved = await putApi(sim, "echo;rev=2", {
    displayName: "echo",
    path: "echo2",
    sourceApiId: source,
  });
  assert.equal(moved.status, 400);
  assert.equal(
    armError(moved.body).message,
    "Can't change property Path for non-current revision ",
  );
  const versioned = await putApi(sim, "echo;rev=2", {
    displayName: "echo",
    path: "echo",
    apiVersionSetId: versionSetId,
    apiVersion: "v2",
    sourceApiId: source,
  });
  assert.equal(
    armError(versioned.body).message,
    "Can't change property ApiVersion for non-current revision ",
  );
  assert.equal(sim.service.api("echo")?.revisions.length, 1);
  const current = await putApi(sim, "echo;rev=2", {
    displayName: "echo",
    path: "echo2",
    sourceApiId: source,
    isCurrent: true,
  });
  assert.equal(current.status, 201);
  assert.equal(sim.service.api("echo")?.currentRevision, "2");
});

Deno.test("an import takes the display name from the request, else the title; the description and schemes from the document", async () => {
  await using sim = await startSimulators({ apim: { knobs: QUICK } });
  const doc = JSON.stringify({
    swagger: "2.0",
    info: { title: "Doc title", description: "Doc description", version: "1" },
    host: "backend.example.com",
    basePath: "/api",
    schemes: ["http"],
    paths: {},
  });
  const titled = await sim.arm("PUT", "/apis/a", {
    body: { properties: { format: "swagger-json", value: doc, path: "a" } },
  });
  const a = resource(
    (await pollLocation(sim, titled.headers.get("location") ?? "")).final.body,
  );
  assert.equal(a.properties.displayName, "Doc title");
  assert.equal(a.properties.description, "Doc description");
  // net-ApiRevisionTests#3: `"schemes": ["http"]` made the API http-only; host + basePath the backend.
  assert.deepEqual(a.properties.protocols, ["http"]);
  assert.equal(a.properties.serviceUrl, "http://backend.example.com/api");
  const named = await sim.arm("PUT", "/apis/b", {
    body: {
      properties: {
        format: "swagger-json",
        value: doc,
        path: "b",
        displayName: "Request name",
        description: "Request description",
        protocols: ["https"],
        serviceUrl: "https://override.example.com",
      },
    },
  });
  const b = resource(
    (await pollLocation(sim, named.headers.get("location") ?? "")).final.body,
  );
  assert.equal(b.properties.displayName, "Request name");
  assert.equal(b.properties.description, "Doc description");
  assert.deepEqual(b.properties.protocols, ["https"]);
  assert.equal(b.properties.serviceUrl, "https://override.example.com");
});

Deno.test("a YAML import that refers to one anchor from hundreds of operations is imported", async () => {
  await using sim = await startSimulators({ apim: { knobs: QUICK } });
  const put = await sim.arm("PUT", "/apis/shared", {
    body: importBody(sharedAnchorYaml(200, "openapi: 3.0.1"), "shared", {
      format: "openapi",
    }),
  });
  const { final } = await pollLocation(sim, put.headers.get("location") ?? "");
  assert.equal(final.status, 201, JSON.stringify(final.body));
  assert.equal(sim.service.currentRevision("shared")?.operations.length, 200);
});

Deno.test("an import may create a new revision without sourceApiId; a new API always starts at revision 1", async () => {
  await using sim = await startSimulators({ apim: { knobs: QUICK } });
  const doc = document({ title: "Pets", description: "Pets" });
  assert.equal((await importInto(sim, "pets", doc, "2024-05-01")).status, 201);
  // What `az apim api import --api-revision 2` sends: PUT pets;rev=2 with the document.
  const rev2 = await importInto(sim, "pets;rev=2", doc, "2024-05-01");
  assert.equal(rev2.status, 201);
  assert.equal(resource(rev2.body).name, "pets;rev=2");
  assert.equal(sim.service.api("pets")?.currentRevision, "1");
  const created = await putApi(sim, "fresh", { apiRevision: "v1" });
  assert.equal(resource(created.body).properties.apiRevision, "1");
});

Deno.test("an import whose path another API uses fails when polled, with APIM's message", async () => {
  await using sim = await startSimulators({ apim: { knobs: QUICK } });
  await putApi(sim, "other", { path: "pets" });
  const put = await sim.arm("PUT", "/apis/pets", {
    body: importBody(document({ title: "Pets" }), "pets"),
  });
  assert.equal(put.status, 201);
  const { final } = await pollLocation(sim, put.headers.get("location") ?? "");
  assert.equal(final.status, 400);
  assert.deepEqual(armError(final.body).details, [{
    code: "ValidationError",
    target: "path",
    message:
      "Cannot create API 'pets' with the same Path 'pets' as API 'other'  unless it's a part of the same version set",
  }]);
  assert.equal(sim.service.api("pets"), undefined);
});

Deno.test("slowImport: a large import answers 422 ManagementApiRequestFailed while APIM goes on importing", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: {
      clock,
      knobs: {
        importPolls: 1,
        importDurationMs: 30_000,
        lockSettleMs: 0,
        slowImport: { minDocumentChars: 100, putLatencyMs: 1, answer422: true },
      },
    },
    entra: { clock },
  });
  const put = await sim.arm("PUT", "/apis/pets", {
    body: importBody(document({ title: "Pets" }), "pets"),
  });
  assert.equal(put.status, 422);
  assert.equal(armError(put.body).code, "ManagementApiRequestFailed");
  assert.equal(put.headers.get("location"), null);
  const retry = await sim.arm("PUT", "/apis/pets", {
    body: importBody(document({ title: "Pets" }), "pets"),
  });
  assert.equal(retry.status, 409);
  await clock.advance(30_000);
  assert.equal((await sim.arm("GET", "/apis/pets")).status, 200);
  sim.apim.knobs.slowImport = null;
  const small = await sim.arm("PUT", "/apis/pets", {
    body: importBody(document({ title: "Pets" }), "pets"),
  });
  assert.equal(small.status, 200);
});
