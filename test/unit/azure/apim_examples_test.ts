// Replays the real APIM x-ms-examples: every response body parses, and our calls send the examples' requests.

import assert from "node:assert/strict";
import { z } from "zod";
import type { ArmClient } from "../../../src/azure/arm_client.ts";
import {
  createOrUpdateApi,
  createOrUpdateApiRelease,
  deleteApi,
  getApi,
  listApiRevisions,
  updateApi,
} from "../../../src/azure/apim_apis.ts";
import type { ApimServiceRef } from "../../../src/azure/apim_paths.ts";
import {
  createOrUpdatePolicy,
  deletePolicy,
  getPolicy,
} from "../../../src/azure/apim_policies.ts";
import {
  addApiToProduct,
  createOrUpdateProduct,
  deleteProduct,
  getProduct,
  listProductApis,
  removeApiFromProduct,
  updateProduct,
} from "../../../src/azure/apim_products.ts";
import {
  apiContractSchema,
  apimServiceSchema,
  apiReleaseContractSchema,
  apiRevisionSchema,
  policyContractSchema,
  productContractSchema,
  tagContractSchema,
} from "../../../src/azure/apim_schemas.ts";
import { getApimService } from "../../../src/azure/apim_service.ts";
import {
  assignTagToApi,
  createOrUpdateTag,
  deleteTag,
  getTag,
  removeTagFromApi,
} from "../../../src/azure/apim_tags.ts";
import { fakeArmClient, jsonResponse } from "./arm_fakes.ts";

/** Where the copied azure-rest-api-specs examples live (override with APIM_EXAMPLES_DIR). */
const EXAMPLES_DIR = Deno.env.get("APIM_EXAMPLES_DIR") ??
  new URL("../../fixtures/azure-apim-examples", import.meta.url).pathname;

