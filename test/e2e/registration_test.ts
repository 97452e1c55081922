// End to end: a ready workload gets its API imported, pointed at its backend, linked, and reported Ready.
import assert from "node:assert/strict";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
} from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const NAME_LABEL = "app.kubernetes.io/name";

Deno.test("a ready workload's API is imported, linked, Ready, and its deployment record removed", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("reg");
  const opNs = await env.namespace("reg-op");
  const service = env.addService("apim-reg");
  service.createProduct("starter");
  service.createTag("backend");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(opNs, "shared-apim", "apim-reg"),
    apimApiManifest(ns, "petstore", {
      APIID: "petstore",
      serviceUrl: app.url,
      routePrefix: "/pets/v1",
      openApiDefinitionUrl: "/swagger.json",
      apimService: "shared-apim",
      productIds: ["starter"],
      tagIds: ["backend"],
    }),
  ]);
  const operator = env.operator({
    watchNamespaces: [ns, opNs],
    operatorNamespace: opNs,
  });
  await deployReadyWorkload(env, ns, "petstore", { [NAME_LABEL]: "petstore" });

  const api = await env.waitForObject(
    env.apis.apimApis,
    ns,
    "petstore",
    isReady,
    "APIMAPI petstore to become Ready",
  );
  const status = api["status"] as Record<string, unknown>;
  assert.equal(status["status"], "OK");
  assert.equal(status["apiHost"], "https://apim-reg.azure-api.net/pets/v1");
  assert.match(String(status["documentDigest"]), /^sha256:/);
  assert.equal(conditionOf(api, "Ready")?.reason, "Registered");

  const held = service.api("petstore");
  assert.ok(held, "the simulator holds the API");
  const current = held.revisions.find((r) => r.isCurrent);
  assert.equal(current?.properties.path, "pets/v1");
  assert.equal(current?.properties.serviceUrl, app.url);
  // Operation names keep the operationId's case (recorded: net-ApiRevisionTests#6).
  assert.deepEqual(current?.operations.map((o) => o.name).sort(), [
    "createPet",
    "listPets",
    "showPetById",
  ]);
  assert.deepEqual(held.productIds, ["starter"]);
  assert.deepEqual(held.tagIds, ["backend"]);

  await env.waitForGone(
    env.apis.apimApiDeployments,
    ns,
    "petstore",
    "the APIMAPIDeployment to be deleted after success",
  );
  for (const line of ["📄 Swagger content", "✅ API imported to APIM"]) {
    assert.ok(
      operator.logsMatching(line).length > 0,
      `log line "${line}"\n${operator.tail()}`,
    );
  }
});
