// End to end: NewRevision mode imports a changed document into a new revision, releases it, and prunes old ones.
import assert from "node:assert/strict";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import { E2eEnvironment, isReady } from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import {
  apiSpec,
  importPuts,
  startScenario,
  statusOf,
} from "../support/scenario.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload, makeRolloutReady } from "../support/workload.ts";

const LABELS = { "app.kubernetes.io/name": "orders" };

function currentRevisionOf(api: GenericObject): string | undefined {
  return (api["status"] as { currentRevision?: string } | undefined)
    ?.currentRevision;
}

/** Waits until APIMAPI `orders` is Ready with `revision` current. */
async function revisionReady(
  env: E2eEnvironment,
  ns: string,
  revision: string,
): Promise<void> {
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    (a) => isReady(a) && currentRevisionOf(a) === revision,
    `revision ${revision} current and Ready`,
  );
}

Deno.test("a changed document goes to a new revision that is released; revisions beyond keep are pruned", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("rev");
  const opNs = await env.namespace("rev-op");
  const service = env.addService("apim-rev");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-rev"),
    apimApiManifest(ns, "orders", {
      APIID: "orders",
      serviceUrl: app.url,
      routePrefix: "/orders",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      revisions: { mode: "NewRevision", keep: 2 },
    }),
  ]);
  env.operator({ watchNamespaces: [ns, opNs], operatorNamespace: opNs });
  await deployReadyWorkload(env, ns, "orders", LABELS, { image: "orders:1" });
  await revisionReady(env, ns, "1");

  const rollOut = async (image: string, document: string, revision: string) => {
    app.serve(await fixtureDocument(document));
    await env.apis.deployments.mergePatch("orders", {
      spec: { template: { spec: { containers: [{ name: "api", image }] } } },
    }, { namespace: ns });
    const rs = await makeRolloutReady(env, ns, "orders", LABELS);
    await revisionReady(env, ns, revision);
    return rs.metadata?.name ?? "";
  };

  // A new title and description (which API Management locks on a revision that is not current)
  // and a new operation: the revision is imported with them pinned, released, then renamed.
  const secondRs = await rollOut("orders:2", "petstore-renamed.json", "2");
  let api = service.api("orders");
  assert.equal(api?.currentRevision, "2");
  assert.deepEqual(
    api?.revisions.map((r) => r.revision).sort(),
    ["1", "2"],
    "the previous revision stays available",
  );
  const current = service.currentRevision("orders");
  assert.ok(
    current?.operations.some((o) => o.name === "listOwners"),
    "revision 2 holds the new document",
  );
  assert.equal(current?.properties.displayName, "Pet Store (renamed)");
  assert.equal(
    current?.properties.description,
    "The pet store, renamed, with owners",
  );
  const release = api?.releases.find((r) => r.apiId.endsWith("orders;rev=2"));
  assert.match(
    release?.notes ?? "",
    new RegExp(`ReplicaSet "${secondRs}" of Deployment/orders.*orders:2`),
  );

  // The new revision was imported and released before anything else touched the API's revisions.
  const log = env.apim.selectRequests({
    kind: "write",
    path: /\/apis\/orders(;rev=\d+)?(\/releases\/.*)?$/,
  })
    .filter((r) => r.status < 300)
    .map((r) => `${r.method} ${r.path.replace(/^.*\/apis\//, "")}`);
  const importAt = log.indexOf("PUT orders;rev=2");
  const releaseAt = log.findIndex((l) => l.startsWith("PUT orders/releases/"));
  assert.ok(
    importAt >= 0 && releaseAt > importAt,
    `import before release: ${log.join(", ")}`,
  );
  assert.ok(
    !log.some((l) => l.startsWith("DELETE")),
    "nothing pruned while within keep",
  );
  assert.ok(
    !log.slice(importAt).includes("PUT orders"),
    "the current revision was not re-imported",
  );
  for (const revision of api?.revisions ?? []) {
    assert.match(
      revision.properties.apiRevisionDescription ?? "",
      /^Managed by azure-apim-operator; owner=/,
      `revision ${revision.revision} keeps the ownership marker`,
    );
  }

  await rollOut("orders:3", "petstore.json", "3");
  // Pruning runs on in API Management (an asynchronous DELETE at 2024-05-01).
  api = await waitFor(async () => {
    const read = await env.armAsPortal(service, "GET", "/apis/orders");
    await read.body?.cancel();
    const now = service.api("orders");
    return now?.revisions.length === 2 ? now : undefined;
  }, { description: "revision 1 to be pruned", timeoutMs: 30_000 });
  assert.equal(api.currentRevision, "3");
  assert.deepEqual(
    api.revisions.map((r) => r.revision).sort(),
    ["2", "3"],
    "revision 1 pruned (keep 2)",
  );
});

