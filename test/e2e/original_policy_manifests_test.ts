// End to end: manifests in the original operator's format (its documented kinds and fields), applied as they are,
// register invoice-api and set its API and operation policies; drift is corrected, deletion restores the default.
import assert from "node:assert/strict";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { ConnectProxy } from "../support/connect_proxy.ts";
import { DocumentServer } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
} from "../support/e2e_environment.ts";
import { kubectl } from "../support/kubectl.ts";
import { issueServerCertificate } from "../support/test_tls.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const OPERATOR_NS = "apim-system";
const APP_NS = "partners";

// Manifests written the way the original operator's documentation writes them — the same kinds, the
// same field names and casing (productId, tagId, apiId, operationId, policyContent), an APIM instance
// in the operator's namespace, one API-scope and one operation-scope APIMInboundPolicy — with names
// and values of our own.
const ORIGINAL_MANIFESTS = `apiVersion: apim.operator.io/v1
kind: APIMService
metadata:
  name: apim-main
  namespace: apim-system
spec:
  name: apim-contoso-prod
  resourceGroup: rg-contoso-apim
  subscription: 00000000-0000-0000-0000-000000000000
---
apiVersion: apim.operator.io/v1
kind: APIMAPI
metadata:
  name: invoices-public
  namespace: partners
spec:
  APIID: invoice-api
  apimService: apim-main
  routePrefix: /invoices
  serviceUrl: https://invoices.internal.contoso.test
  openApiDefinitionUrl: https://invoices.internal.contoso.test/swagger/v1/swagger.json
  target:
    selector:
      matchLabels:
        app.kubernetes.io/name: invoice-service
  subscriptionRequired: true
  productIds:
    - partner-apis
  tagIds:
    - billing
---
apiVersion: apim.operator.io/v1
kind: APIMProduct
metadata:
  name: partner-apis
  namespace: apim-system
spec:
  productId: partner-apis
  displayName: Partner APIs
  description: APIs offered to partners
  published: true
  apimService: apim-main
---
apiVersion: apim.operator.io/v1
kind: APIMTag
metadata:
  name: billing-tag
  namespace: apim-system
spec:
  tagId: billing
  displayName: Billing
  apimService: apim-main
`;

const ORIGINAL_POLICIES = `apiVersion: apim.operator.io/v1
kind: APIMInboundPolicy
metadata:
  name: invoice-api-limits
  namespace: apim-system
spec:
  apimService: apim-main
  apiId: invoice-api
  policyContent: |
    <policies>
      <inbound>
        <base />
        <rate-limit calls="50" renewal-period="30" />
      </inbound>
      <backend>
        <base />
      </backend>
      <outbound>
        <base />
      </outbound>
      <on-error>
        <base />
      </on-error>
    </policies>
---
apiVersion: apim.operator.io/v1
kind: APIMInboundPolicy
metadata:
  name: submit-invoice-header
  namespace: apim-system
spec:
  apimService: apim-main
  apiId: invoice-api
  operationId: SubmitInvoice_EU
  policyContent: |
    <policies>
      <inbound>
        <base />
        <set-header name="X-Tenant" exists-action="override">
          <value>contoso</value>
        </set-header>
      </inbound>
      <backend>
        <base />
      </backend>
      <outbound>
        <base />
      </outbound>
      <on-error>
        <base />
      </on-error>
    </policies>
`;

/** The invoice service's OpenAPI document: the operation the operation-scope example names. */
const INVOICES_DOCUMENT = JSON.stringify({
  openapi: "3.0.1",
  info: { title: "Invoices", version: "1.0" },
  paths: {
    "/invoices": {
      get: {
        operationId: "ListInvoices",
        responses: { "200": { description: "OK" } },
      },
    },
    "/invoices/eu": {
      post: {
        operationId: "SubmitInvoice_EU",
        responses: { "202": { description: "Accepted" } },
      },
    },
  },
});

/** What the user's cluster has besides the documented manifests: the app's Ingress. */
const INGRESS = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "invoice-service", namespace: APP_NS },
  spec: {
    rules: [{
      host: "invoices.internal.contoso.test",
      http: {
        paths: [{
          path: "/",
          pathType: "Prefix",
          backend: {
            service: { name: "invoice-service", port: { number: 80 } },
          },
        }],
      },
    }],
  },
};

function reasonOf(object: GenericObject): string | undefined {
  return conditionOf(object, "Ready")?.reason;
}

function statusOf(object: GenericObject): Record<string, unknown> {
  return (object["status"] ?? {}) as Record<string, unknown>;
}

