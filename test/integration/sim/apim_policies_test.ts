// Policies in the simulator: operation scope, and what imports and new revisions do to API and operation policies.

import assert from "node:assert/strict";
import {
  armError,
  importApi,
  importBody,
  openApiDocument,
  pollLocation,
  resource,
  SERVICE_PATH,
  type SimFixture,
  startSimulators,
} from "./sim_fixture.ts";

const POLICY =
  '<policies><inbound><base /><rate-limit calls="5" renewal-period="60" /></inbound></policies>';

const DOC_V1 = openApiDocument("Pets", [
  ["GET /pets", "listPets"],
  ["POST /pets", "createPet"],
]);
const DOC_V2 = openApiDocument("Pets", [
  ["GET /pets", "listPets"],
  ["GET /pets/{id}", "getPet"],
]);

async function putPolicy(sim: SimFixture, path: string, value = POLICY) {
  return await sim.arm("PUT", `${path}/policies/policy`, {
    body: { properties: { format: "xml", value } },
  });
}

async function policyOf(
  sim: SimFixture,
  path: string,
): Promise<string | null> {
  const res = await sim.arm("GET", `${path}/policies/policy`);
  if (res.status === 404) return null;
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return String(resource(res.body).properties["value"]);
}

Deno.test("operation policies: PUT 201 then 200, GET the normalised XML, DELETE 200 then 204, unknown operation 404", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  await importApi(sim, "pets", DOC_V1, "pets");
  const op = "/apis/pets/operations/listPets";
  const created = await putPolicy(sim, op);
  assert.equal(created.status, 201);
  assert.ok(created.headers.get("etag"));
  const body = resource(created.body);
  assert.equal(
    body.id,
    `${SERVICE_PATH}/apis/pets/operations/listPets/policies/policy`,
  );
  assert.equal(
    body.type,
    "Microsoft.ApiManagement/service/apis/operations/policies",
  );
  assert.equal((await putPolicy(sim, op)).status, 200);
  assert.equal(
    await policyOf(sim, op),
    '<policies>\r\n  <inbound>\r\n    <base />\r\n    <rate-limit calls="5" renewal-period="60" />\r\n  </inbound>\r\n</policies>',
  );
  assert.equal(
    await policyOf(sim, "/apis/pets"),
    null,
    "the API scope is separate",
  );
  const remove = () =>
    sim.arm("DELETE", `${op}/policies/policy`, {
      headers: { "if-match": "*" },
    });
  assert.equal((await remove()).status, 200);
  assert.equal((await remove()).status, 204);
  const missing = await putPolicy(sim, "/apis/pets/operations/nope");
  assert.equal(missing.status, 404);
  assert.equal(armError(missing.body).message, "Operation not found.");
});

Deno.test("an import into the API keeps its policy and the policies of the operations it matches", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  await importApi(sim, "pets", DOC_V1, "pets");
  await putPolicy(sim, "/apis/pets");
  await putPolicy(sim, "/apis/pets/operations/listPets");
  await putPolicy(sim, "/apis/pets/operations/createPet");
  assert.equal((await importApi(sim, "pets", DOC_V2, "pets")).status, 200);
  assert.notEqual(await policyOf(sim, "/apis/pets"), null);
  assert.notEqual(await policyOf(sim, "/apis/pets/operations/listPets"), null);
  assert.equal(
    (await sim.arm("GET", "/apis/pets/operations/createPet")).status,
    404,
    "the operation the document dropped is gone with its policy",
  );
  assert.equal(await policyOf(sim, "/apis/pets/operations/getPet"), null);
});

Deno.test("a revision from sourceApiId starts with the source's policies; an import straight into a new revision starts with none", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  await importApi(sim, "pets", DOC_V1, "pets");
  await putPolicy(sim, "/apis/pets");
  await putPolicy(sim, "/apis/pets/operations/listPets");

  const cloned = await sim.arm("PUT", "/apis/pets;rev=2", {
    body: {
      properties: {
        sourceApiId: `${SERVICE_PATH}/apis/pets`,
        apiRevisionDescription: "copy",
      },
    },
  });
  assert.equal(cloned.status, 201, JSON.stringify(cloned.body));
  assert.notEqual(await policyOf(sim, "/apis/pets;rev=2"), null);
  assert.notEqual(
    await policyOf(sim, "/apis/pets;rev=2/operations/listPets"),
    null,
  );

  const imported = await sim.arm("PUT", "/apis/pets;rev=3", {
    body: importBody(DOC_V2, "pets"),
  });
  const location = imported.headers.get("location");
  assert.ok(location, `import answered ${imported.status}`);
  assert.equal((await pollLocation(sim, location)).final.status, 201);
  assert.equal(await policyOf(sim, "/apis/pets;rev=3"), null);
  assert.equal(
    await policyOf(sim, "/apis/pets;rev=3/operations/listPets"),
    null,
  );
});