Deno.test("an edit of routePrefix, serviceUrl and subscriptionRequired with the same document is PATCHed: no import, no new revision", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "patchrev");
  await env.apply([apimApiManifest(
    s.ns,
    "orders",
    apiSpec(s, "orders", { revisions: { mode: "NewRevision", keep: 2 } }),
  )]);
  await deployReadyWorkload(env, s.ns, "orders", LABELS);
  await revisionReady(env, s.ns, "1");

  const edited = await env.apis.apimApis.mergePatch("orders", {
    spec: {
      routePrefix: "/orders-moved",
      serviceUrl: `${s.app.url}/v2`,
      subscriptionRequired: false,
    },
  }, { namespace: s.ns });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "orders",
    (a) =>
      isReady(a) &&
      statusOf(a)["observedGeneration"] === edited.metadata?.generation,
    "the edit registered",
  );
  const api = s.service.api("orders");
  const current = s.service.currentRevision("orders")?.properties;
  assert.equal(current?.path, "orders-moved");
  assert.equal(current?.serviceUrl, `${s.app.url}/v2`);
  assert.equal(current?.subscriptionRequired, false);
  assert.deepEqual(
    api?.revisions.map((r) => r.revision),
    ["1"],
    "no revision was made for fields a PATCH sets",
  );
  assert.equal(importPuts(env, "orders", true), 1, "imported once");
});

Deno.test("pruning refused by API Management's lock after the previous delete is tried again until every revision beyond keep is gone", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "prune");
  await env.apply([apimApiManifest(
    s.ns,
    "orders",
    apiSpec(s, "orders", { revisions: { mode: "NewRevision", keep: 3 } }),
  )]);
  await deployReadyWorkload(env, s.ns, "orders", LABELS, { image: "v1" });
  await revisionReady(env, s.ns, "1");
  const rollouts = [["v2", "petstore-renamed.json", "2"], [
    "v3",
    "petstore.json",
    "3",
  ]];
  for (const [image, document, revision] of rollouts) {
    s.app.serve(await fixtureDocument(document!));
    await env.apis.deployments.mergePatch("orders", {
      spec: { template: { spec: { containers: [{ name: "api", image }] } } },
    }, { namespace: s.ns });
    await makeRolloutReady(env, s.ns, "orders", LABELS);
    await revisionReady(env, s.ns, revision!);
  }
  assert.equal(s.service.api("orders")?.revisions.length, 3);
  // Two revisions to prune: API Management keeps its lock a moment after the first delete ends,
  // so the second is refused at first.
  await env.apis.apimApis.mergePatch("orders", {
    spec: { revisions: { mode: "NewRevision", keep: 1 } },
  }, { namespace: s.ns });
  const api = await waitFor(async () => {
    const read = await env.armAsPortal(s.service, "GET", "/apis/orders");
    await read.body?.cancel();
    const now = s.service.api("orders");
    return now?.revisions.length === 1 ? now : undefined;
  }, { description: "revisions 1 and 2 to be pruned", timeoutMs: 60_000 });
  assert.deepEqual(api.revisions.map((r) => r.revision), ["3"]);
});
