// §C1–C3: async import per api-version with late failures, invisible-until-done creates, and 409 while an import runs.

import assert from "node:assert/strict";
import { z } from "zod";
import { FakeClock } from "../../support/fake_clock.ts";
import {
  armError,
  collection,
  importBody,
  openApiDocument,
  pollLocation,
  resource,
  startSimulators,
} from "./sim_fixture.ts";

const operationStatus = z.object({ status: z.string() });

const PETS = openApiDocument("Pets", [["GET /pets", "listPets"], [
  "POST /pets",
  "createPet",
]]);

Deno.test("2022-08-01: an import answers 202 + Location, polls answer 202 N times, then 201 with the API", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 2 } },
  });
  const put = await sim.arm("PUT", "/apis/petstore", {
    apiVersion: "2022-08-01",
    body: importBody(PETS, "pets"),
  });
  assert.equal(put.status, 202);
  assert.equal(put.body, null);
  // The API's URL as addressed + asyncId + asyncCode, no Retry-After (net-ApiRevisionTests#2).
  const location = put.headers.get("location") ?? "";
  assert.match(
    location,
    /\/apis\/petstore\?api-version=2022-08-01&asyncId=[0-9a-f]{24}&asyncCode=201$/,
  );
  assert.ok(location.startsWith(sim.apim.url));
  assert.equal(put.headers.get("retry-after"), null);
  assert.equal(put.headers.get("azure-asyncoperation"), null);
  const { final, polls } = await pollLocation(sim, location);
  assert.equal(polls, 3);
  assert.equal(final.status, 201);
  const api = resource(final.body);
  assert.equal(api.name, "petstore");
  assert.equal(api.properties.path, "pets");
  assert.ok(final.headers.get("etag"));
  assert.deepEqual(
    sim.service.currentRevision("petstore")?.operations.map((o) => o.name),
    ["listPets", "createPet"],
  );
  assert.equal(sim.apim.polls(), 3);
});

Deno.test("2024-05-01: an import answers 201 InProgress with Location and Azure-AsyncOperation", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 1 } },
  });
  const put = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(PETS, "pets"),
  });
  assert.equal(put.status, 201);
  assert.equal(resource(put.body).properties.provisioningState, "InProgress");
  const location = put.headers.get("location") ?? "";
  const statusUrl = put.headers.get("azure-asyncoperation") ?? "";
  assert.match(location, /asyncId=[0-9a-f]{24}&asyncCode=201$/);
  assert.match(
    statusUrl,
    /\/tenant\/operationResults\/[0-9a-f]{24}\?api-version=2024-05-01$/,
  );
  const running = await sim.get(statusUrl);
  assert.equal(running.status, 200);
  assert.equal(operationStatus.parse(running.body).status, "InProgress");
  const done = await sim.get(statusUrl);
  assert.equal(operationStatus.parse(done.body).status, "Succeeded");
  const { final } = await pollLocation(sim, location);
  assert.equal(final.status, 201);
  assert.equal(resource(final.body).properties.provisioningState, undefined);
});

Deno.test("an import with duplicate signature operations fails only while polling, with both api-versions", async () => {
  const doc = openApiDocument("Dup", [
    "GET /submissions/{dateTimeOffset}",
    "GET /submissions/{datetimeoffset}",
  ]);
  for (const apiVersion of ["2022-08-01", "2024-05-01"]) {
    await using sim = await startSimulators();
    const put = await sim.arm("PUT", "/apis/dup", {
      apiVersion,
      body: importBody(doc, "dup"),
    });
    assert.ok(
      put.status === 202 || put.status === 201,
      `${apiVersion}: ${put.status}`,
    );
    const { final } = await pollLocation(
      sim,
      put.headers.get("location") ?? "",
    );
    assert.equal(final.status, 400);
    const error = armError(final.body);
    assert.equal(error.code, "ValidationError");
    assert.equal(
      error.message,
      "Importing API has duplicate signature operations: 2 operations with signature 'GET /submissions/{datetimeoffset}'",
    );
    assert.equal(
      (await sim.arm("GET", "/apis/dup", { apiVersion })).status,
      404,
    );
    assert.equal(sim.service.api("dup"), undefined);
  }
});

Deno.test("injected failures and invalid documents also fail late, keeping the previous API", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  const first = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(PETS, "pets"),
  });
  await pollLocation(sim, first.headers.get("location") ?? "");
  sim.apim.failNextImport();
  const injected = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(
      openApiDocument("Pets", [["GET /cats", "listCats"]]),
      "pets",
    ),
  });
  assert.equal(injected.status, 200);
  const failed = await pollLocation(
    sim,
    injected.headers.get("location") ?? "",
  );
  assert.equal(failed.final.status, 400);
  assert.equal(
    armError(failed.final.body).details?.[0]?.code,
    "ValidationError",
  );
  const invalid = await sim.arm("PUT", "/apis/petstore", {
    body: importBody("{not json", "pets"),
  });
  const parsing = await pollLocation(
    sim,
    invalid.headers.get("location") ?? "",
  );
  assert.match(armError(parsing.final.body).message, /^Parsing error\(s\): /);
  assert.deepEqual(
    sim.service.currentRevision("petstore")?.operations.map((o) => o.name),
    ["listPets", "createPet"],
  );
});

