// End to end: deletion (Delete, Retain, service gone), ownership, link removal and product updates.
import assert from "node:assert/strict";
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
} from "../support/e2e_environment.ts";
import {
  apimApiManifest,
  apimProductManifest,
  apimServiceManifest,
} from "../support/manifests.ts";
import { statusOf } from "../support/scenario.ts";
import { deployReadyWorkload } from "../support/workload.ts";
import { waitFor } from "../support/wait.ts";

interface Setup {
  env: E2eEnvironment;
  ns: string;
  opNs: string;
  app: DocumentServer;
  service: ServiceHandle;
}

async function setup(
  env: E2eEnvironment,
  prefix: string,
  service: string,
): Promise<Setup> {
  const ns = await env.namespace(prefix);
  const opNs = await env.namespace(`${prefix}-op`);
  const handle = env.addService(service);
  const app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([apimServiceManifest(opNs, "apim", service)]);
  env.operator({ watchNamespaces: [ns, opNs], operatorNamespace: opNs });
  return { env, ns, opNs, app, service: handle };
}

/** Applies an APIMAPI named like its workload and makes the workload ready. */
async function deployed(
  s: Setup,
  name: string,
  spec: Record<string, unknown>,
  namespace = s.ns,
): Promise<void> {
  await s.env.apply([apimApiManifest(namespace, name, {
    APIID: name,
    serviceUrl: s.app.url,
    routePrefix: `/${name}`,
    openApiDefinitionUrl: "/openapi.json",
    apimService: "apim",
    ...spec,
  })]);
  await deployReadyWorkload(s.env, namespace, name, {
    "app.kubernetes.io/name": name,
  });
}

/** {@linkcode deployed}, then waits for Ready. */
async function registered(
  s: Setup,
  name: string,
  spec: Record<string, unknown>,
  namespace = s.ns,
): Promise<void> {
  await deployed(s, name, spec, namespace);
  await s.env.waitForObject(
    s.env.apis.apimApis,
    namespace,
    name,
    isReady,
    `APIMAPI ${name} Ready`,
  );
}

Deno.test("Delete removes the API, Retain keeps it, and a retained API is not taken over by another APIMAPI", async () => {
  await using env = await E2eEnvironment.start();
  const s = await setup(env, "del", "apim-del");
  await using _app = s.app;
  const service = s.service;
  await registered(s, "gone", {});
  await registered(s, "kept", { deletionPolicy: "Retain" });

  await env.apis.apimApis.delete("gone", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimApis,
    s.ns,
    "gone",
    "APIMAPI gone to be deleted",
  );
  assert.equal(service.api("gone"), undefined, "Delete removed the API");

  await env.apis.apimApis.delete("kept", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimApis,
    s.ns,
    "kept",
    "APIMAPI kept to be deleted",
  );
  assert.ok(service.api("kept"), "Retain left the API");
  await env.waitForEvent(
    s.ns,
    "kept",
    (e) => e.reason === "Retained",
    "a Retained event",
  );

  // Another team's APIMAPI claims the retained API: API Management says it belongs to someone else.
  const other = await env.namespace("del-other");
  await env.apply([apimApiManifest(other, "kept", {
    APIID: "kept",
    serviceUrl: s.app.url,
    routePrefix: "/kept-elsewhere",
    openApiDefinitionUrl: "/openapi.json",
    apimService: "apim",
  })]);
  // Not watched by this operator: start one that watches it.
  env.operator({ watchNamespaces: [other, s.opNs], operatorNamespace: s.opNs });
  await deployReadyWorkload(env, other, "kept", {
    "app.kubernetes.io/name": "kept",
  });
  const refused = await env.waitForObject(
    env.apis.apimApis,
    other,
    "kept",
    readyReason("OwnedByAnotherAPIMAPI"),
    "the second owner to be refused",
  );
  assert.match(
    conditionOf(refused, "Ready")?.message ?? "",
    new RegExp(`${s.ns}/kept`),
  );
  assert.equal(
    service.currentRevision("kept")?.properties.path,
    "kept",
    "the retained API is unchanged",
  );
});