const exampleSchema = z.object({
  parameters: z.looseObject({
    subscriptionId: z.string(),
    resourceGroupName: z.string(),
    serviceName: z.string(),
    "api-version": z.string(),
    "If-Match": z.string().optional(),
    parameters: z.unknown().optional(),
  }).catchall(z.unknown()),
  responses: z.record(
    z.string(),
    z.object({
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});
type Example = z.infer<typeof exampleSchema>;

function load(file: string): Example {
  return exampleSchema.parse(
    JSON.parse(Deno.readTextFileSync(`${EXAMPLES_DIR}/${file}`)),
  );
}

function param(example: Example, name: string): string {
  const value = example.parameters[name];
  if (typeof value !== "string") throw new Error(`no parameter ${name}`);
  return value;
}

function serviceOf(example: Example): ApimServiceRef {
  return {
    subscriptionId: example.parameters.subscriptionId,
    resourceGroup: example.parameters.resourceGroupName,
    serviceName: example.parameters.serviceName,
  };
}

function requestProperties(example: Example): Record<string, unknown> {
  return z.object({ properties: z.record(z.string(), z.unknown()) })
    .parse(example.parameters.parameters).properties;
}

const collection = <T extends z.ZodType>(item: T) =>
  z.object({ value: z.array(item), nextLink: z.string().nullish() });

// Every example file, with the schema its response bodies must satisfy (null: no bodies).
const RESPONSE_SCHEMAS: Record<string, z.ZodType | null> = {
  "2024-05-01/ApiManagementCreateApi.json": apiContractSchema,
  "2024-05-01/ApiManagementCreateApiNewVersionUsingExistingApi.json":
    apiContractSchema,
  "2024-05-01/ApiManagementCreateApiPolicy.json": policyContractSchema,
  "2024-05-01/ApiManagementCreateApiPolicyNonXmlEncoded.json":
    policyContractSchema,
  "2024-05-01/ApiManagementCreateApiRelease.json": apiReleaseContractSchema,
  "2024-05-01/ApiManagementCreateApiRevisionFromExistingApi.json":
    apiContractSchema,
  "2024-05-01/ApiManagementCreateApiTag.json": tagContractSchema,
  "2024-05-01/ApiManagementCreateApiUsingImportOverrideServiceUrl.json":
    apiContractSchema,
  "2024-05-01/ApiManagementCreateApiUsingOai3Import.json": apiContractSchema,
  "2024-05-01/ApiManagementCreateApiUsingOai3ImportWithTranslateRequiredQueryParametersConduct.json":
    apiContractSchema,
  "2024-05-01/ApiManagementCreateApiUsingSwaggerImport.json": apiContractSchema,
  "2024-05-01/ApiManagementCreateGraphQLApi.json": apiContractSchema,
  "2024-05-01/ApiManagementCreateProduct.json": productContractSchema,
  "2024-05-01/ApiManagementCreateProductApi.json": apiContractSchema,
  // apiLinks (2024-05-01 only) are not used: links go through the classic association, which
  // 2022-08-01 has too. Their bodies still are ARM resources.
  "2024-05-01/ApiManagementCreateProductApiLink.json": z.object({
    id: z.string(),
    type: z.literal("Microsoft.ApiManagement/service/products/apiLinks"),
    name: z.string(),
    properties: z.object({ apiId: z.string() }),
  }),
  "2024-05-01/ApiManagementCreateTag.json": tagContractSchema,
  "2024-05-01/ApiManagementCreateTagApiLink.json": z.object({
    id: z.string(),
    type: z.literal("Microsoft.ApiManagement/service/tags/apiLinks"),
    name: z.string(),
    properties: z.object({ apiId: z.string() }),
  }),
  "2024-05-01/ApiManagementDeleteApi.json": null,
  "2024-05-01/ApiManagementDeleteApiPolicy.json": null,
  "2024-05-01/ApiManagementDeleteApiTag.json": null,
  "2024-05-01/ApiManagementDeleteProduct.json": null,
  "2024-05-01/ApiManagementDeleteProductApi.json": null,
  "2024-05-01/ApiManagementDeleteTag.json": null,
  "2024-05-01/ApiManagementGetApiContract.json": apiContractSchema,
  "2024-05-01/ApiManagementGetApiPolicy.json": policyContractSchema,
  "2024-05-01/ApiManagementGetApiRevision.json": apiContractSchema,
  "2024-05-01/ApiManagementGetProduct.json": productContractSchema,
  "2024-05-01/ApiManagementGetTag.json": tagContractSchema,
  "2024-05-01/ApiManagementHeadApi.json": null,
  "2024-05-01/ApiManagementListApiReleases.json": collection(
    apiReleaseContractSchema,
  ),
  "2024-05-01/ApiManagementListApiRevisions.json": collection(
    apiRevisionSchema,
  ),
  "2024-05-01/ApiManagementListProductApis.json": collection(apiContractSchema),
  "2024-05-01/ApiManagementServiceGetService.json": apimServiceSchema,
  "2024-05-01/ApiManagementUpdateApi.json": apiContractSchema,
  "2024-05-01/ApiManagementUpdateProduct.json": productContractSchema,
  "2022-08-01/ApiManagementCreateApiPolicy.json": policyContractSchema,
  "2022-08-01/ApiManagementCreateApiRelease.json": apiReleaseContractSchema,
  "2022-08-01/ApiManagementCreateApiTag.json": tagContractSchema,
  "2022-08-01/ApiManagementCreateApiUsingOai3Import.json": apiContractSchema,
  "2022-08-01/ApiManagementCreateApiUsingSwaggerImport.json": apiContractSchema,
};

Deno.test("every example file is covered by the response table", () => {
  const files: string[] = [];
  for (const version of ["2024-05-01", "2022-08-01"]) {
    for (const entry of Deno.readDirSync(`${EXAMPLES_DIR}/${version}`)) {
      if (entry.name.endsWith(".json")) files.push(`${version}/${entry.name}`);
    }
  }
  assert.deepEqual(files.sort(), Object.keys(RESPONSE_SCHEMAS).sort());
});

for (const [file, schema] of Object.entries(RESPONSE_SCHEMAS)) {
  Deno.test(`every response body of ${file} parses`, () => {
    const example = load(file);
    for (const [status, response] of Object.entries(example.responses)) {
      if (schema === null || response.body === undefined) {
        assert.ok(schema === null || status === "202", `${status} has no body`);
        continue;
      }
      const parsed = schema.safeParse(response.body);
      assert.ok(parsed.success, `${status}: ${parsed.error?.message}`);
    }
  });
}

// ---- Replays: our call must send the example's request and read its answer ----------------

interface Replay {
  file: string;
  status: string;
  method: string;
  /** The body we send when it differs from the example's (a `*-link` format we never use). */
  body?: unknown;
  call: (client: ArmClient, example: Example) => Promise<unknown>;
  check?: (result: unknown, example: Example) => void;
}

const replays: Replay[] = [
  {
    file: "2024-05-01/ApiManagementCreateApiRevisionFromExistingApi.json",
    status: "201",
    method: "PUT",
    call: (client, ex) =>
      createOrUpdateApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        properties: {
          path: "echo",
          serviceUrl: "http://echoapi.cloudapp.net/apiv3",
          sourceApiId:
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1/apis/echo-api",
          apiRevisionDescription: "Creating a Revision of an existing API",
        },
      }),
    check: (result, ex) =>
      assert.deepEqual(
        result,
        {
          state: "pending",
          operation: {
            kind: "create-or-update",
            url: ex.responses["201"]?.headers?.["Azure-AsyncOperation"],
            pollKind: "async-operation",
            startedAt: new Date(Date.UTC(2025, 0, 1)).toISOString(),
            resourcePath:
              "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1/apis/echo-api;rev=3",
            desiredHash: undefined,
          },
          retryAfterMs: 1000, // no Retry-After from APIM: polled after pollDelayMs(0)
        },
      ),
  },
  {
    file: "2022-08-01/ApiManagementCreateApiUsingOai3Import.json",
    status: "202",
    method: "PUT",
    body: {
      properties: {
        format: "openapi",
        value: "openapi: 3.0.0",
        path: "petstore",
      },
    },
    call: (client, ex) =>
      createOrUpdateApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        properties: {
          format: "openapi",
          value: "openapi: 3.0.0",
          path: "petstore",
        },
        desiredHash: "h1",
      }),
    check: (result) => {
      const pending = z.object({
        state: z.literal("pending"),
        operation: z.object({
          kind: z.literal("import"),
          pollKind: z.literal("location"),
          desiredHash: z.literal("h1"),
        }),
      });
      assert.ok(pending.safeParse(result).success, JSON.stringify(result));
    },
  },
  {
    file: "2022-08-01/ApiManagementCreateApiUsingOai3Import.json",
    status: "201",
    method: "PUT",
    body: {
      properties: { format: "openapi+json", value: "{}", path: "petstore" },
    },
    call: (client, ex) =>
      createOrUpdateApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        properties: { format: "openapi+json", value: "{}", path: "petstore" },
      }),
    check: (result) => {
      const finished = z.object({
        state: z.literal("finished"),
        api: z.object({ entity: z.object({ name: z.literal("petstoreapi") }) }),
      });
      assert.ok(finished.safeParse(result).success, JSON.stringify(result));
    },
  },
  {
    file: "2024-05-01/ApiManagementUpdateApi.json",
    status: "200",
    method: "PATCH",
    call: (client, ex) =>
      updateApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        properties: {
          displayName: "Echo API New",
          serviceUrl: "http://echoapi.cloudapp.net/api2",
          path: "newecho",
        },
        ifMatch: "*",
      }),
  },
  {
    file: "2024-05-01/ApiManagementDeleteApi.json",
    status: "202",
    method: "DELETE",
    call: (client, ex) =>
      deleteApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        ifMatch: "*",
      }),
    check: (result) =>
      assert.equal(
        z.object({ state: z.string() }).parse(result).state,
        "pending",
      ),
  },
  {
    file: "2024-05-01/ApiManagementDeleteApi.json",
    status: "204",
    method: "DELETE",
    call: (client, ex) =>
      deleteApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        ifMatch: "*",
      }),
    check: (result) =>
      assert.equal(
        z.object({ state: z.string() }).parse(result).state,
        "finished",
      ),
  },
  {
    file: "2024-05-01/ApiManagementGetApiRevision.json",
    status: "200",
    method: "GET",
    call: (client, ex) =>
      getApi(client, { service: serviceOf(ex), apiId: param(ex, "apiId") }),
    check: (result) =>
      assert.equal(
        z.object({ entity: z.object({ name: z.string() }) }).parse(result)
          .entity.name,
        "echo-api;rev=3",
      ),
  },
  {
    file: "2024-05-01/ApiManagementGetApiContract.json",
    status: "200",
    method: "GET",
    call: (client, ex) =>
      getApi(client, { service: serviceOf(ex), apiId: param(ex, "apiId") }),
  },
  {
    file: "2024-05-01/ApiManagementListApiRevisions.json",
    status: "200",
    method: "GET",
    call: (client, ex) =>
      listApiRevisions(client, {
        service: serviceOf(ex),
        apiId: param(ex, "apiId"),
      }),
    check: (result) =>
      assert.equal(z.array(z.unknown()).parse(result).length, 1),
  },
  ...["2024-05-01", "2022-08-01"].map((version): Replay => ({
    file: `${version}/ApiManagementCreateApiRelease.json`,
    status: "201",
    method: "PUT",
    call: (client, ex) =>
      createOrUpdateApiRelease(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        releaseId: param(ex, "releaseId"),
        properties: {
          apiId: String(requestProperties(ex).apiId),
          notes: "yahooagain",
        },
      }),
  })),
  ...[
    "2024-05-01/ApiManagementCreateApiPolicy.json",
    "2024-05-01/ApiManagementCreateApiPolicyNonXmlEncoded.json",
    "2022-08-01/ApiManagementCreateApiPolicy.json",
  ].map((file): Replay => ({
    file,
    status: "201",
    method: "PUT",
    call: (client, ex) => {
      const { value, format } = z.object({
        value: z.string(),
        format: z.enum(["xml", "rawxml"]),
      }).parse(requestProperties(ex));
      return createOrUpdatePolicy(client, {
        scope: { api: { service: serviceOf(ex), apiId: param(ex, "apiId") } },
        properties: { format, value },
        ifMatch: "*",
      });
    },
  })),
  {
    file: "2024-05-01/ApiManagementGetApiPolicy.json",
    status: "200",
    method: "GET",
    call: (client, ex) =>
      getPolicy(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
      }),
  },
  {
    file: "2024-05-01/ApiManagementDeleteApiPolicy.json",
    status: "200",
    method: "DELETE",
    call: (client, ex) =>
      deletePolicy(client, {
        scope: { api: { service: serviceOf(ex), apiId: param(ex, "apiId") } },
        ifMatch: "*",
      }),
  },
  ...["2024-05-01", "2022-08-01"].map((version): Replay => ({
    file: `${version}/ApiManagementCreateApiTag.json`,
    status: "201",
    method: "PUT",
    call: (client, ex) =>
      assignTagToApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        tagId: param(ex, "tagId"),
      }),
  })),
  {
    file: "2024-05-01/ApiManagementDeleteApiTag.json",
    status: "204",
    method: "DELETE",
    call: (client, ex) =>
      removeTagFromApi(client, {
        api: { service: serviceOf(ex), apiId: param(ex, "apiId") },
        tagId: param(ex, "tagId"),
      }),
  },
  {
    file: "2024-05-01/ApiManagementCreateTag.json",
    status: "201",
    method: "PUT",
    call: (client, ex) =>
      createOrUpdateTag(client, {
        tag: { service: serviceOf(ex), tagId: param(ex, "tagId") },
        properties: { displayName: "tag1" },
      }),
  },
  {
    file: "2024-05-01/ApiManagementGetTag.json",
    status: "200",
    method: "GET",
    call: (client, ex) =>
      getTag(client, { service: serviceOf(ex), tagId: param(ex, "tagId") }),
  },
  {
    file: "2024-05-01/ApiManagementDeleteTag.json",
    status: "204",
    method: "DELETE",
    call: (client, ex) =>
      deleteTag(client, {
        tag: { service: serviceOf(ex), tagId: param(ex, "tagId") },
        ifMatch: "*",
      }),
  },
  {
    file: "2024-05-01/ApiManagementCreateProduct.json",
    status: "201",
    method: "PUT",
    call: (client, ex) =>
      createOrUpdateProduct(client, {
        product: { service: serviceOf(ex), productId: param(ex, "productId") },
        properties: { displayName: "Test Template ProductName 4" },
      }),
  },
  {
    file: "2024-05-01/ApiManagementGetProduct.json",
    status: "200",
    method: "GET",
    call: (client, ex) =>
      getProduct(client, {
        service: serviceOf(ex),
        productId: param(ex, "productId"),
      }),
  },
  {
    file: "2024-05-01/ApiManagementUpdateProduct.json",
    status: "200",
    method: "PATCH",
    call: (client, ex) =>
      updateProduct(client, {
        product: { service: serviceOf(ex), productId: param(ex, "productId") },
        properties: { displayName: "Test Template ProductName 4" },
        ifMatch: "*",
      }),
  },
  {
    file: "2024-05-01/ApiManagementDeleteProduct.json",
    status: "200",
    method: "DELETE",
    call: (client, ex) =>
      deleteProduct(client, {
        product: { service: serviceOf(ex), productId: param(ex, "productId") },
        ifMatch: "*",
        deleteSubscriptions: true,
      }),
  },
  {
    file: "2024-05-01/ApiManagementCreateProductApi.json",
    status: "201",
    method: "PUT",
    call: (client, ex) =>
      addApiToProduct(client, {
        product: { service: serviceOf(ex), productId: param(ex, "productId") },
        apiId: param(ex, "apiId"),
      }),
  },
  {
    file: "2024-05-01/ApiManagementDeleteProductApi.json",
    status: "204",
    method: "DELETE",
    call: (client, ex) =>
      removeApiFromProduct(client, {
        product: { service: serviceOf(ex), productId: param(ex, "productId") },
        apiId: param(ex, "apiId"),
      }),
  },
  {
    file: "2024-05-01/ApiManagementListProductApis.json",
    status: "200",
    method: "GET",
    call: (client, ex) =>
      listProductApis(client, {
        service: serviceOf(ex),
        productId: param(ex, "productId"),
      }),
    check: (result) =>
      assert.equal(z.array(z.unknown()).parse(result).length, 1),
  },
  {
    file: "2024-05-01/ApiManagementServiceGetService.json",
    status: "200",
    method: "GET",
    call: (client, ex) => getApimService(client, serviceOf(ex)),
    check: (result) =>
      assert.equal(
        apimServiceSchema.parse(result).properties.gatewayUrl,
        "https://ogf-z3-06162021-premium.azure-api.net",
      ),
  },
];

