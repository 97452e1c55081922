// End to end: later rollouts re-import only when the document changed, and a restart mid-import does not import twice.
import assert from "node:assert/strict";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import { E2eEnvironment, isReady } from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { apiSpec, startScenario } from "../support/scenario.ts";
import { deployReadyWorkload, makeRolloutReady } from "../support/workload.ts";

const LABELS = { "app.kubernetes.io/name": "petstore" };

function registeredReplicaSet(api: GenericObject): string | undefined {
  const status = api["status"] as
    | { registeredReplicaSet?: { name?: string } }
    | undefined;
  return status?.registeredReplicaSet?.name;
}

/** Waits until APIMAPI `petstore` is Ready for the rollout of ReplicaSet `replicaSet`. */
async function rolloutRegistered(
  env: E2eEnvironment,
  ns: string,
  replicaSet: string | undefined,
  which: string,
): Promise<GenericObject> {
  return await env.waitForObject(
    env.apis.apimApis,
    ns,
    "petstore",
    (a) => isReady(a) && registeredReplicaSet(a) === replicaSet,
    `${which} rollout registered`,
  );
}

async function rollOut(
  env: E2eEnvironment,
  ns: string,
  image: string,
): Promise<string> {
  await env.apis.deployments.mergePatch("petstore", {
    spec: { template: { spec: { containers: [{ name: "api", image }] } } },
  }, { namespace: ns });
  const rs = await makeRolloutReady(env, ns, "petstore", LABELS);
  return rs.metadata?.name ?? "";
}

Deno.test("an unchanged document makes no ARM write on a new rollout; a changed one is imported once", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("rollout");
  const opNs = await env.namespace("rollout-op");
  const service = env.addService("apim-rollout");
  service.createProduct("starter");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-rollout"),
    apimApiManifest(ns, "petstore", {
      APIID: "petstore",
      serviceUrl: app.url,
      routePrefix: "/pets",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      productIds: ["starter"],
    }),
  ]);
  env.operator({ watchNamespaces: [ns, opNs], operatorNamespace: opNs });
  const first = await deployReadyWorkload(env, ns, "petstore", LABELS, {
    image: "petstore:1",
  });
  await rolloutRegistered(env, ns, first.metadata?.name, "the first");
  const importPuts = () =>
    env.apim.countRequests({
      method: "PUT",
      path: /\/service\/[^/]+\/apis\/petstore$/,
    });
  assert.equal(importPuts(), 1);
  const writesAfterFirst = env.apim.writes();
  const requestsAfterFirst = env.apim.requests.length;
  const fetchesAfterFirst = app.fetches;

  const second = await rollOut(env, ns, "petstore:2");
  await rolloutRegistered(env, ns, second, "the second");
  assert.ok(
    app.fetches > fetchesAfterFirst,
    "the new rollout's document was fetched",
  );
  assert.equal(
    env.apim.writes(),
    writesAfterFirst,
    "no ARM write for an unchanged document",
  );
  assert.equal(
    env.apim.requests.length,
    requestsAfterFirst,
    "no ARM request at all: APIM was seen holding it within the drift period",
  );

  app.serve(await fixtureDocument("petstore-v2.json"));
  const third = await rollOut(env, ns, "petstore:3");
  const api = await rolloutRegistered(env, ns, third, "the third");
  assert.equal(
    importPuts(),
    2,
    "the changed document was imported exactly once more",
  );
  const operations = service.currentRevision("petstore")?.operations.map((o) =>
    o.name
  ).sort();
  assert.deepEqual(operations, [
    "createPet",
    "deletePet",
    "listPets",
    "showPetById",
  ]);
  assert.deepEqual(
    service.api("petstore")?.productIds,
    ["starter"],
    "links survive the re-import",
  );
  const status = api["status"] as { documentDigest?: string };
  assert.notEqual(status.documentDigest, undefined);
});

Deno.test("an operator killed during an async import finishes it after a restart without importing again", async () => {
  await using env = await E2eEnvironment.start({
    knobs: {
      importPolls: 1_000,
      importDurationMs: 6_000,
      pollRetryAfterSeconds: 1,
    },
  });
  const ns = await env.namespace("restart");
  const opNs = await env.namespace("restart-op");
  env.addService("apim-restart");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-restart"),
    apimApiManifest(ns, "petstore", {
      APIID: "petstore",
      serviceUrl: app.url,
      routePrefix: "/pets",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
    }),
  ]);
  const options = { watchNamespaces: [ns, opNs], operatorNamespace: opNs };
  const first = env.operator(options);
  await deployReadyWorkload(env, ns, "petstore", LABELS);
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "petstore",
    (a) =>
      (a["status"] as { pendingOperation?: { url?: string } } | undefined)
        ?.pendingOperation?.url !== undefined,
    "the accepted import's operation URL to be recorded in status",
  );
  const killed = await first.kill();
  assert.equal(killed.success, false);

  const second = env.operator(options);
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "petstore",
    isReady,
    "the API to become Ready",
    90_000,
  );
  assert.equal(
    env.apim.countRequests({
      method: "PUT",
      path: /\/service\/[^/]+\/apis\/petstore$/,
    }),
    1,
    "a single import PUT across both processes",
  );
  assert.ok(second.logsMatching("✅ APIM async import completed").length > 0);
  assert.equal(
    second.logsMatching("📤 Sending request to APIM").length,
    0,
    "the restart did not import",
  );
});

Deno.test("a later document's warnings are announced when the OperationIdsComplete condition stays as it was", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "warned");
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  const first = await deployReadyWorkload(env, s.ns, "petstore", LABELS, {
    image: "petstore:1",
  });
  await rolloutRegistered(env, s.ns, first.metadata?.name, "the first");
  const v2 = JSON.parse(await fixtureDocument("petstore-v2.json"));
  v2.components = {
    ...v2.components,
    schemas: {
      ...v2.components?.schemas,
      Remote: { $ref: "https://specs.example.com/common.json?sig=s3cr3t#/Pet" },
    },
  };
  s.app.serve(JSON.stringify(v2));
  const second = await rollOut(env, s.ns, "petstore:2");
  await rolloutRegistered(env, s.ns, second, "the second");
  const warned = await env.waitForEvent(
    s.ns,
    "petstore",
    (e) => e.type === "Warning" && e.reason === "ExternalReferences",
    "a Warning event ExternalReferences",
  );
  assert.match(
    warned.note,
    /https:\/\/specs\.example\.com\/common\.json#\/Pet/,
  );
  assert.doesNotMatch(warned.note, /s3cr3t/);
});
