// End to end: a ready workload gets its API imported, pointed at its backend, linked, and reported Ready; from the sources and from the shipped bundle.
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
} from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { bundleOperator } from "../support/operator_bundle.ts";
import type { OperatorProcess } from "../support/operator_process.ts";
import { deployReadyWorkload } from "../support/workload.ts";

/** How {@linkcode registerPetstore} serves the document and runs the operator. */
interface Variant {
  prefix: string;
  app: DocumentServer;
  documentPath: string;
  /** The module the operator runs (default `src/main.ts`). */
  entry?: string;
  extraArgs?: string[];
}

/** Registers petstore (product starter, tag backend) through a ready workload and checks what APIM holds. */
async function registerPetstore(env: E2eEnvironment, variant: Variant) {
  const ns = await env.namespace(variant.prefix);
  const opNs = await env.namespace(`${variant.prefix}-op`);
  const service = env.addService(`apim-${variant.prefix}`);
  service.createProduct("starter");
  service.createTag("backend");
  await env.apply([
    apimServiceManifest(opNs, "shared-apim", `apim-${variant.prefix}`),
    apimApiManifest(ns, "petstore", {
      APIID: "petstore",
      serviceUrl: variant.app.url,
      routePrefix: "/pets/v1",
      openApiDefinitionUrl: variant.documentPath,
      apimService: "shared-apim",
      productIds: ["starter"],
      tagIds: ["backend"],
    }),
  ]);
  const operator: OperatorProcess = env.operator({
    watchNamespaces: [ns, opNs],
    operatorNamespace: opNs,
    ...(variant.extraArgs ? { extraArgs: variant.extraArgs } : {}),
    ...(variant.entry ? { entry: variant.entry } : {}),
  });
  await deployReadyWorkload(env, ns, "petstore", {
    "app.kubernetes.io/name": "petstore",
  });

  const api = await env.waitForObject(
    env.apis.apimApis,
    ns,
    "petstore",
    isReady,
    "APIMAPI petstore to become Ready",
  );
  const status = api["status"] as Record<string, unknown>;
  assert.equal(status["status"], "OK");
  assert.equal(
    status["apiHost"],
    `https://apim-${variant.prefix}.azure-api.net/pets/v1`,
  );
  assert.match(String(status["documentDigest"]), /^sha256:/);
  assert.equal(conditionOf(api, "Ready")?.reason, "Registered");

  const held = service.api("petstore");
  assert.ok(held, "the simulator holds the API");
  const current = held.revisions.find((r) => r.isCurrent);
  assert.equal(current?.properties.path, "pets/v1");
  assert.equal(current?.properties.serviceUrl, variant.app.url);
  // Operation names keep the operationId's case (recorded: net-ApiRevisionTests#6).
  assert.deepEqual(current?.operations.map((o) => o.name).sort(), [
    "createPet",
    "listPets",
    "showPetById",
  ]);
  assert.deepEqual(held.productIds, ["starter"]);
  assert.deepEqual(held.tagIds, ["backend"]);
  return { ns, service, operator };
}

Deno.test("a ready workload's API is imported, linked, Ready, and its deployment record removed", async () => {
  await using env = await E2eEnvironment.start();
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  const { ns, operator } = await registerPetstore(env, {
    prefix: "reg",
    app,
    documentPath: "/swagger.json",
  });

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

// It runs the bundle with `deno run`: the image's `deno compile` binary needs denort, which this machine cannot download.
Deno.test("the shipped bundle registers an API from a YAML document, makes its metrics certificate and removes the API on delete", async () => {
  await using workDir = await Deno.makeTempDir({ prefix: "apim-bundle-" })
    .then((path) => ({
      path,
      [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
    }));
  const entry = await bundleOperator(`${workDir.path}/dist`);
  await using env = await E2eEnvironment.start();
  // YAML goes through js-yaml, which the bundle carries (an npm package, ESM).
  await using app = new DocumentServer({
    kind: "document",
    body: stringify(JSON.parse(await fixtureDocument("petstore.json"))),
    contentType: "application/yaml",
  });
  const { ns, service, operator } = await registerPetstore(env, {
    prefix: "bundle",
    app,
    documentPath: "/openapi.yaml",
    entry,
    // The metrics server's self-signed certificate comes from a chunk loaded on demand.
    extraArgs: ["--metrics-bind-address=127.0.0.1:0"],
  });
  const metrics = await operator.waitForLog(
    (l) => l.msg === "Serving metrics",
    "the metrics server to serve",
  );
  assert.ok(metrics["notAfter"], JSON.stringify(metrics));

  await env.apis.apimApis.delete("petstore", { namespace: ns });
  await env.waitForGone(env.apis.apimApis, ns, "petstore", "APIMAPI gone");
  assert.equal(service.api("petstore"), undefined, "the API left APIM");
  // Nothing but the operator's JSON lines: no uncaught error, no Deno warning.
  assert.deepEqual(operator.rawLines, []);
});
