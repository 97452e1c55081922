// End to end: the original README's sample manifests, applied unchanged, register the API with its products and tags.
import assert from "node:assert/strict";
import { ConnectProxy } from "../support/connect_proxy.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import { E2eEnvironment, isReady } from "../support/e2e_environment.ts";
import { kubectl } from "../support/kubectl.ts";
import { issueServerCertificate } from "../support/test_tls.ts";
import { makeRolloutReady } from "../support/workload.ts";

const SEED = new URL("../fixtures/seed/", import.meta.url).pathname;

Deno.test("the seed README's manifests, applied unchanged, register my-api with products and tags", async () => {
  await using env = await E2eEnvironment.start();
  const kubeconfig = env.plane.kubeconfigPath;
  await kubectl(["create", "namespace", "apim-operator"], { kubeconfig });

  // Azure as the samples describe it: two instances; the platform team created the product and
  // tags that my-api refers to in the instance it uses.
  const instance = env.apim.addService({
    subscriptionId: "<your-azure-subscription-id>",
    resourceGroup: "my-resource-group",
    name: "my-apim-service",
  });
  instance.createProduct("my-product", "My Product");
  instance.createTag("backend");
  instance.createTag("v1");
  const referenceInstance = env.apim.addService({
    subscriptionId: "<subscription-id>",
    resourceGroup: "my-resource-group",
    name: "my-apim-service-name",
  });

  // https://my-api.example.com is the application behind the sample Ingress, reached through an
  // egress proxy (the machine has no DNS for it).
  await using app = new DocumentServer(
    {
      kind: "document",
      body: await fixtureDocument("petstore.json"),
      contentType: "application/json",
    },
    await issueServerCertificate(env.tls, ["my-api.example.com"]),
  );
  await using proxy = new ConnectProxy({ "my-api.example.com:443": app.port });

  const operator = env.operator({
    watchNamespaces: ["default", "apim-operator"],
    operatorNamespace: "apim-operator",
    extraEnv: { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1,localhost" },
  });
  for (const file of ["getting-started.yaml", "crd-reference.yaml"]) {
    const applied = await kubectl(["apply", "-f", `${SEED}${file}`], {
      kubeconfig,
    });
    assert.equal(applied.code, 0, applied.stderr);
  }
  await makeRolloutReady(env, "default", "my-api", {
    "app.kubernetes.io/name": "my-api",
  });

  const api = await env.waitForObject(
    env.apis.apimApis,
    "default",
    "my-api",
    isReady,
    "APIMAPI my-api to become Ready",
    90_000,
  );
  const status = api["status"] as Record<string, unknown>;
  assert.equal(status["status"], "OK");
  assert.equal(
    status["apiHost"],
    "https://my-apim-service.azure-api.net/api/v1",
  );

  const held = instance.api("my-api");
  const current = held?.revisions.find((r) => r.isCurrent);
  assert.equal(current?.properties.path, "api/v1");
  assert.equal(current?.properties.serviceUrl, "https://my-api.example.com");
  assert.equal(current?.properties.subscriptionRequired, true);
  assert.deepEqual(held?.productIds, ["my-product"]);
  assert.deepEqual(held?.tagIds.sort(), ["backend", "v1"]);
  assert.ok(
    proxy.requests.includes("my-api.example.com:443"),
    "fetched through the proxy",
  );
  await env.waitForGone(
    env.apis.apimApiDeployments,
    "default",
    "my-api",
    "the intermediate APIMAPIDeployment to be cleaned up",
  );

  // The reference section's product and tag exist in their instance.
  await env.waitForObject(
    env.apis.apimProducts,
    "default",
    "my-product",
    isReady,
    "APIMProduct",
  );
  await env.waitForObject(
    env.apis.apimTags,
    "default",
    "my-tag",
    isReady,
    "APIMTag",
  );
  assert.equal(
    referenceInstance.product("my-product")?.displayName,
    "My Product",
  );
  assert.equal(referenceInstance.product("my-product")?.state, "published");
  assert.equal(referenceInstance.tag("my-tag")?.displayName, "My Tag");

  for (
    const line of [
      "📄 Swagger content",
      "⏳ Polling APIM async import status",
      "✅ APIM async import completed",
      "✅ API imported to APIM",
    ]
  ) {
    assert.ok(operator.logsMatching(line).length > 0, `log line "${line}"`);
  }

  // Deleting the APIMAPI removes its API (deletionPolicy defaults to Delete)...
  const deletedApi = await kubectl(
    [
      "delete",
      "apimapi",
      "my-api",
      "-n",
      "default",
      "--wait=true",
      "--timeout=60s",
    ],
    { kubeconfig },
  );
  assert.equal(deletedApi.code, 0, deletedApi.stderr);
  assert.equal(
    instance.api("my-api"),
    undefined,
    "the API was deleted with its APIMAPI",
  );
  // ...and the shared namespaces are left clean for other tests.
  for (const file of ["getting-started.yaml", "crd-reference.yaml"]) {
    const deleted = await kubectl(
      [
        "delete",
        "--ignore-not-found",
        "--wait=true",
        "--timeout=60s",
        "-f",
        `${SEED}${file}`,
      ],
      { kubeconfig },
    );
    assert.equal(deleted.code, 0, deleted.stderr);
  }
});
