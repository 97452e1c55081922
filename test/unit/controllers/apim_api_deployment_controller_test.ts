// Unit tests for when a failed APIMAPIDeployment stays failed until its spec or the retry annotation changes.
import assert from "node:assert/strict";
import { settledFailure } from "../../../src/controllers/apim_api_deployment_controller.ts";
import { RETRY_ANNOTATION } from "../../../src/controllers/registration_rules.ts";
import { type ApimApi, apimApiSchema } from "../../../src/crd/apim_api.ts";
import {
  type ApimApiDeployment,
  apimApiDeploymentSchema,
  type DeploymentPhase,
} from "../../../src/crd/apim_api_deployment.ts";

function deployment(
  generation: number,
  status: {
    phase?: DeploymentPhase;
    observedGeneration?: number;
    retryToken?: string;
  } | undefined,
): ApimApiDeployment {
  return apimApiDeploymentSchema.parse({
    apiVersion: "apim.operator.io/v1",
    kind: "APIMAPIDeployment",
    metadata: { name: "orders", namespace: "shop", generation },
    spec: {
      apimApiName: "orders",
      replicaSet: { name: "orders-7d9f", uid: "rs-uid", images: ["orders:1"] },
      apimApiGeneration: 2,
      openApiDefinitionUrl: "https://orders.example.com/swagger.json",
      serviceUrl: "https://orders.example.com",
    },
    ...(status === undefined ? {} : { status }),
  });
}

function api(retry?: string): ApimApi {
  return apimApiSchema.parse({
    apiVersion: "apim.operator.io/v1",
    kind: "APIMAPI",
    metadata: {
      name: "orders",
      namespace: "shop",
      generation: 2,
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": "{}",
        ...(retry === undefined ? {} : { [RETRY_ANNOTATION]: retry }),
      },
    },
    spec: {
      APIID: "orders",
      serviceUrl: "https://orders.example.com",
      routePrefix: "/orders",
      openApiDefinitionUrl: "/swagger.json",
      apimService: "apim",
    },
  });
}

Deno.test("settledFailure() is true for a failure of this generation without a retry annotation", () => {
  assert.equal(
    settledFailure(
      deployment(3, { phase: "Failed", observedGeneration: 3, retryToken: "" }),
      api(),
    ),
    true,
  );
});

Deno.test("settledFailure() is true when the failure recorded the current retry annotation", () => {
  assert.equal(
    settledFailure(
      deployment(3, {
        phase: "Failed",
        observedGeneration: 3,
        retryToken: "2026-01-01T10:00",
      }),
      api("2026-01-01T10:00"),
    ),
    true,
  );
});

Deno.test("settledFailure() treats a failure without a recorded token like an empty annotation", () => {
  assert.equal(
    settledFailure(
      deployment(3, { phase: "Failed", observedGeneration: 3 }),
      api(""),
    ),
    true,
  );
});

const unsettled: [string, ApimApiDeployment, ApimApi][] = [
  [
    "the retry annotation has a new value",
    deployment(3, {
      phase: "Failed",
      observedGeneration: 3,
      retryToken: "2026-01-01T10:00",
    }),
    api("2026-01-01T11:00"),
  ],
  [
    "the retry annotation was set after the failure",
    deployment(3, { phase: "Failed", observedGeneration: 3, retryToken: "" }),
    api("1"),
  ],
  [
    "the retry annotation was removed after the failure",
    deployment(3, { phase: "Failed", observedGeneration: 3, retryToken: "1" }),
    api(),
  ],
  [
    "the deployment's spec changed since the failure",
    deployment(4, { phase: "Failed", observedGeneration: 3, retryToken: "" }),
    api(),
  ],
  [
    "the failure recorded no generation",
    deployment(3, { phase: "Failed", retryToken: "" }),
    api(),
  ],
  ["the deployment has no status yet", deployment(1, undefined), api()],
];

for (const [what, d, a] of unsettled) {
  Deno.test(`settledFailure() is false when ${what}`, () => {
    assert.equal(settledFailure(d, a), false);
  });
}

for (
  const phase of [
    "Pending",
    "Fetching",
    "Importing",
    "Linking",
    "Succeeded",
  ] as const
) {
  Deno.test(`settledFailure() is false in phase ${phase}`, () => {
    assert.equal(
      settledFailure(
        deployment(3, { phase, observedGeneration: 3, retryToken: "" }),
        api(),
      ),
      false,
    );
  });
}
