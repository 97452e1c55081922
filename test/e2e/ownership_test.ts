// End to end: what the operator may take over and delete — explicit adoption, identities that cannot move, gone instances.
import assert from "node:assert/strict";
import { KubeApiError } from "../../src/kube/kube_errors.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
  SUBSCRIPTION_ID,
} from "../support/e2e_environment.ts";
import {
  apimApiManifest,
  apimProductManifest,
  apimTagManifest,
} from "../support/manifests.ts";
import {
  apiSpec,
  importPuts,
  registerApi,
  startScenario,
  statusOf,
} from "../support/scenario.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const ADOPT = { annotations: { "apim.operator.io/adopt": "true" } };

Deno.test("an API that exists without the operator's marker is taken over only when asked, and then retained on delete", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "adopt");
  // Created "in the portal" before the operator was installed.
  const created = await env.armAsPortal(s.service, "PUT", "/apis/legacy", {
    properties: {
      displayName: "Legacy",
      path: "legacy",
      protocols: ["https"],
      serviceUrl: "https://legacy.example.com",
    },
  });
  assert.ok(created.status < 300, `portal PUT: ${created.status}`);
  await created.body?.cancel();
  await env.apply([apimApiManifest(s.ns, "legacy", apiSpec(s, "legacy"))]);
  await deployReadyWorkload(env, s.ns, "legacy", {
    "app.kubernetes.io/name": "legacy",
  });
  const refused = await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "legacy",
    readyReason("UnmanagedAPIExists"),
    "the takeover to be refused",
  );
  assert.match(
    conditionOf(refused, "Ready")?.message ?? "",
    /apim\.operator\.io\/adopt/,
  );
  assert.equal(importPuts(env, "legacy"), 1, "only the portal's PUT");

  await env.apis.apimApis.mergePatch("legacy", { metadata: ADOPT }, {
    namespace: s.ns,
  });
  const adopted = await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "legacy",
    isReady,
    "the adopted API to become Ready",
  );
  assert.equal(statusOf(adopted)["adopted"], true);
  await env.waitForEvent(
    s.ns,
    "legacy",
    (e) => e.reason === "AdoptingAPI",
    "an AdoptingAPI event",
  );

  await env.apis.apimApis.delete("legacy", { namespace: s.ns });
  await env.waitForGone(env.apis.apimApis, s.ns, "legacy", "the APIMAPI gone");
  assert.ok(
    s.service.api("legacy"),
    "an adopted API is retained unless deletionPolicy is Delete",
  );
});

Deno.test("APIID and apimService cannot change once the API is registered", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "immutable");
  await registerApi(s, "orders");
  const api = await env.apis.apimApis.find("orders", { namespace: s.ns });
  assert.deepEqual(statusOf(api)["registeredApi"], {
    subscription: SUBSCRIPTION_ID,
    resourceGroup: "rg-e2e",
    service: "apim-immutable",
    apiId: "orders",
  });
  for (
    const [field, value] of [["APIID", "orders-v2"], ["apimService", "other"]]
  ) {
    const error = await env.apis.apimApis.mergePatch("orders", {
      spec: { [field as string]: value },
    }, { namespace: s.ns }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof KubeApiError, `${field} change accepted`);
    assert.equal(error.status, 422);
    assert.match(error.message, new RegExp(`spec.${field} cannot change`));
  }
  assert.ok(s.service.api("orders"), "nothing was orphaned");
});

Deno.test("product and tag finalizers let go when the instance is gone; an adopted product is retained with its subscriptions", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "gone");
  s.service.createProduct("legacy-product");
  s.service.setProductSubscriptionCount("legacy-product", 3);
  await env.apply([
    apimProductManifest(s.ns, "gold", {
      productID: "gold",
      displayName: "Gold",
      apimService: "apim",
    }),
    apimTagManifest(s.ns, "team", {
      tagID: "team",
      displayName: "Team",
      apimService: "apim",
    }),
    {
      ...apimProductManifest(s.ns, "legacy", {
        productID: "legacy-product",
        displayName: "Legacy product",
        apimService: "apim",
      }),
      metadata: { name: "legacy", namespace: s.ns, ...ADOPT },
    },
  ]);
  for (
    const [api, name] of [["apimProducts", "gold"], ["apimTags", "team"], [
      "apimProducts",
      "legacy",
    ]] as const
  ) {
    await env.waitForObject(
      env.apis[api],
      s.ns,
      name,
      isReady,
      `${name} Ready`,
    );
  }
  const legacy = await env.apis.apimProducts.find("legacy", {
    namespace: s.ns,
  });
  assert.equal(statusOf(legacy)["adopted"], true);

  await env.apis.apimProducts.delete("legacy", { namespace: s.ns });
  await env.waitForGone(env.apis.apimProducts, s.ns, "legacy", "legacy gone");
  assert.equal(
    s.service.product("legacy-product")?.subscriptionCount,
    3,
    "the adopted product and its subscriptions are left alone",
  );

  env.apim.removeService({
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: "rg-e2e",
    name: "apim-gone",
  });
  await env.apis.apimProducts.delete("gold", { namespace: s.ns });
  await env.apis.apimTags.delete("team", { namespace: s.ns });
  await env.waitForGone(env.apis.apimProducts, s.ns, "gold", "gold let go");
  await env.waitForGone(env.apis.apimTags, s.ns, "team", "team let go");
  await env.waitForEvent(
    s.ns,
    "gold",
    (e) => e.type === "Warning" && e.reason === "InstanceGone",
    "a Warning InstanceGone",
  );
});
