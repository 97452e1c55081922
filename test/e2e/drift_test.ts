// End to end: the periodic drift check writes nothing when nothing drifted, and repairs changes made in the portal.
import assert from "node:assert/strict";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import type { OperatorProcess } from "../support/operator_process.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload } from "../support/workload.ts";

function driftChecks(operator: OperatorProcess): number {
  return operator.logs.filter((l) => l.msg === "Checked the API for drift")
    .length;
}

async function petstore(): Promise<DocumentServer> {
  return new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
}

/** An APIMAPI "orders" for the document `app` serves in `ns` (APIMService "apim" in `serviceNs`), registered. */
async function registerOrders(
  env: E2eEnvironment,
  app: DocumentServer,
  options: {
    ns: string;
    serviceNs: string;
    instance: string;
    spec?: Record<string, unknown>;
    extraArgs?: string[];
  },
): Promise<OperatorProcess> {
  const { ns, serviceNs, instance } = options;
  await env.apply([
    apimServiceManifest(serviceNs, "apim", instance),
    apimApiManifest(ns, "orders", {
      APIID: "orders",
      serviceUrl: app.url,
      routePrefix: "/orders",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      ...options.spec,
    }),
  ]);
  const operator = env.operator({
    watchNamespaces: [...new Set([ns, serviceNs])],
    operatorNamespace: serviceNs,
    extraArgs: options.extraArgs ?? [],
  });
  await deployReadyWorkload(env, ns, "orders", {
    "app.kubernetes.io/name": "orders",
  });
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    isReady,
    "the API registered",
  );
  return operator;
}

Deno.test("a resync without drift writes nothing; a deleted API, a changed serviceUrl and a removed link are restored", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("drift");
  const opNs = await env.namespace("drift-op");
  const service = env.addService("apim-drift");
  service.createProduct("starter");
  service.createTag("public");
  await using app = await petstore();
  const operator = await registerOrders(env, app, {
    ns,
    serviceNs: opNs,
    instance: "apim-drift",
    spec: { productIds: ["starter"], tagIds: ["public"] },
    extraArgs: ["--resync-period=1500ms"],
  });
  // Quiet resyncs: reads only.
  const before = driftChecks(operator);
  await waitFor(
    () =>
      Promise.resolve(driftChecks(operator) >= before + 1 ? true : undefined),
    {
      description: "a first drift check",
    },
  );
  env.apim.clearRequests();
  const start = driftChecks(operator);
  await waitFor(
    () =>
      Promise.resolve(driftChecks(operator) >= start + 4 ? true : undefined),
    {
      description: "four more drift checks",
    },
  );
  assert.equal(env.apim.writes(), 0, "no ARM write while nothing drifted");
  const apiReads = env.apim.reads({ method: "GET", path: /\/apis\/orders$/ });
  assert.ok(
    apiReads >= 4 && apiReads <= 6,
    `one GET of the API per check (${apiReads})`,
  );

  // The API is deleted in the portal: registered again.
  service.deleteApi("orders");
  await waitFor(
    () =>
      Promise.resolve(
        service.api("orders")?.productIds.includes("starter")
          ? true
          : undefined,
      ),
    {
      description: "the deleted API to be recreated with its link",
      timeoutMs: 60_000,
    },
  );
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    isReady,
    "the API Ready again",
  );
  await env.waitForEvent(
    ns,
    "orders",
    (e) => e.reason === "DriftDetected",
    "a DriftDetected event",
  );

  // The backend is changed in the portal: set back.
  service.setServiceUrl("orders", "https://somewhere-else.example.com");
  await waitFor(
    () =>
      Promise.resolve(
        service.currentRevision("orders")?.properties.serviceUrl === app.url
          ? true
          : undefined,
      ),
    { description: "the serviceUrl to be restored" },
  );

  // The product and tag links are removed in the portal: linked again.
  service.unlinkProduct("starter", "orders");
  service.unlinkTag("public", "orders");
  await waitFor(
    () => {
      const api = service.api("orders");
      return Promise.resolve(
        api?.productIds.includes("starter") && api.tagIds.includes("public")
          ? true
          : undefined,
      );
    },
    { description: "the product and tag links to be restored" },
  );
  await env.waitForEvent(
    ns,
    "orders",
    (e) => e.reason === "DriftCorrected",
    "a DriftCorrected event",
  );
});

Deno.test("a registered API whose APIMService is deleted is not Ready, with an Event, and is Ready again once it is back", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("drift-svc");
  env.addService("apim-drift-svc");
  // The default resync period (minutes): only the APIMService's going can tell the API.
  await using app = await petstore();
  await registerOrders(env, app, {
    ns,
    serviceNs: ns,
    instance: "apim-drift-svc",
  });

  await env.apis.apimServices.delete("apim", { namespace: ns });
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    readyReason("APIMServiceNotFound"),
    "Ready=False APIMServiceNotFound",
  );
  await env.waitForEvent(
    ns,
    "orders",
    (e) => e.reason === "APIMServiceNotFound",
    "an APIMServiceNotFound event",
  );

  await env.apply([apimServiceManifest(ns, "apim", "apim-drift-svc")]);
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    isReady,
    "the API Ready again",
  );
});
