// End to end: the original operator's documented manifests (docs/custom-resources.md at 6b0c370), applied unchanged,
// register payment-api and set its API and operation policies; drift is corrected, deletion restores the default.
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

const OPERATOR_NS = "azure-apim-operator-system";
const APP_NS = "integrations";

// The manifests exactly as the original operator documents them (APIMService, APIMProduct, APIMTag,
// APIMAPI, and the two APIMInboundPolicy examples), apart from the document separators.
const ORIGINAL_MANIFESTS = `apiVersion: apim.operator.io/v1
kind: APIMService
metadata:
  name: my-apim
  namespace: azure-apim-operator-system
spec:
  name: my-apim-instance
  resourceGroup: rg-apim-prod
  subscription: 00000000-0000-0000-0000-000000000000
---
apiVersion: apim.operator.io/v1
kind: APIMAPI
metadata:
  name: payment-public
  namespace: integrations
spec:
  APIID: payment-api
  apimService: my-apim
  routePrefix: /payments
  serviceUrl: https://payments.internal.example.com
  openApiDefinitionUrl: https://payments.internal.example.com/swagger/v1/swagger.json
  target:
    selector:
      matchLabels:
        app.kubernetes.io/name: payment-service
  subscriptionRequired: true
  productIds:
    - integrations-product
  tagIds:
    - payments
---
apiVersion: apim.operator.io/v1
kind: APIMProduct
metadata:
  name: integrations-product
  namespace: azure-apim-operator-system
spec:
  productId: integrations-product
  displayName: Integrations
  description: All integration APIs
  published: true
  apimService: my-apim
---
apiVersion: apim.operator.io/v1
kind: APIMTag
metadata:
  name: payments-tag
  namespace: azure-apim-operator-system
spec:
  tagId: payments
  displayName: Payments
  apimService: my-apim
`;

const ORIGINAL_POLICIES = `apiVersion: apim.operator.io/v1
kind: APIMInboundPolicy
metadata:
  name: payment-api-policy
  namespace: azure-apim-operator-system
spec:
  apimService: my-apim
  apiId: payment-api
  policyContent: |
    <policies>
      <inbound>
        <base />
        <rate-limit calls="100" renewal-period="60" />
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
  name: upload-payment-policy
  namespace: azure-apim-operator-system
spec:
  apimService: my-apim
  apiId: payment-api
  operationId: UploadPayment_FI_Nordea
  policyContent: |
    <policies>
      <inbound>
        <base />
        <set-header name="X-Custom-Header" exists-action="override">
          <value>custom-value</value>
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

/** The payment service's OpenAPI document: the operation the operation-scope example names. */
const PAYMENTS_DOCUMENT = JSON.stringify({
  openapi: "3.0.1",
  info: { title: "Payments", version: "1.0" },
  paths: {
    "/payments": {
      get: {
        operationId: "ListPayments",
        responses: { "200": { description: "OK" } },
      },
    },
    "/payments/nordea/fi": {
      post: {
        operationId: "UploadPayment_FI_Nordea",
        responses: { "202": { description: "Accepted" } },
      },
    },
  },
});

/** What the user's cluster has besides the documented manifests: the app's Ingress. */
const INGRESS = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "payment-service", namespace: APP_NS },
  spec: {
    rules: [{
      host: "payments.internal.example.com",
      http: {
        paths: [{
          path: "/",
          pathType: "Prefix",
          backend: {
            service: { name: "payment-service", port: { number: 80 } },
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

Deno.test("the original operator's APIMInboundPolicy examples apply unchanged: API and operation policies set, drift corrected, default restored on deletion", async () => {
  await using env = await E2eEnvironment.start();
  const kubeconfig = env.plane.kubeconfigPath;
  await env.apply([OPERATOR_NS, APP_NS].map((name) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
  })));
  const instance = env.apim.addService({
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroup: "rg-apim-prod",
    name: "my-apim-instance",
  });
  await using app = new DocumentServer(
    {
      kind: "document",
      body: PAYMENTS_DOCUMENT,
      contentType: "application/json",
    },
    await issueServerCertificate(env.tls, ["payments.internal.example.com"]),
  );
  await using proxy = new ConnectProxy({
    "payments.internal.example.com:443": app.port,
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
      "payment-service",
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
      "payment-api-policy",
      (p) => reasonOf(p) === "WaitingForAPI",
      "the API-scope policy to wait for its API",
    );
    assert.match(
      conditionOf(waiting, "Ready")?.message ?? "",
      /API "payment-api" does not exist in API Management yet/,
    );

    await deployReadyWorkload(env, APP_NS, "payment-service", {
      "app.kubernetes.io/name": "payment-service",
    });
    await env.waitForObject(
      env.apis.apimApis,
      APP_NS,
      "payment-public",
      isReady,
      "APIMAPI payment-public registered",
      90_000,
    );
    const apiPolicy = await env.waitForObject(
      env.apis.apimInboundPolicies,
      OPERATOR_NS,
      "payment-api-policy",
      isReady,
      "the API-scope policy applied",
    );
    const opPolicy = await env.waitForObject(
      env.apis.apimInboundPolicies,
      OPERATOR_NS,
      "upload-payment-policy",
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
      "APIM Inbound Policy created or updated for operation UploadPayment_FI_Nordea",
    );
    // The name API Management gives the operation: the operationId's case kept, every run of other
    // characters one "-" (test/sim/apim/operation_naming.ts).
    assert.equal(
      statusOf(opPolicy)["operationName"],
      "UploadPayment-FI-Nordea",
    );
    assert.match(
      instance.currentRevision("payment-api")?.policy ?? "",
      /<rate-limit calls="100" renewal-period="60" \/>/,
    );
    assert.match(
      instance.operationPolicy("payment-api", "UploadPayment-FI-Nordea") ?? "",
      /<set-header name="X-Custom-Header" exists-action="override">/,
    );
    assert.equal(
      instance.operationPolicy("payment-api", "ListPayments"),
      null,
      "the other operation keeps the default",
    );
    const listed = await kubectl(
      ["get", "apiminboundpolicies", "-n", OPERATOR_NS],
      { kubeconfig },
    );
    assert.match(
      listed.stdout,
      /upload-payment-policy\s+payment-api\s+UploadPayment_FI_Nordea\s+True\s+Applied/,
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
      "payment-api",
      "<policies><inbound><base /></inbound></policies>",
    );
    await waitFor(
      () =>
        Promise.resolve(
          /rate-limit/.test(
              instance.currentRevision("payment-api")?.policy ?? "",
            )
            ? true
            : undefined,
        ),
      { description: "the API policy to be restored", timeoutMs: 60_000 },
    );
    await env.waitForEvent(
      OPERATOR_NS,
      "payment-api-policy",
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
    assert.equal(instance.currentRevision("payment-api")?.policy, null);
    assert.equal(
      instance.operationPolicy("payment-api", "UploadPayment-FI-Nordea"),
      null,
    );
    assert.ok(operator.logsMatching("Restored the default policy").length >= 2);
  } finally {
    await cleanup();
  }
});
