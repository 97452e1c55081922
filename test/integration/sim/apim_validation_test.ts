// §C8: 400 ValidationError bodies with details (path clash, lengths, format, products, policy XML, ids, api-version).

import assert from "node:assert/strict";
import {
  armError,
  putApi,
  SERVICE_PATH,
  startSimulators,
} from "./sim_fixture.ts";

Deno.test("a path used by another API is rejected unless both are in the same version set", async () => {
  await using sim = await startSimulators();
  assert.equal((await putApi(sim, "a", { path: "shared" })).status, 201);
  const clash = await putApi(sim, "b", { path: "shared" });
  assert.equal(clash.status, 400);
  // APIM's wording, two spaces before "unless" (terraform-provider-azurerm#12720).
  assert.deepEqual(armError(clash.body), {
    code: "ValidationError",
    message: "One or more fields contain incorrect values:",
    details: [{
      code: "ValidationError",
      target: "path",
      message:
        "Cannot create API 'b' with the same Path 'shared' as API 'a'  unless it's a part of the same version set",
    }],
  });
  const versionSet = `${SERVICE_PATH}/apiVersionSets/vs1`;
  await sim.arm("PUT", "/apiVersionSets/vs1", {
    body: { properties: { displayName: "vs1", versioningScheme: "Segment" } },
  });
  await sim.arm("PATCH", "/apis/a", {
    headers: { "if-match": "*" },
    body: { properties: { apiVersionSetId: versionSet } },
  });
  const sameSet = await putApi(sim, "c", {
    path: "shared",
    apiVersion: "v2",
    apiVersionSetId: versionSet,
  });
  assert.equal(sameSet.status, 201);
});

Deno.test("field lengths, unknown formats and product rules answer 400 with the field as target", async () => {
  await using sim = await startSimulators();
  const cases: [string, string, unknown, string][] = [
    ["PUT", "/apis/x", {
      properties: { path: "x", displayName: "d".repeat(301) },
    }, "displayName"],
    ["PUT", "/apis/x", {
      properties: { path: "p".repeat(401), displayName: "x" },
    }, "path"],
    ["PUT", "/apis/x", {
      properties: {
        path: "x",
        displayName: "x",
        serviceUrl: `https://${"s".repeat(2000)}`,
      },
    }, "serviceUrl"],
    ["PUT", "/apis/x", {
      properties: { path: "x", format: "openapi-yaml-3", value: "{}" },
    }, "format"],
    ["PUT", "/apis/x", {
      properties: { path: "x", format: "wsdl", value: "<definitions/>" },
    }, "format"],
    ["PUT", "/products/p", { properties: { displayName: "" } }, "displayName"],
    ["PUT", "/products/p", {
      properties: { displayName: "P", description: "d".repeat(1001) },
    }, "description"],
    [
      "PUT",
      "/products/p",
      {
        properties: {
          displayName: "P",
          subscriptionRequired: false,
          approvalRequired: true,
        },
      },
      "approvalRequired",
    ],
    [
      "PUT",
      "/apis/a:b",
      { properties: { path: "ab", displayName: "ab" } },
      "apiId",
    ],
    ["PUT", "/tags/a*b", { properties: { displayName: "t" } }, "tagId"],
  ];
  for (const [method, path, body, target] of cases) {
    const res = await sim.arm(method, path, { body });
    assert.equal(res.status, 400, `${method} ${path} -> ${target}`);
    const error = armError(res.body);
    assert.equal(error.code, "ValidationError");
    assert.equal(error.details?.[0]?.target, target, JSON.stringify(error));
  }
  assert.equal(sim.service.apis().length, 0);
  assert.equal(sim.service.products().length, 0);
});

Deno.test("malformed policy XML is rejected with the offending element as target", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo", {});
  const res = await sim.arm("PUT", "/apis/echo/policies/policy", {
    body: {
      properties: {
        format: "xml",
        value: "<policies><inbound><base /></policies>",
      },
    },
  });
  assert.equal(res.status, 400);
  const detail = armError(res.body).details?.[0];
  assert.equal(detail?.target, "inbound");
  assert.match(
    detail?.message ?? "",
    /^Error in element 'inbound' on line 1, column \d+: /,
  );
  const unknown = await sim.arm("PUT", "/apis/echo/policies/policy", {
    body: { properties: { value: "<policies><validate-jwt /></policies>" } },
  });
  assert.equal(armError(unknown.body).details?.[0]?.target, "validate-jwt");
});

Deno.test("a missing or unsupported api-version is an ARM-level 400", async () => {
  await using sim = await startSimulators();
  const missing = await sim.arm("GET", "/apis", { apiVersion: null });
  assert.equal(missing.status, 400);
  assert.equal(armError(missing.body).code, "MissingApiVersionParameter");
  const unsupported = await sim.arm("GET", "/apis", {
    apiVersion: "2021-08-01",
  });
  assert.equal(unsupported.status, 400);
  assert.equal(armError(unsupported.body).code, "InvalidApiVersionParameter");
  assert.match(armError(unsupported.body).message, /'2021-08-01' is invalid/);
});
