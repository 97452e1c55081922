// The original operator's objects (its fields, phases and records) decode with our schemas, and its record of an import is read right.
import assert from "node:assert/strict";
import { apimApiSchema } from "../../../src/crd/apim_api.ts";
import {
  type ApimApiDeployment,
  apimApiDeploymentSchema,
  apimApiNameOf,
  isOriginalRecord,
  originalImportDigest,
} from "../../../src/crd/apim_api_deployment.ts";
import { apimInboundPolicySchema } from "../../../src/crd/apim_inbound_policy.ts";
import {
  apimProductSchema,
  productIdOf,
} from "../../../src/crd/apim_product.ts";
import { apimServiceSchema } from "../../../src/crd/apim_service.ts";
import { apimTagSchema, tagIdOf } from "../../../src/crd/apim_tag.ts";
import {
  type OriginalApi,
  originalApiManifest,
  originalApimService,
  originalManifests,
  originalRecords,
} from "../../support/original_objects.ts";

const DOCUMENT = '{"openapi":"3.0.1","info":{"title":"Orders","version":"1"}}';
const DOCUMENT_DIGEST =
  "sha256:f6d68547abdb0c2feca26fa2f0d4fc297cab7ece19213f653acc5ed266d5516a";
const API: OriginalApi = {
  namespace: "shop",
  name: "orders",
  apiId: "orders",
  routePrefix: "/orders",
  serviceUrl: "https://orders.example.com",
  openApiDefinitionUrl: "https://orders.example.com/swagger/v1/swagger.json",
  apimService: "apim-contoso",
  productIds: ["partner-apis"],
  tagIds: ["backend"],
};
const records = originalRecords(API, {
  apiUid: "0b9e6c1e-4a3e-4e0b-9d55-4a5bd5f1d001",
  document: DOCUMENT,
  subscription: "11111111-2222-3333-4444-555555555555",
  resourceGroup: "rg-apim",
  replicaSet: "orders-5cfcbf45fb",
  gatewayHost: "apim-contoso.azure-api.net",
  portalHost: "apim-contoso.developer.azure-api.net",
});

function record(status: Record<string, unknown>): ApimApiDeployment {
  return apimApiDeploymentSchema.parse({ ...records.deployment, status });
}

Deno.test("the original's APIMAPIDeployment record decodes, in every phase it writes", () => {
  for (
    const phase of [
      "WaitingForMatch",
      "WaitingForReadyPod",
      "Importing",
      "Succeeded",
      "Error",
    ]
  ) {
    const decoded = record({
      ...records.deploymentStatus,
      phase,
      status: phase === "Error" ? "Error" : "Pending",
      lastError: "openapi fetch failed after 5 attempts: 503",
    });
    assert.equal(decoded.status?.phase, phase);
    assert.equal(apimApiNameOf(decoded), "orders");
    assert.equal(isOriginalRecord(decoded), true);
  }
});

Deno.test("a record without apimApiName names the APIMAPI by its own name", () => {
  const { apimApiName: _, ...spec } = (records.deployment["spec"] ??
    {}) as Record<string, unknown>;
  const decoded = apimApiDeploymentSchema.parse({
    ...records.deployment,
    spec,
  });
  assert.equal(apimApiNameOf(decoded), "orders");
});

Deno.test("the original's APIMAPI with its status, and its APIMService, product, tag and policy decode", () => {
  const api = apimApiSchema.parse({
    ...originalApiManifest(API),
    status: records.apiStatus,
  });
  assert.equal(api.status?.importedAt, "2026-04-02T11:15:42+02:00");
  assert.equal(api.status?.status, "OK");
  const service = originalApimService("apim-system", {
    name: "apim-contoso",
    subscription: "11111111-2222-3333-4444-555555555555",
    resourceGroup: "rg-apim",
  });
  const [product, tag, policy] = originalManifests(
    "apim-system",
    "apim-contoso",
    {
      product: { id: "partner-apis", displayName: "Partners", description: "" },
      tag: { id: "backend", displayName: "Backend" },
      policy: {
        name: "orders-limits",
        apiId: "orders",
        policyContent: "<policies />",
      },
    },
  );
  assert.equal(apimServiceSchema.parse(service).spec.name, "apim-contoso");
  assert.equal(
    productIdOf(
      apimProductSchema.parse({
        ...product,
        status: { phase: "Created", message: "Product created successfully" },
      }).spec,
    ),
    "partner-apis",
  );
  assert.equal(tagIdOf(apimTagSchema.parse(tag).spec), "backend");
  assert.equal(apimInboundPolicySchema.parse(policy).spec.apiId, "orders");
});

Deno.test("originalImportDigest() is the digest of the document a successful import sent", () => {
  assert.equal(
    originalImportDigest(record(records.deploymentStatus)),
    DOCUMENT_DIGEST,
  );
  // A registration of ours overwrote the phase; the hashes are the original's still.
  assert.equal(
    originalImportDigest(
      record({ ...records.deploymentStatus, phase: "Fetching" }),
    ),
    DOCUMENT_DIGEST,
  );
});

Deno.test("originalImportDigest() is nothing without a successful import of the last document", () => {
  const status = records.deploymentStatus;
  const { appliedHash: _a, ...neverApplied } = status;
  const { openApiHash: _o, ...noDocument } = status;
  const cases: Record<string, unknown>[] = [
    // The last attempt fetched a new document and failed to import it.
    { ...status, phase: "Error", appliedHash: "0".repeat(64) },
    neverApplied,
    noDocument,
    { ...status, openApiHash: "not-a-digest" },
    {},
  ];
  for (const s of cases) {
    assert.equal(originalImportDigest(record(s)), undefined, JSON.stringify(s));
  }
  assert.equal(
    originalImportDigest(apimApiDeploymentSchema.parse(records.deployment)),
    undefined,
  );
});