Deno.test("deleting an APIMAPI after its APIMService (namespace teardown) still deletes the API, at the identity recorded in status", async () => {
  await using env = await E2eEnvironment.start();
  const s = await setup(env, "nosvc", "apim-nosvc");
  await using _app = s.app;
  await registered(s, "orphan", {});
  const recorded = await env.apis.apimApis.find("orphan", { namespace: s.ns });
  assert.deepEqual(
    (recorded?.["status"] as { registeredApi?: unknown }).registeredApi,
    {
      subscription: SUBSCRIPTION_ID,
      resourceGroup: RESOURCE_GROUP,
      service: "apim-nosvc",
      apiId: "orphan",
    },
  );
  await env.apis.apimServices.delete("apim", { namespace: s.opNs });
  await env.waitForGone(
    env.apis.apimServices,
    s.opNs,
    "apim",
    "the APIMService to be deleted",
  );
  await env.apis.apimApis.delete("orphan", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimApis,
    s.ns,
    "orphan",
    "the APIMAPI deletion not to hang",
  );
  assert.equal(
    s.service.api("orphan"),
    undefined,
    "the API is deleted although its APIMService went first",
  );
  await env.waitForEvent(
    s.ns,
    "orphan",
    (e) => e.type === "Normal" && e.reason === "Deleted",
    "a Normal event Deleted",
  );
});

Deno.test("removing a product id removes that link; product edits and deletion reach API Management", async () => {
  await using env = await E2eEnvironment.start();
  const s = await setup(env, "links", "apim-links");
  await using _app = s.app;
  const service = s.service;
  await env.apply([
    apimProductManifest(s.ns, "gold", {
      productID: "gold",
      displayName: "Gold",
      apimService: "apim",
      published: true,
    }),
    apimProductManifest(s.ns, "silver", {
      productId: "silver",
      displayName: "Silver",
      apimService: "apim",
    }),
  ]);
  await env.waitForObject(
    env.apis.apimProducts,
    s.ns,
    "gold",
    isReady,
    "product gold Ready",
  );
  await env.waitForObject(
    env.apis.apimProducts,
    s.ns,
    "silver",
    isReady,
    "product silver Ready",
  );
  await registered(s, "orders", { productIds: ["gold", "silver"] });
  assert.deepEqual(service.api("orders")?.productIds.sort(), [
    "gold",
    "silver",
  ]);

  await env.apis.apimApis.mergePatch("orders", {
    spec: { productIds: ["gold"] },
  }, { namespace: s.ns });
  await waitFor(
    () =>
      Promise.resolve(
        service.api("orders")?.productIds.join() === "gold" ? true : undefined,
      ),
    { description: "the silver link to be removed" },
  );

  await env.apis.apimProducts.mergePatch("gold", {
    spec: {
      displayName: "Gold Plus",
      description: "Premium",
      subscriptionsLimit: 5,
    },
  }, { namespace: s.ns });
  await waitFor(() => {
    const gold = service.product("gold");
    return Promise.resolve(
      gold?.displayName === "Gold Plus" && gold.description === "Premium" &&
        gold.subscriptionsLimit === 5
        ? true
        : undefined,
    );
  }, { description: "the product update to reach API Management" });
  assert.equal(service.product("gold")?.state, "published");

  service.setProductSubscriptionCount("silver", 2);
  await env.apis.apimProducts.delete("silver", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimProducts,
    s.ns,
    "silver",
    "APIMProduct silver deleted",
  );
  assert.equal(
    service.product("silver"),
    undefined,
    "the product (and its subscriptions) were deleted",
  );
});