Deno.test("APIMInboundPolicy manifests in the original operator's format apply as they are: API and operation policies set, drift corrected, default restored on deletion", async () => {
  await using env = await E2eEnvironment.start();
  const kubeconfig = env.plane.kubeconfigPath;
  await env.apply([OPERATOR_NS, APP_NS].map((name) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  })));
  const instance = env.apim.addService({
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroup: "rg-contoso-apim",
    name: "apim-contoso-prod",
  });
  await using app = new DocumentServer(
    {
      kind: "document",
      body: INVOICES_DOCUMENT,
      contentType: "application/json",
    },
    await issueServerCertificate(env.tls, ["invoices.internal.contoso.test"]),
  );
  await using proxy = new ConnectProxy({
    "invoices.internal.contoso.test:443": app.port,
  });
  const cleanup = async () => {
    for (const manifests of [ORIGINAL_POLICIES, ORIGINAL_MANIFESTS]) {
      await kubectl([
        "delete",
        "--ignore-not-found",
        "--wait=true",
        "--timeout=60s",
        "-f",
        "-",
      ], { kubeconfig, stdin: manifests });
    }
    await kubectl([
      "delete",
      "deployment,ingress",
      "invoice-service",
      "-n",
      APP_NS,
      "--ignore-not-found",
    ], { kubeconfig });
  };
  try {
    const operator = env.operator({
      watchNamespaces: [APP_NS, OPERATOR_NS],
      operatorNamespace: OPERATOR_NS,
      extraArgs: ["--resync-period=2s"],
      extraEnv: { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1,localhost" },
    });
    for (const manifests of [ORIGINAL_MANIFESTS, ORIGINAL_POLICIES]) {
      const applied = await kubectl(["apply", "-f", "-"], {
        kubeconfig,
        stdin: manifests,
      });
      assert.equal(applied.code, 0, applied.stderr);
    }
    await env.apply([INGRESS]);

    // Before the workload is ready there is no API: the policies say so and wait.
    const waiting = await env.waitForObject(
      env.apis.apimInboundPolicies,
      OPERATOR_NS,
      "invoice-api-limits",
      (p) => reasonOf(p) === "WaitingForAPI",
      "the API-scope policy to wait for its API",
    );
    assert.match(
      conditionOf(waiting, "Ready")?.message ?? "",
      /API "invoice-api" does not exist in API Management yet/,
    );

    await deployReadyWorkload(env, APP_NS, "invoice-service", {
      "app.kubernetes.io/name": "invoice-service",
    });
    await env.waitForObject(
      env.apis.apimApis,
      APP_NS,
      "invoices-public",
      isReady,
      "APIMAPI invoices-public registered",
      90_000,
    );
    const apiPolicy = await env.waitForObject(
      env.apis.apimInboundPolicies,
      OPERATOR_NS,
      "invoice-api-limits",
      isReady,
      "the API-scope policy applied",
    );
    const opPolicy = await env.waitForObject(
      env.apis.apimInboundPolicies,
      OPERATOR_NS,
      "submit-invoice-header",
      isReady,
      "the operation-scope policy applied",
    );
    assert.equal(statusOf(apiPolicy)["phase"], "Created");
    assert.equal(
      statusOf(apiPolicy)["message"],
      "APIM Inbound Policy created or updated",
    );
    assert.equal(
      statusOf(opPolicy)["message"],
      "APIM Inbound Policy created or updated for operation SubmitInvoice_EU",
    );
    // The name API Management gives the operation: the operationId's case kept, every run of other
    // characters one "-" (test/sim/apim/operation_naming.ts).
    assert.equal(
      statusOf(opPolicy)["operationName"],
      "SubmitInvoice-EU",
    );
    assert.match(
      instance.currentRevision("invoice-api")?.policy ?? "",
      /<rate-limit calls="50" renewal-period="30" \/>/,
    );
    assert.match(
      instance.operationPolicy("invoice-api", "SubmitInvoice-EU") ?? "",
      /<set-header name="X-Tenant" exists-action="override">/,
    );
    assert.equal(
      instance.operationPolicy("invoice-api", "ListInvoices"),
      null,
      "the other operation keeps the default",
    );
    const listed = await kubectl(
      ["get", "apiminboundpolicies", "-n", OPERATOR_NS],
      { kubeconfig },
    );
    assert.match(
      listed.stdout,
      /submit-invoice-header\s+invoice-api\s+SubmitInvoice_EU\s+True\s+Applied/,
    );

    // Resyncs compare semantically: API Management's normalised XML is not a change.
    const policyReads = () =>
      env.apim.reads({ method: "GET", path: /\/policies\/policy$/ });
    env.apim.clearRequests();
    await waitFor(
      () => Promise.resolve(policyReads() >= 6 ? true : undefined),
      { description: "three resyncs of both policies", timeoutMs: 60_000 },
    );
    assert.equal(
      env.apim.writes({ path: /\/policies\/policy$/ }),
      0,
      "no policy write while nothing drifted",
    );

    // Edited in the portal: set back at the next resync.
    instance.setApiPolicy(
      "invoice-api",
      "<policies><inbound><base /></inbound></policies>",
    );
    await waitFor(
      () =>
        Promise.resolve(
          /rate-limit/.test(
              instance.currentRevision("invoice-api")?.policy ?? "",
            )
            ? true
            : undefined,
        ),
      { description: "the API policy to be restored", timeoutMs: 60_000 },
    );
    await env.waitForEvent(
      OPERATOR_NS,
      "invoice-api-limits",
      (e) => e.reason === "DriftCorrected",
      "a DriftCorrected event",
    );

    // Deleted (deletionPolicy unset = Delete): both scopes fall back to <base />.
    const deleted = await kubectl([
      "delete",
      "-f",
      "-",
      "--wait=true",
      "--timeout=60s",
    ], { kubeconfig, stdin: ORIGINAL_POLICIES });
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(instance.currentRevision("invoice-api")?.policy, null);
    assert.equal(
      instance.operationPolicy("invoice-api", "SubmitInvoice-EU"),
      null,
    );
    assert.ok(operator.logsMatching("Restored the default policy").length >= 2);
  } finally {
    await cleanup();
  }
});
