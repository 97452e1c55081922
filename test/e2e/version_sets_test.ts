// End to end: two versions of one API in a version set, side by side on one path; the set outlives its versions.
import assert from "node:assert/strict";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import { kubectl } from "../support/kubectl.ts";
import {
  apimApiManifest,
  apimServiceManifest,
  apimVersionSetManifest,
} from "../support/manifests.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload } from "../support/workload.ts";

function statusOf(object: GenericObject): Record<string, unknown> {
  return (object["status"] ?? {}) as Record<string, unknown>;
}

Deno.test("v1 and v2 of one API live side by side in a version set; the set stays when its last version goes", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("vs");
  const opNs = await env.namespace("vs-op");
  const service = env.addService("apim-vs");
  await using v1 = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await using v2 = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore-v2.json"),
    contentType: "application/json",
  });
  const version = (name: string, apiVersion: string, app: DocumentServer) =>
    apimApiManifest(ns, name, {
      APIID: name,
      serviceUrl: app.url,
      routePrefix: "/orders",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      versionSet: "orders",
      apiVersion,
    });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-vs"),
    apimVersionSetManifest(ns, "orders", {
      displayName: "Orders",
      versioningScheme: "Segment",
      apimService: "apim",
    }),
    version("orders-v1", "v1", v1),
    version("orders-v2", "v2", v2),
  ]);
  env.operator({
    watchNamespaces: [ns, opNs],
    operatorNamespace: opNs,
    extraArgs: ["--resync-period=3s"],
  });
  const set = await env.waitForObject(
    env.apis.apimApiVersionSets,
    ns,
    "orders",
    isReady,
    "the version set created",
  );
  const setId = `${service.resourceId}/apiVersionSets/orders`;
  assert.equal(statusOf(set)["resourceId"], setId);
  assert.equal(statusOf(set)["created"], true);
  assert.equal(service.versionSet("orders")?.displayName, "Orders");

  for (const name of ["orders-v1", "orders-v2"]) {
    await deployReadyWorkload(env, ns, name, {
      "app.kubernetes.io/name": name,
    });
  }
  for (const apiVersion of ["v1", "v2"]) {
    const name = `orders-${apiVersion}`;
    const api = await env.waitForObject(
      env.apis.apimApis,
      ns,
      name,
      isReady,
      `${name} registered`,
      90_000,
    );
    assert.equal(
      statusOf(api)["apiHost"],
      `https://apim-vs.azure-api.net/orders/${apiVersion}`,
    );
    const held = service.currentRevision(name)?.properties;
    assert.equal(held?.path, "orders", "both versions on one path");
    assert.equal(held?.apiVersionSetId, setId);
    assert.equal(held?.apiVersion, apiVersion);
  }
  // One import PUT each carried the set and the version: no write patched them in afterwards.
  for (const name of ["orders-v1", "orders-v2"]) {
    assert.equal(
      env.apim.writes({ path: new RegExp(`/apis/${name}$`) }),
      1,
      `${name}: a single write`,
    );
  }

  // v1 goes; v2 keeps the set.
  const deleted = await kubectl(
    [
      "delete",
      "apimapi",
      "orders-v1",
      "-n",
      ns,
      "--wait=true",
      "--timeout=60s",
    ],
    { kubeconfig: env.plane.kubeconfigPath },
  );
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.equal(service.api("orders-v1"), undefined);
  assert.ok(service.versionSet("orders"), "the set stays with v2 in it");

  // The last version goes: API Management deletes the set with it; the set is its own object.
  await kubectl(
    [
      "delete",
      "apimapi",
      "orders-v2",
      "-n",
      ns,
      "--wait=true",
      "--timeout=60s",
    ],
    { kubeconfig: env.plane.kubeconfigPath },
  );
  assert.equal(service.api("orders-v2"), undefined);
  await waitFor(
    () => Promise.resolve(service.versionSet("orders") ? true : undefined),
    {
      description: "the version set in API Management again",
      timeoutMs: 60_000,
    },
  );
  const kept = await env.apis.apimApiVersionSets.find("orders", {
    namespace: ns,
  });
  assert.ok(kept && isReady(kept), "the APIMAPIVersionSet is still Ready");

  // Deleting the APIMAPIVersionSet (created by the operator: Delete) removes it.
  const removed = await kubectl(
    ["delete", "apimvs", "orders", "-n", ns, "--wait=true", "--timeout=60s"],
    { kubeconfig: env.plane.kubeconfigPath },
  );
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(service.versionSet("orders"), undefined);
});

