// §C5: operation naming on import (normalisation, generated names) and re-import matching, unit and over HTTPS.

import assert from "node:assert/strict";
import {
  generatedOperationName,
  normaliseOperationName,
  planOperations,
} from "../../sim/apim/operation_naming.ts";
import type { ImportedOperation } from "../../sim/apim/openapi_document.ts";
import { z } from "zod";
import {
  interactionAt,
  readRecording,
  RECORDINGS_DIR,
  sentBody,
} from "../../support/azure_recordings.ts";
import {
  armError,
  importApi,
  openApiDocument,
  pollLocation,
  startSimulators,
} from "./sim_fixture.ts";

function op(
  method: string,
  urlTemplate: string,
  operationId?: string,
): ImportedOperation {
  return {
    method,
    path: urlTemplate.split("?")[0] ?? urlTemplate,
    urlTemplate,
    displayName: operationId ?? `${method} ${urlTemplate}`,
    ...(operationId === undefined ? {} : { operationId }),
  };
}

Deno.test("operationIds keep their case; other characters are dashed, trimmed, cut to 76 characters", () => {
  assert.equal(normaliseOperationName("addPet"), "addPet");
  assert.equal(normaliseOperationName("Get Pets!!"), "Get-Pets");
  assert.equal(normaliseOperationName("__Pets_List__ById"), "Pets-List-ById");
  assert.equal(normaliseOperationName("a".repeat(100)).length, 76);
  assert.equal(
    generatedOperationName("GET", "/foo/{bar}?buzz={quix}"),
    "get-foo-bar-buzz-quix",
  );
});

Deno.test("colliding names get -1, -2 suffixes on first import", () => {
  const plan = planOperations([], [
    op("GET", "/pets", "Get Pets"),
    op("GET", "/pets/{id}", "get_pets"),
    op("POST", "/pets", "GET-pets"),
  ]);
  assert.ok(plan.ok);
  assert.deepEqual(plan.operations.map((o) => o.name), [
    "Get-Pets",
    "get-pets-1",
    "GET-pets-2",
  ]);
});

Deno.test("operations that differ only in path parameter names have the same signature", () => {
  // umbraco/Umbraco-CMS#17300: APIM refused .../content/item/{path} next to .../content/item/{id}.
  const plan = planOperations([], [
    op("GET", "/content/item/{path}", "byPath"),
    op("GET", "/content/item/{id}", "byId"),
  ]);
  assert.equal(plan.ok, false);
  assert.equal(
    !plan.ok && plan.error.message,
    "Importing API has duplicate signature operations: 2 operations with signature 'GET /content/item/{path}'",
  );
  const query = planOperations([], [
    op("GET", "/items?kind={kind}", "byKind"),
    op("GET", "/items?sort={sort}", "sorted"),
  ]);
  assert.ok(query.ok, "query parameter names are part of the template");
});

Deno.test("re-import: matched by operationId in place, renamed ones keep policies, unmatched deleted", () => {
  const first = planOperations([], [
    op("GET", "/pets", "listPets"),
    op("POST", "/pets", "createPet"),
    op("DELETE", "/pets/{id}", "deletePet"),
  ]);
  assert.ok(first.ok);
  const existing = first.operations.map((o) =>
    o.name === "listPets" || o.name === "createPet"
      ? { ...o, policy: { value: `<policies>${o.name}</policies>`, etag: "e" } }
      : o
  );
  const second = planOperations(existing, [
    op("GET", "/pets", "listPets"),
    op("POST", "/pets", "addPet"),
    op("GET", "/pets/{id}", "getPet"),
  ]);
  assert.ok(second.ok);
  assert.deepEqual(
    second.operations.map((o) => [o.name, o.policy?.value ?? null]),
    [
      ["listPets", "<policies>listPets</policies>"],
      ["addPet", "<policies>createPet</policies>"],
      ["getPet", null],
    ],
  );
});

Deno.test("re-import of operations without operationId collides with the existing ones", () => {
  const first = planOperations([], [op("GET", "/pets"), op("POST", "/pets")]);
  assert.ok(first.ok);
  assert.deepEqual(first.operations.map((o) => o.name), [
    "get-pets",
    "post-pets",
  ]);
  const second = planOperations(first.operations, [
    op("GET", "/pets"),
    op("POST", "/pets"),
  ]);
  assert.equal(second.ok, false);
  assert.deepEqual(!second.ok && second.error.details, [{
    code: "ValidationError",
    target: "get-pets-1",
    message: "Operation with the same method and URL template already exists.",
  }]);
});

Deno.test("over HTTPS: stable operationIds re-import cleanly and keep operation policies", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  const v1 = openApiDocument("Pets", [["GET /pets", "listPets"], [
    "POST /pets",
    "createPet",
  ]]);
  assert.equal((await importApi(sim, "pets", v1, "pets")).status, 201);
  sim.service.setOperationPolicy(
    "pets",
    "listPets",
    "<policies><inbound /></policies>",
  );
  const v2 = openApiDocument("Pets", [["GET /pets", "listPets"], [
    "GET /pets/{id}",
    "getPet",
  ]]);
  assert.equal((await importApi(sim, "pets", v2, "pets")).status, 200);
  const ops = sim.service.currentRevision("pets")?.operations ?? [];
  assert.deepEqual(ops.map((o) => o.name), ["listPets", "getPet"]);
  assert.equal(ops[0]?.policy?.value, "<policies><inbound /></policies>");
  const listed = await sim.arm("GET", "/apis/pets/operations");
  assert.equal(listed.status, 200);
});

Deno.test("over HTTPS: re-importing a document without operationIds fails late with the seed's error", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  const doc = openApiDocument("Pets", ["GET /pets", "POST /pets"]);
  for (const apiVersion of ["2022-08-01", "2024-05-01"]) {
    const first = await importApi(
      sim,
      `pets-${apiVersion}`,
      doc,
      `pets-${apiVersion}`,
      apiVersion,
    );
    assert.equal(first.status, 201);
    const again = await importApi(
      sim,
      `pets-${apiVersion}`,
      doc,
      `pets-${apiVersion}`,
      apiVersion,
    );
    assert.equal(again.status, 400);
    const error = armError(again.body);
    assert.equal(error.code, "ValidationError");
    assert.equal(
      error.details?.[0]?.message,
      "Operation with the same method and URL template already exists.",
    );
    assert.deepEqual(
      sim.service.currentRevision(`pets-${apiVersion}`)?.operations.map((o) =>
        o.name
      ),
      ["get-pets", "post-pets"],
    );
  }
});

const recordedOperations = z.object({
  value: z.array(z.object({
    name: z.string(),
    properties: z.object({ method: z.string(), urlTemplate: z.string() }),
  })),
});

Deno.test("the recorded Swagger import gets the recorded operations: names, methods, URL templates", async () => {
  const recording = readRecording(
    new URL("net-ApiRevisionTests-CreateListUpdateDelete.json", RECORDINGS_DIR),
  );
  const imported = interactionAt(recording, 2);
  const listed = recordedOperations.parse(
    interactionAt(recording, 6).response.body,
  );
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0 } },
  });
  const put = await sim.arm("PUT", "/apis/pets", { body: sentBody(imported) });
  await pollLocation(sim, put.headers.get("location") ?? "");
  const ops = recordedOperations.parse(
    (await sim.arm("GET", "/apis/pets/operations")).body,
  );
  const shape = (list: z.infer<typeof recordedOperations>) =>
    list.value.map((
      o,
    ) => [o.name, o.properties.method, o.properties.urlTemplate]);
  assert.deepEqual(shape(ops), shape(listed));
});
