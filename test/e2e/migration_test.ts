// End to end: a cluster of the original operator (chart 0.25.0) moves to this operator by the README's migration steps.
// Its objects are accepted as they are, an unchanged document is not imported again, a changed one once; everything is
// adopted explicitly, nothing is deleted in API Management, adopted entities are retained.
import assert from "node:assert/strict";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1.d.ts";
import { parse } from "yaml";
import { parseOwnerMarker } from "../../src/reconcile/desired_api.ts";
import {
  type ControlPlane,
  startControlPlane,
} from "../controlplane/control_plane.ts";
import { CONTROL_PLANE_ENV, requiredTestEnv } from "../controlplane/shared.ts";
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  E2eEnvironment,
  installCrds,
  isReady,
  readyReason,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
} from "../support/e2e_environment.ts";
import {
  CHART_DIR,
  handToRelease,
  operatorArgs,
  runTool,
} from "../support/helm_chart.ts";
import {
  applyUserManifests,
  originalCluster,
  type OriginalWorld,
} from "../support/original_cluster.ts";
import {
  applyAsOriginal,
  type OriginalApi,
} from "../support/original_objects.ts";
import { importPuts, statusOf } from "../support/scenario.ts";
import { waitFor } from "../support/wait.ts";

const OPERATOR_NS = "apim-operator";
const APP_NS = "shop";
/** The release name of the README's commands (its full name too). */
const RELEASE = "azure-apim-operator";
const APIM = {
  name: "apim-contoso",
  subscription: SUBSCRIPTION_ID,
  resourceGroup: RESOURCE_GROUP,
};
const CRD_DIR = new URL("../../deploy/crds/", import.meta.url);
const ADOPT_FLAG = "--adopt-unmanaged";

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
    apimService: APIM.name,
    productIds: [PRODUCT.id],
    tagIds: [TAG.id],
  };
}

function markerOf(service: ServiceHandle, id: string) {
  return parseOwnerMarker(
    service.currentRevision(id)?.properties.apiRevisionDescription,
  );
}

