// End to end: a cluster of the original operator (chart 0.25.0) moves to this operator as the README's migration
// section says: its CRDs and objects accepted as they are, an unchanged document not imported again, a changed one
// imported once, everything adopted explicitly, nothing deleted in API Management, adopted entities retained.
import assert from "node:assert/strict";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1.d.ts";
import { parse } from "yaml";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { parseOwnerMarker } from "../../src/reconcile/desired_api.ts";
import {
  type ControlPlane,
  startControlPlane,
} from "../controlplane/control_plane.ts";
import { CONTROL_PLANE_ENV, requiredTestEnv } from "../controlplane/shared.ts";
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  installCrds,
  isReady,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
} from "../support/e2e_environment.ts";
import { kubectl } from "../support/kubectl.ts";
import {
  applyAsOriginal,
  installOriginalCrds,
  leaveInApim,
  type OriginalApi,
  originalApiManifest,
  originalManifests,
  originalRecords,
} from "../support/original_operator.ts";
import { importPuts, statusOf } from "../support/scenario.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const OPERATOR_NS = "azure-apim-operator-system";
const APP_NS = "shop";
const APIM = "apim-contoso";
const CRD_DIR = new URL("../../deploy/crds/", import.meta.url);

const PRODUCT = {
  id: "partner-apis",
  displayName: "Partner APIs",
  description: "APIs offered to partners",
};
const TAG = { id: "backend", displayName: "Backend" };
const POLICY = {
  name: "orders-limits",
  apiId: "orders",
  policyContent:
    `<policies><inbound><base /><rate-limit calls="50" renewal-period="30" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`,
};

function declared(name: string, app: DocumentServer): OriginalApi {
  return {
    namespace: APP_NS,
    name,
    apiId: name,
    routePrefix: `/${name}`,
    serviceUrl: app.url,
    openApiDefinitionUrl: `${app.url}/swagger/v1/swagger.json`,
    apimService: APIM,
    productIds: [PRODUCT.id],
    tagIds: [TAG.id],
  };
}

/** Our CRDs as deploy/crds/ holds them, by name. */
async function ourCrds(): Promise<Map<string, CustomResourceDefinition>> {
  const crds = new Map<string, CustomResourceDefinition>();
  for await (const entry of Deno.readDir(CRD_DIR)) {
    const crd: CustomResourceDefinition = parse(
      await Deno.readTextFile(new URL(entry.name, CRD_DIR)),
    );
    crds.set(crd.metadata?.name ?? "", crd);
  }
  return crds;
}

async function liveCrd(
  plane: ControlPlane,
  name: string,
): Promise<CustomResourceDefinition> {
  const response = await plane.request(
    "GET",
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
  );
  assert.equal(response.status, 200, name);
  return response.body as CustomResourceDefinition;
}

function markerOf(service: ServiceHandle, id: string) {
  return parseOwnerMarker(
    service.currentRevision(id)?.properties.apiRevisionDescription,
  );
}