// Path parameters of an example, in the order they appear in the URL.
const PATH_PARAMETERS = [
  "apiId",
  "releaseId",
  "policyId",
  "productId",
  "tagId",
];

for (const replay of replays) {
  Deno.test(`${replay.method} replays ${replay.file} (${replay.status})`, async () => {
    const example = load(replay.file);
    const answer = example.responses[replay.status];
    assert.ok(answer, `no ${replay.status} response`);
    const { client, fake } = fakeArmClient(
      () =>
        answer.body === undefined
          ? new Response(null, {
            status: Number(replay.status),
            headers: answer.headers ?? {},
          })
          : jsonResponse(Number(replay.status), answer.body, answer.headers),
      {
        baseUrl: "https://management.azure.com",
        apiVersion: example.parameters["api-version"],
      },
    );
    const result = await replay.call(client, example);
    assert.equal(fake.requests.length, 1);
    const [sent] = fake.requests;
    assert.ok(sent);
    assert.equal(sent.method, replay.method);
    assert.equal(sent.url.origin, "https://management.azure.com");
    assert.equal(
      sent.url.searchParams.get("api-version"),
      example.parameters["api-version"],
    );
    const segments = sent.url.pathname.split("/").map(decodeURIComponent);
    assert.deepEqual(segments.slice(0, 9), [
      "",
      "subscriptions",
      example.parameters.subscriptionId,
      "resourceGroups",
      example.parameters.resourceGroupName,
      "providers",
      "Microsoft.ApiManagement",
      "service",
      example.parameters.serviceName,
    ]);
    for (const name of PATH_PARAMETERS) {
      const value = example.parameters[name];
      if (typeof value === "string") {
        assert.ok(
          segments.includes(value),
          `${name} ${value} in ${sent.url.pathname}`,
        );
      }
    }
    assert.equal(
      sent.headers.get("if-match") ?? undefined,
      example.parameters["If-Match"],
    );
    if (example.parameters.deleteSubscriptions !== undefined) {
      assert.equal(
        sent.url.searchParams.get("deleteSubscriptions"),
        String(example.parameters.deleteSubscriptions),
      );
    }
    assert.deepEqual(sent.body, replay.body ?? example.parameters.parameters);
    replay.check?.(result, example);
  });
}