/** The CRDs on the server are exactly deploy/crds/ (names and versions with their schemas). */
async function assertOurCrds(plane: ControlPlane): Promise<void> {
  for await (const entry of Deno.readDir(CRD_DIR)) {
    const crd: CustomResourceDefinition = parse(
      await Deno.readTextFile(new URL(entry.name, CRD_DIR)),
    );
    const name = crd.metadata?.name ?? "";
    const response = await plane.request(
      "GET",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    assert.equal(response.status, 200, name);
    const live = response.body as CustomResourceDefinition;
    assert.deepEqual(live.spec.names, crd.spec.names, name);
    assert.deepEqual(
      JSON.parse(JSON.stringify(live.spec.versions)),
      JSON.parse(JSON.stringify(crd.spec.versions)),
      name,
    );
  }
}

/**
 * README steps 1 to 3: the original release's APIMService gone with it, this operator's CRDs over
 * the original's and handed to the release, the chart installed with adoption on.
 */
async function readmeInstall(env: E2eEnvironment): Promise<void> {
  const options = { kubeconfig: env.plane.kubeconfigPath };
  await env.apis.apimServices.delete(APIM.name, { namespace: OPERATOR_NS });
  await installCrds(env.plane, ["--force-conflicts"]);
  await assertOurCrds(env.plane);
  const crds = (await runTool("kubectl", ["get", "crd", "-o", "name"], options))
    .split("\n").filter((name) => name.endsWith(".apim.operator.io"));
  assert.equal(crds.length, 7);
  await handToRelease(options.kubeconfig, crds, RELEASE, OPERATOR_NS);
  await runTool("helm", [
    "upgrade",
    "--install",
    RELEASE,
    CHART_DIR,
    `--namespace=${OPERATOR_NS}`,
    "--set=operator.adoptUnmanaged=true",
    `--set=apimServices[0].name=${APIM.name}`,
    `--set=apimServices[0].resourceGroup=${APIM.resourceGroup}`,
    `--set=apimServices[0].subscription=${APIM.subscription}`,
  ], options);
  await assertOurCrds(env.plane);
}

/** The operator's adoption flag as the release's Deployment passes it (there is no kubelet to run it). */
async function releaseAdoptFlag(env: E2eEnvironment): Promise<string[]> {
  const deployment = await env.apis.deployments.find(RELEASE, {
    namespace: OPERATOR_NS,
  });
  assert.ok(deployment, "the release's Deployment");
  return operatorArgs(deployment).filter((arg) => arg === ADOPT_FLAG);
}

async function migrate(plane: ControlPlane): Promise<void> {
  await using env = await E2eEnvironment.start({ plane, installCrds: false });
  const service = env.addService(APIM.name);
  const petstore = await fixtureDocument("petstore.json");
  const json = "application/json";
  await using app = new DocumentServer({
    kind: "document",
    body: petstore,
    contentType: json,
  });
  await using billingApp = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore-v2.json"),
    contentType: json,
  });
  const world: OriginalWorld = {
    operatorNamespace: OPERATOR_NS,
    appNamespace: APP_NS,
    apim: APIM,
    product: PRODUCT,
    tag: TAG,
    policy: POLICY,
    imports: [
      { api: declared("orders", app), document: petstore, replicas: 1 },
      // Its document changed after the original's last import (the new version rolled out meanwhile).
      {
        api: declared("billing", billingApp),
        document: petstore.replace('"1.0.0"', '"0.9.0"'),
        replicas: 1,
      },
      // Scaled to zero: like the original, nothing happens until a rollout is ready.
      { api: declared("reports", app), document: petstore, replicas: 0 },
    ],
  };
  const all = world.imports.map((i) => i.api.apiId).sort();
  const writes = await originalCluster(env, service, world);
  const policyBefore = service.currentRevision("orders")?.policy;
  assert.match(policyBefore ?? "", /rate-limit/);

  await readmeInstall(env);
  // The original's objects as they are pass strict field validation, and none of their fields is
  // pruned: the same writes of the original (objects and statuses) and the user's manifests apply.
  await applyAsOriginal(env, writes.objects, { dryRun: true });
  await applyAsOriginal(env, writes.statuses, { status: true, dryRun: true });
  await applyUserManifests(env, world);
  const kept = await env.apis.apimApiDeployments.find("orders", {
    namespace: APP_NS,
  });
  assert.equal(statusOf(kept)["phase"], "Succeeded");
  assert.match(String(statusOf(kept)["openApiHash"]), /^[0-9a-f]{64}$/);
  assert.equal((kept?.["spec"] as Record<string, unknown>)["APIID"], "orders");

  // README step 4: the operator as the release runs it, with --adopt-unmanaged.
  const adoptFlag = await releaseAdoptFlag(env);
  assert.deepEqual(adoptFlag, [ADOPT_FLAG]);
  env.apim.clearRequests();
  const operatorOptions = {
    watchNamespaces: [APP_NS, OPERATOR_NS],
    operatorNamespace: OPERATOR_NS,
  };
  const adopting = env.operator({ ...operatorOptions, extraArgs: adoptFlag });
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
  for (const name of ["orders", "billing"]) {
    const registered = await ready(env.apis.apimApis, APP_NS, name);
    assert.equal(statusOf(registered)["adopted"], true, name);
    assert.equal(statusOf(registered)["status"], "OK", name);
    const marker = markerOf(service, name);
    assert.equal(marker?.owner, `${APP_NS}/${name}`, name);
    assert.equal(marker?.adopted, true, name);
  }
  assert.equal(importPuts(env, "orders"), 0, "an unchanged document");
  assert.equal(importPuts(env, "billing"), 1, "a changed document");
  assert.match(
    String(service.currentRevision("billing")?.properties.description),
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
    return left.join() === "reports" ? true : undefined;
  }, {
    description: "the original's records of registered APIs to be gone",
    timeoutMs: 60_000,
  });
  // Scaled to zero: waiting, untouched in API Management, the original's record kept for later.
  const waiting = await env.waitForObject(
    env.apis.apimApis,
    APP_NS,
    "reports",
    readyReason("WaitingForReplicaSet"),
    "the API without a ready workload to say so",
  );
  assert.equal(statusOf(waiting)["adopted"], undefined);
  assert.equal(markerOf(service, "reports"), undefined);
  assert.equal(importPuts(env, "reports"), 0);
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

  // README step 5: adoption off. What was adopted stays adopted; deleting the custom resources
  // leaves everything in API Management (adopted entities are retained).
  await runTool("helm", [
    "upgrade",
    RELEASE,
    CHART_DIR,
    `--namespace=${OPERATOR_NS}`,
    "--reuse-values",
    "--set=operator.adoptUnmanaged=false",
  ], { kubeconfig: plane.kubeconfigPath });
  const noFlag = await releaseAdoptFlag(env);
  assert.deepEqual(noFlag, []);
  env.apim.clearRequests();
  env.operator({ ...operatorOptions, extraArgs: noFlag });
  for (
    const [api, namespace, name] of [
      ...all.map((name) => [env.apis.apimApis, APP_NS, name] as const),
      [env.apis.apimProducts, OPERATOR_NS, PRODUCT.id] as const,
      [env.apis.apimTags, OPERATOR_NS, TAG.id] as const,
    ]
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

Deno.test("a cluster of the original operator migrates by the README's steps: its objects accepted, unchanged documents not imported again, everything adopted and retained", async () => {
  // A control plane of its own: the test replaces the cluster-wide CRDs.
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