async function migrate(plane: ControlPlane): Promise<void> {
  await using env = await E2eEnvironment.start({ plane, installCrds: false });
  const kubeconfig = plane.kubeconfigPath;
  const tool = { kubeconfig, binDir: plane.binDir };
  const service = env.addService(APIM);
  const ordersDocument = await fixtureDocument("petstore.json");
  const billingBefore = ordersDocument.replace('"1.0.0"', '"0.9.0"');
  const billingNow = await fixtureDocument("petstore-v2.json");
  const json = "application/json";
  await using ordersApp = new DocumentServer({
    kind: "document",
    body: ordersDocument,
    contentType: json,
  });
  await using billingApp = new DocumentServer({
    kind: "document",
    body: billingNow,
    contentType: json,
  });
  const orders = declared("orders", ordersApp);
  // Its document changed after the original's last import (the new version rolled out meanwhile).
  const billing = declared("billing", billingApp);
  // Its workload is scaled to zero: like the original, nothing happens until a rollout is ready.
  const reports = declared("reports", ordersApp);
  const lastImports = [
    { api: orders, document: ordersDocument },
    { api: billing, document: billingBefore },
    { api: reports, document: ordersDocument },
  ];
  const all = lastImports.map((i) => i.api.apiId).sort();

  // The original chart's CRDs, the objects users applied, their workloads.
  await installOriginalCrds(env);
  await env.apply([OPERATOR_NS, APP_NS].map((name) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  })));
  const apim = {
    name: APIM,
    subscription: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
  };
  const userManifests = [
    ...originalManifests(OPERATOR_NS, apim, {
      product: PRODUCT,
      tag: TAG,
      policy: POLICY,
    }),
    ...lastImports.map((i) => originalApiManifest(i.api)),
  ];
  const applyUserManifests = async () => {
    const applied = await kubectl(["apply", "-f", "-"], {
      ...tool,
      stdin: userManifests.map((m) => JSON.stringify(m)).join("\n---\n"),
    });
    assert.equal(applied.code, 0, applied.stderr);
  };
  await applyUserManifests();
  const replicaSets = new Map<string, GenericObject>();
  for (const { api } of lastImports) {
    replicaSets.set(
      api.name,
      await deployReadyWorkload(env, APP_NS, api.name, {
        "app.kubernetes.io/name": api.name,
      }, { replicas: api === reports ? 0 : 1 }),
    );
  }

  // The original's records of its last successful imports, and what it left in API Management.
  const records: Record<string, unknown>[] = [];
  const statuses: Record<string, unknown>[] = [];
  for (const { api, document } of lastImports) {
    const apimApi = await env.apis.apimApis.find(api.name, {
      namespace: APP_NS,
    });
    const record = originalRecords(api, {
      apiUid: apimApi?.metadata?.uid ?? "",
      document,
      subscription: SUBSCRIPTION_ID,
      resourceGroup: RESOURCE_GROUP,
      replicaSet: replicaSets.get(api.name)?.metadata?.name ?? "",
      gatewayHost: `${APIM}.azure-api.net`,
      portalHost: `${APIM}.developer.azure-api.net`,
    });
    records.push(record.deployment);
    statuses.push(
      { ...record.deployment, status: record.deploymentStatus },
      { ...originalApiManifest(api), status: record.apiStatus },
    );
  }
  const productStatus = {
    ...userManifests.find((m) => m["kind"] === "APIMProduct"),
    status: { phase: "Created", message: "Product created successfully" },
  };
  statuses.push(productStatus);
  await applyAsOriginal(env, records);
  await applyAsOriginal(env, statuses, { status: true });
  await leaveInApim(env, service, {
    products: [PRODUCT],
    tags: [TAG],
    apis: lastImports.map(({ api, document }) => ({
      apiId: api.apiId,
      path: api.name,
      serviceUrl: api.serviceUrl,
      document,
      productIds: api.productIds,
      tagIds: api.tagIds,
    })),
    policy: POLICY,
  });
  const policyBefore = service.currentRevision("orders")?.policy;
  assert.match(policyBefore ?? "", /rate-limit/);

  // README step: this operator's CRDs over the original's. Server-side with --force-conflicts takes
  // over every field of the spec Helm created, so the CRDs are exactly ours afterwards.
  await installCrds(plane, ["--force-conflicts"]);
  for (const [name, crd] of await ourCrds()) {
    const live = await liveCrd(plane, name);
    assert.deepEqual(live.spec.names, crd.spec.names, name);
    assert.deepEqual(
      JSON.parse(JSON.stringify(live.spec.versions)),
      JSON.parse(JSON.stringify(crd.spec.versions)),
      name,
    );
  }
  // The original's objects as they are pass strict field validation, and none of their fields is
  // pruned: the same writes of the original (objects and statuses) and the users' manifests apply.
  await applyAsOriginal(env, records, { dryRun: true });
  await applyAsOriginal(env, statuses, { status: true, dryRun: true });
  await applyUserManifests();
  const kept = await env.apis.apimApiDeployments.find("orders", {
    namespace: APP_NS,
  });
  assert.equal(statusOf(kept)["phase"], "Succeeded");
  assert.match(String(statusOf(kept)["openApiHash"]), /^[0-9a-f]{64}$/);
  assert.equal((kept?.["spec"] as Record<string, unknown>)["APIID"], "orders");

  // README step: the operator with --adopt-unmanaged.
  env.apim.clearRequests();
  const adopting = env.operator({
    watchNamespaces: [APP_NS, OPERATOR_NS],
    operatorNamespace: OPERATOR_NS,
    extraArgs: ["--adopt-unmanaged"],
  });
  const ready = async (
    api: typeof env.apis.apimApis,
    namespace: string,
    name: string,
  ) =>
    await env.waitForObject(
      api,
      namespace,
      name,
      isReady,
      `${name} Ready`,
      120_000,
    );
  for (const api of [orders, billing]) {
    const registered = await ready(env.apis.apimApis, APP_NS, api.name);
    assert.equal(statusOf(registered)["adopted"], true, api.name);
    assert.equal(statusOf(registered)["status"], "OK", api.name);
    const marker = markerOf(service, api.apiId);
    assert.equal(marker?.owner, `${APP_NS}/${api.name}`, api.name);
    assert.equal(marker?.adopted, true, api.name);
  }
  assert.equal(importPuts(env, "orders"), 0, "an unchanged document");
  assert.equal(importPuts(env, "billing"), 1, "a changed document");
  assert.match(
    JSON.stringify(service.currentRevision("billing")?.properties),
    /second version/,
  );
  await env.waitForEvent(
    APP_NS,
    "orders",
    (e) => e.reason === "AdoptingAPI" && /not importing it again/.test(e.note),
    "the takeover without an import reported",
  );
  for (
    const [api, name] of [
      [env.apis.apimProducts, PRODUCT.id],
      [env.apis.apimTags, TAG.id],
    ] as const
  ) {
    const entity = await ready(api, OPERATOR_NS, name);
    assert.equal(statusOf(entity)["adopted"], true, name);
  }
  await ready(env.apis.apimInboundPolicies, OPERATOR_NS, POLICY.name);
  await waitFor(async () => {
    const left = (await env.apis.apimApiDeployments.list({
      namespace: APP_NS,
    })).items.map((d) => d.metadata?.name);
    return left.join() === reports.name ? true : undefined;
  }, {
    description: "the original's records of registered APIs to be gone",
    timeoutMs: 60_000,
  });
  // Scaled to zero: waiting, untouched in API Management, the original's record kept for later.
  const waiting = await env.waitForObject(
    env.apis.apimApis,
    APP_NS,
    reports.name,
    (a) => conditionOf(a, "Ready")?.reason === "WaitingForReplicaSet",
    "the API without a ready workload to say so",
  );
  assert.equal(statusOf(waiting)["adopted"], undefined);
  assert.equal(markerOf(service, reports.apiId), undefined);
  assert.equal(importPuts(env, reports.apiId), 0);
  assert.equal(env.apim.countRequests({ method: "DELETE" }), 0);
  assert.equal(
    env.apim.writes({ path: /\/(products|tags)\// }),
    0,
    "no product, tag or link written: they were as specified",
  );
  assert.equal(env.apim.writes({ path: /\/policies\// }), 0);
  assert.equal(service.currentRevision("orders")?.policy, policyBefore);
  assert.deepEqual(service.productApis(PRODUCT.id).sort(), all);
  assert.deepEqual(service.tagApis(TAG.id).sort(), all);
  await adopting.stop();

  // README step: the flag removed. What was adopted stays adopted; deleting the custom resources
  // leaves everything in API Management (adopted entities are retained).
  env.apim.clearRequests();
  env.operator({
    watchNamespaces: [APP_NS, OPERATOR_NS],
    operatorNamespace: OPERATOR_NS,
  });
  for (
    const [api, namespace, name] of [
      ...all.map((name) => [env.apis.apimApis, APP_NS, name] as const),
      [env.apis.apimProducts, OPERATOR_NS, PRODUCT.id],
      [env.apis.apimTags, OPERATOR_NS, TAG.id],
    ] as const
  ) {
    await api.delete(name, { namespace });
    await env.waitForGone(api, namespace, name, `${name} deleted`);
  }
  assert.equal(env.apim.countRequests({ method: "DELETE" }), 0);
  assert.ok(all.every((id) => service.api(id)));
  assert.ok(service.product(PRODUCT.id) && service.tag(TAG.id));
  assert.deepEqual(service.productApis(PRODUCT.id).sort(), all);
  assert.deepEqual(service.tagApis(TAG.id).sort(), all);
}

Deno.test("a cluster of the original operator migrates as the README says: its objects accepted, unchanged documents not imported again, everything adopted and retained", async () => {
  // Its own control plane: the test replaces the cluster-wide CRDs.
  const plane = await startControlPlane({
    binDir: requiredTestEnv(CONTROL_PLANE_ENV.binDir),
    withControllerManager: true,
  });
  try {
    await migrate(plane);
  } finally {
    await plane.stop();
  }
});