Deno.test("while a listed product or tag does not exist, the links that can be made are made and the links dropped from the spec are removed", async () => {
  await using env = await E2eEnvironment.start();
  const s = await setup(env, "partial-links", "apim-partial-links");
  await using _app = s.app;
  const service = s.service;
  service.createProduct("silver");
  service.createTag("green");
  await registered(s, "orders", { tagIds: ["green"] });

  // "ghost" and "blue" do not exist: silver is linked all the same, green is unlinked.
  await env.apis.apimApis.mergePatch("orders", {
    spec: { productIds: ["ghost", "silver"], tagIds: ["blue"] },
  }, { namespace: s.ns });
  await waitFor(() => {
    const api = service.api("orders");
    return Promise.resolve(
      api?.productIds.join() === "silver" && api.tagIds.length === 0
        ? true
        : undefined,
    );
  }, { description: "silver linked and green unlinked" });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "orders",
    readyReason("ProductNotFound"),
    "Ready=False ProductNotFound",
  );

  // The link made during the failed pass is known as this APIMAPI's own: dropping it removes it.
  await env.apis.apimApis.mergePatch("orders", {
    spec: { productIds: ["ghost"] },
  }, { namespace: s.ns });
  await waitFor(
    () =>
      Promise.resolve(
        service.api("orders")?.productIds.length === 0 ? true : undefined,
      ),
    { description: "the silver link to be removed" },
  );
});

Deno.test("a first import whose links stopped at a missing product: a linked product dropped from the spec is unlinked", async () => {
  await using env = await E2eEnvironment.start();
  const s = await setup(env, "first-links", "apim-first-links");
  await using _app = s.app;
  const service = s.service;
  service.createProduct("gold");
  service.createProduct("silver");
  await deployed(s, "orders", { productIds: ["gold", "ghost", "silver"] });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "orders",
    readyReason("ProductNotFound"),
    "Ready=False ProductNotFound",
  );
  assert.deepEqual(service.api("orders")?.productIds.sort(), [
    "gold",
    "silver",
  ]);

  // The next pass finishes the same (first) import: the links made before are known.
  await env.apis.apimApis.mergePatch("orders", {
    spec: { productIds: ["gold"] },
  }, { namespace: s.ns });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "orders",
    (o) => isReady(o) && statusOf(o)["observedGeneration"] === 2,
    "Ready at generation 2",
  );
  assert.deepEqual(service.api("orders")?.productIds, ["gold"]);
});

Deno.test("a product whose APIMService moves to another instance does not take over that instance's product of the same id; the old copy is let go with a Warning, and a delete removes neither", async () => {
  await using env = await E2eEnvironment.start();
  const s = await setup(env, "move", "apim-move-old");
  await using _app = s.app;
  const other = env.addService("apim-move-new");
  other.createProduct("gold", "Another team's Gold", false);
  await env.apply([
    apimServiceManifest(s.opNs, "apim-new", "apim-move-new"),
    apimProductManifest(s.ns, "gold", {
      productID: "gold",
      displayName: "Gold",
      apimService: "apim",
      published: true,
    }),
  ]);
  await env.waitForObject(
    env.apis.apimProducts,
    s.ns,
    "gold",
    isReady,
    "product gold Ready in the first instance",
  );
  await env.apis.apimProducts.mergePatch("gold", {
    spec: { apimService: "apim-new" },
  }, { namespace: s.ns });
  await env.waitForObject(
    env.apis.apimProducts,
    s.ns,
    "gold",
    readyReason("UnmanagedProductExists"),
    "the product refused in the second instance",
  );
  assert.equal(
    other.product("gold")?.displayName,
    "Another team's Gold",
    "the other instance's product is unchanged",
  );
  assert.equal(other.product("gold")?.state, "notPublished");

  await env.waitForEvent(
    s.ns,
    "gold",
    (e) => e.type === "Warning" && e.reason === "InstanceChanged",
    "a Warning event InstanceChanged",
  );
  await env.apis.apimProducts.delete("gold", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimProducts,
    s.ns,
    "gold",
    "APIMProduct gold deleted",
  );
  assert.ok(other.product("gold"), "the other team's product is not deleted");
  assert.ok(
    s.service.product("gold"),
    "the copy in the old instance was let go on the move, not deleted",
  );
});