Deno.test("Azure-AsyncOperation can answer 200 {value: []} without a status (knob)", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { asyncOperationBody: "emptyList" } },
  });
  const put = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(PETS, "pets"),
  });
  const status = await sim.get(put.headers.get("azure-asyncoperation") ?? "");
  assert.equal(status.status, 200);
  assert.deepEqual(status.body, { value: [] });
});

Deno.test("a create in progress is invisible: GET 404 'Api not found.', lists omit it, then the lag window", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: {
      clock,
      knobs: {
        importPolls: 1,
        importDurationMs: null,
        readAfterWriteLagMs: 5_000,
      },
    },
    entra: { clock },
  });
  const put = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(PETS, "pets"),
  });
  const hidden = await sim.arm("GET", "/apis/petstore");
  assert.equal(hidden.status, 404);
  assert.deepEqual(hidden.body, {
    error: {
      code: "ResourceNotFound",
      message: "Api not found.",
      details: null,
    },
  });
  assert.equal(
    collection((await sim.arm("GET", "/apis")).body).value.length,
    0,
  );
  const { final } = await pollLocation(sim, put.headers.get("location") ?? "");
  assert.equal(final.status, 201);
  assert.equal((await sim.arm("GET", "/apis/petstore")).status, 404);
  await clock.advance(5_000);
  assert.equal((await sim.arm("GET", "/apis/petstore")).status, 200);
  assert.equal(
    collection((await sim.arm("GET", "/apis")).body).value.length,
    1,
  );
});

Deno.test("an import also completes by itself after importDurationMs (no polls needed)", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: { clock, knobs: { importPolls: 1_000, importDurationMs: 30_000 } },
    entra: { clock },
  });
  await sim.arm("PUT", "/apis/petstore", { body: importBody(PETS, "pets") });
  assert.equal((await sim.arm("GET", "/apis/petstore")).status, 404);
  await clock.advance(30_000);
  assert.equal((await sim.arm("GET", "/apis/petstore")).status, 200);
});

Deno.test("writes to the API and its children answer 409 PessimisticConcurrencyConflict during an import", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  const created = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(PETS, "pets"),
  });
  await pollLocation(sim, created.headers.get("location") ?? "");
  await sim.arm("PUT", "/tags/team", {
    body: { properties: { displayName: "team" } },
  });
  await sim.arm("PUT", "/products/starter", {
    body: { properties: { displayName: "Starter" } },
  });
  sim.apim.knobs.importPolls = 5;
  const update = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(PETS, "pets"),
  });
  assert.equal(update.status, 200);
  assert.equal((await sim.arm("GET", "/apis/petstore")).status, 200);
  const revisionId = `${sim.service.resourceId}/apis/petstore;rev=1`;
  const writes: [string, string, unknown?][] = [
    ["PUT", "/apis/petstore", importBody(PETS, "pets")],
    ["PATCH", "/apis/petstore", { properties: { displayName: "x" } }],
    ["DELETE", "/apis/petstore"],
    ["PUT", "/apis/petstore/policies/policy", {
      properties: { value: "<policies />" },
    }],
    ["PUT", "/apis/petstore/tags/team"],
    ["PUT", "/products/starter/apis/petstore"],
    ["PUT", "/apis/petstore/releases/r1", {
      properties: { apiId: revisionId },
    }],
  ];
  for (const [method, path, body] of writes) {
    const res = await sim.arm(method, path, {
      body,
      headers: { "if-match": "*" },
    });
    assert.equal(res.status, 409, `${method} ${path}`);
    assert.deepEqual(res.body, {
      error: {
        code: "PessimisticConcurrencyConflict",
        message: "Operation on the API is in progress",
        details: null,
      },
    });
  }
  await pollLocation(sim, update.headers.get("location") ?? "");
  assert.equal((await sim.arm("PUT", "/apis/petstore/tags/team")).status, 201);
});

Deno.test("the lock outlives the import by lockSettleMs: a write right after the final poll still gets 409", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: {
      clock,
      knobs: { importPolls: 0, importDurationMs: null, lockSettleMs: 2_000 },
    },
    entra: { clock },
  });
  await sim.arm("PUT", "/tags/team", {
    body: { properties: { displayName: "team" } },
  });
  const put = await sim.arm("PUT", "/apis/petstore", {
    body: importBody(PETS, "pets"),
  });
  const { final } = await pollLocation(sim, put.headers.get("location") ?? "");
  assert.equal(final.status, 201);
  const early = await sim.arm("PUT", "/apis/petstore/tags/team");
  assert.equal(early.status, 409);
  assert.equal(armError(early.body).code, "PessimisticConcurrencyConflict");
  assert.equal(sim.service.isApiLocked("petstore"), true);
  await clock.advance(2_000);
  assert.equal(sim.service.isApiLocked("petstore"), false);
  assert.equal((await sim.arm("PUT", "/apis/petstore/tags/team")).status, 201);
});
