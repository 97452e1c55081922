// Tests of ARM path building: percent-encoding, `;rev=` kept, ids that can never change the target.

import assert from "node:assert/strict";
import { InvalidArmRequestError } from "../../../src/azure/arm_error.ts";
import {
  armPath,
  encodeSegment,
  topLevelResourceId,
} from "../../../src/azure/arm_path.ts";
import {
  type ApimServiceRef,
  apiPath,
  apiPolicyPath,
  apiReleasePath,
  apiResourceId,
  apiTagPath,
  policyPath,
  productApiPath,
  serviceResourceId,
  validateApimId,
  versionSetPath,
  versionSetResourceId,
} from "../../../src/azure/apim_paths.ts";

const service: ApimServiceRef = {
  subscriptionId: "00000000-0000-0000-0000-000000000000",
  resourceGroup: "rg1",
  serviceName: "apimService1",
};
const servicePrefix =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1";

Deno.test("apiPath() keeps the literal ;rev= of a revision id", () => {
  assert.equal(
    String(apiPath({ service, apiId: "echo-api;rev=3" })),
    `${servicePrefix}/apis/echo-api;rev=3`,
  );
  assert.equal(
    String(apiPolicyPath({ service, apiId: "echo-api;rev=12" })),
    `${servicePrefix}/apis/echo-api;rev=12/policies/policy`,
  );
});

Deno.test("operation policies and version sets have their own paths; ids are encoded", () => {
  assert.equal(
    String(policyPath({
      api: { service, apiId: "payment-api" },
      operationId: "UploadPayment_FI Nordea",
    })),
    `${servicePrefix}/apis/payment-api/operations/UploadPayment_FI%20Nordea/policies/policy`,
  );
  assert.equal(
    String(versionSetPath({ service, versionSetId: "orders" })),
    `${servicePrefix}/apiVersionSets/orders`,
  );
  assert.equal(
    versionSetResourceId({ service, versionSetId: "orders" }),
    `${servicePrefix}/apiVersionSets/orders`,
  );
  assert.throws(
    () => versionSetPath({ service, versionSetId: "a?b" }),
    InvalidArmRequestError,
  );
});

Deno.test("encodeSegment() escapes ; and = that are not a revision suffix", () => {
  assert.equal(encodeSegment("a;b=c"), "a%3Bb%3Dc");
  assert.equal(encodeSegment("a;rev=x"), "a%3Brev%3Dx");
  assert.equal(encodeSegment("a b/c;rev=2"), "a%20b%2Fc;rev=2");
});

Deno.test("ids with / ? # % .. never change the request target", () => {
  const base = new URL("https://management.azure.com");
  const hostile = [
    "../../other",
    "a/../../b",
    "x?api-version=1",
    "x#frag",
    "%2e%2e",
    "a%2Fb",
    "\\..\\x",
  ];
  for (const id of hostile) {
    const path = String(productApiPath({ service, productId: id }, "api"));
    const url = new URL(path, base);
    assert.equal(url.search, "", id);
    assert.equal(url.hash, "", id);
    const segments = url.pathname.split("/");
    assert.equal(segments.length, 13, id);
    assert.equal(decodeURIComponent(segments[10] ?? ""), id, id);
    assert.ok(url.pathname.startsWith(`${servicePrefix}/products/`), id);
  }
});

Deno.test("encodeSegment() refuses empty, . and .. segments", () => {
  for (const value of ["", ".", "..", "..;rev=1"]) {
    assert.throws(() => encodeSegment(value), InvalidArmRequestError);
  }
  assert.throws(
    () => productApiPath({ service, productId: ".." }, "api"),
    InvalidArmRequestError,
  );
});

Deno.test("armPath refuses an id that does not fill a whole segment", () => {
  assert.throws(() => armPath`/apis/x${"y"}`, TypeError);
  assert.throws(() => armPath`/apis/${"y"}z`, TypeError);
  assert.equal(String(armPath`/apis/${"a b"}/tags`), "/apis/a%20b/tags");
});

Deno.test("validateApimId() applies APIM's lengths and patterns", () => {
  const invalid: Array<[Parameters<typeof validateApimId>[0], string]> = [
    ["serviceName", "1abc"],
    ["serviceName", "abc-"],
    ["serviceName", "a".repeat(51)],
    ["apiId", "a*b"],
    ["apiId", "a#b"],
    ["apiId", "a?b"],
    ["apiId", "a:b"],
    ["apiId", "a".repeat(257)],
    ["apiIdWithoutRevision", "a".repeat(81)],
    ["tagId", "t&x"],
    ["releaseId", "r+1"],
    ["productId", ""],
    ["subscriptionId", "a/b"],
    ["subscriptionId", "a b"],
    ["resourceGroup", "rg."],
    ["subscriptionId", "sub/1"],
  ];
  for (const [kind, value] of invalid) {
    assert.throws(
      () => validateApimId(kind, value),
      InvalidArmRequestError,
      `${kind} ${value}`,
    );
  }
  assert.equal(validateApimId("apiId", "echo-api;rev=3"), "echo-api;rev=3");
  assert.equal(validateApimId("productId", "a/b"), "a/b");
  assert.equal(validateApimId("resourceGroup", "my_rg-(1).x"), "my_rg-(1).x");
  // The seed README's samples use a placeholder subscription; it stays addressable.
  assert.equal(
    validateApimId("subscriptionId", "<your-azure-subscription-id>"),
    "<your-azure-subscription-id>",
  );
});

Deno.test("path builders validate every id before building", () => {
  assert.throws(
    () =>
      apiPath({ service: { ...service, serviceName: "bad name" }, apiId: "a" }),
    /Invalid APIM service name "bad name"/,
  );
  assert.throws(
    () => apiTagPath({ service, apiId: "a" }, "t?x"),
    /Invalid tag id "t\?x"/,
  );
  assert.throws(
    () => apiReleasePath({ service, apiId: "a" }, "r#1"),
    /Invalid release id/,
  );
});

Deno.test("resource ids are the unencoded ARM ids APIM bodies carry", () => {
  assert.equal(serviceResourceId(service), servicePrefix);
  assert.equal(
    apiResourceId({ service, apiId: "echo-api;rev=3" }),
    `${servicePrefix}/apis/echo-api;rev=3`,
  );
});

Deno.test("topLevelResourceId() names the APIM instance of any child path", () => {
  const id = servicePrefix.toLowerCase();
  assert.equal(
    topLevelResourceId(String(apiTagPath({ service, apiId: "a;rev=2" }, "t"))),
    id,
  );
  assert.equal(topLevelResourceId(servicePrefix), id);
  assert.equal(
    topLevelResourceId("/subscriptions/s/resourceGroups/rg"),
    undefined,
  );
});