Deno.test("a version set is not deleted while an APIMAPI is a version of it; an APIMAPI waits for its set", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("vs-use");
  const opNs = await env.namespace("vs-use-op");
  const service = env.addService("apim-vs-use");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-vs-use"),
    apimApiManifest(ns, "billing", {
      APIID: "billing",
      serviceUrl: app.url,
      routePrefix: "/billing",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      versionSet: "billing",
      apiVersion: "2024-01-01",
    }),
  ]);
  env.operator({ watchNamespaces: [ns, opNs], operatorNamespace: opNs });
  await deployReadyWorkload(env, ns, "billing", {
    "app.kubernetes.io/name": "billing",
  });
  const waiting = await env.waitForObject(
    env.apis.apimApis,
    ns,
    "billing",
    readyReason("VersionSetNotFound"),
    "the APIMAPI waiting for its version set",
  );
  assert.match(
    conditionOf(waiting, "Ready")?.message ?? "",
    /APIMAPIVersionSet "billing" was not found/,
  );
  assert.equal(service.api("billing"), undefined, "nothing imported yet");

  await env.apply([
    apimVersionSetManifest(ns, "billing", {
      displayName: "Billing",
      versioningScheme: "Query",
      versionQueryName: "api-version",
      apimService: "apim",
    }),
  ]);
  const api = await env.waitForObject(
    env.apis.apimApis,
    ns,
    "billing",
    isReady,
    "the APIMAPI registered once its set exists",
    90_000,
  );
  assert.equal(
    statusOf(api)["apiHost"],
    "https://apim-vs-use.azure-api.net/billing",
    "the Query scheme keeps the path",
  );
  assert.equal(service.versionSet("billing")?.versionQueryName, "api-version");

  await kubectl(
    ["delete", "apimvs", "billing", "-n", ns, "--wait=false"],
    { kubeconfig: env.plane.kubeconfigPath },
  );
  const inUse = await env.waitForObject(
    env.apis.apimApiVersionSets,
    ns,
    "billing",
    readyReason("InUse"),
    "the set's deletion waiting for its version",
  );
  assert.match(
    conditionOf(inUse, "Ready")?.message ?? "",
    /APIMAPI ".*\/billing" still is a version of this set/,
  );
  assert.ok(service.versionSet("billing"), "still in API Management");
  await kubectl(
    ["delete", "apimapi", "billing", "-n", ns, "--wait=true", "--timeout=60s"],
    { kubeconfig: env.plane.kubeconfigPath },
  );
  await env.waitForGone(
    env.apis.apimApiVersionSets,
    ns,
    "billing",
    "the set deleted after its last version",
  );
  assert.equal(service.versionSet("billing"), undefined);
});

Deno.test("the API server refuses a version without a set, a Header set without its header, and an unknown policy format", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("vs-bad");
  const refused: [object, RegExp][] = [
    [
      apimApiManifest(ns, "loose", {
        APIID: "loose",
        serviceUrl: "http://loose.svc",
        routePrefix: "/loose",
        openApiDefinitionUrl: "/openapi.json",
        apimService: "apim",
        apiVersion: "v1",
      }),
      /apiVersion needs versionSet/,
    ],
    [
      apimVersionSetManifest(ns, "by-header", {
        displayName: "By header",
        versioningScheme: "Header",
        apimService: "apim",
      }),
      /versionHeaderName is required when versioningScheme is Header/,
    ],
    [
      {
        apiVersion: "apim.operator.io/v1",
        kind: "APIMInboundPolicy",
        metadata: { name: "odd", namespace: ns },
        spec: {
          apimService: "apim",
          apiId: "orders",
          policyContent: "<policies />",
          format: "json",
        },
      },
      /spec\.format: Unsupported value: "json"/,
    ],
  ];
  for (const [manifest, message] of refused) {
    const result = await kubectl(
      ["apply", "--dry-run=server", "-f", "-"],
      {
        kubeconfig: env.plane.kubeconfigPath,
        stdin: JSON.stringify(manifest),
      },
    );
    assert.notEqual(result.code, 0, JSON.stringify(manifest));
    assert.match(result.stderr, message);
  }
});
