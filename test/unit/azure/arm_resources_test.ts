// Tests of the generic resource calls: 404 as absent, paged lists over nextLink, request validation.

import assert from "node:assert/strict";
import { z } from "zod";
import {
  InvalidArmRequestError,
  UntrustedUrlError,
} from "../../../src/azure/arm_error.ts";
import { armPath } from "../../../src/azure/arm_path.ts";
import {
  getResource,
  listResources,
  requestBody,
} from "../../../src/azure/arm_resources.ts";
import { createOrUpdateApi } from "../../../src/azure/apim_apis.ts";
import {
  apiCreateOrUpdatePropertiesSchema,
  productPropertiesSchema,
} from "../../../src/azure/apim_schemas.ts";
import { FAKE_ARM_ORIGIN, fakeArmClient, jsonResponse } from "./arm_fakes.ts";

const ORIGIN = FAKE_ARM_ORIGIN;
const LIST =
  armPath`/subscriptions/${"s"}/resourceGroups/${"rg"}/providers/Microsoft.ApiManagement/service/${"svc"}/apis`;
const item = z.object({ name: z.string() });

Deno.test("getResource() returns undefined on 404 and the ETag otherwise", async () => {
  const missing = fakeArmClient(() =>
    jsonResponse(404, {
      error: {
        code: "ResourceNotFound",
        message: "Api not found.",
        details: null,
      },
    })
  );
  assert.equal(await getResource(missing.client, LIST, item), undefined);
  const found = fakeArmClient(() =>
    jsonResponse(200, { name: "a" }, { etag: '"E1"' })
  );
  assert.deepEqual(await getResource(found.client, LIST, item), {
    entity: { name: "a" },
    etag: '"E1"',
  });
  const denied = fakeArmClient(() =>
    jsonResponse(403, { error: { code: "AuthorizationFailed", message: "no" } })
  );
  await assert.rejects(getResource(denied.client, LIST, item), /no/);
});

Deno.test("listResources() follows nextLink to the last page", async () => {
  const { client, fake } = fakeArmClient((request) => {
    const page = Number(request.url.searchParams.get("page") ?? "1");
    return jsonResponse(200, {
      value: [{ name: `a${page}` }],
      nextLink: page < 3
        ? `${ORIGIN}${request.url.pathname}?api-version=2024-05-01&page=${
          page + 1
        }`
        : "",
    });
  });
  const items = await listResources(client, LIST, item, { $top: 1 });
  assert.deepEqual(items.map((i) => i.name), ["a1", "a2", "a3"]);
  assert.equal(fake.requests[0]?.url.searchParams.get("$top"), "1");
  assert.equal(fake.requests.length, 3);
});

Deno.test("listResources() refuses a nextLink off the ARM origin", async () => {
  const { client, fake } = fakeArmClient(() =>
    jsonResponse(200, {
      value: [],
      nextLink: "https://evil.example.test/page2",
    })
  );
  await assert.rejects(listResources(client, LIST, item), UntrustedUrlError);
  assert.equal(fake.requests.length, 1);
});

Deno.test("requestBody() enforces APIM's limits before anything is sent", () => {
  assert.throws(
    () =>
      requestBody(productPropertiesSchema, { displayName: "x".repeat(301) }),
    /Invalid request field "displayName"/,
  );
  assert.throws(
    () =>
      requestBody(apiCreateOrUpdatePropertiesSchema, {
        path: "p",
        format: "openapi",
      }),
    InvalidArmRequestError,
  );
  assert.throws(
    () =>
      requestBody(apiCreateOrUpdatePropertiesSchema, { path: "p".repeat(401) }),
    /"path"/,
  );
  assert.deepEqual(requestBody(productPropertiesSchema, { displayName: "P" }), {
    properties: { displayName: "P" },
  });
});

Deno.test("createOrUpdateApi() sends nothing for an invalid body or id", async () => {
  const { client, fake } = fakeArmClient(() => jsonResponse(200, {}));
  const service = {
    subscriptionId: "s",
    resourceGroup: "rg",
    serviceName: "svc",
  };
  await assert.rejects(
    createOrUpdateApi(client, {
      api: { service, apiId: "a" },
      properties: { path: "p", serviceUrl: "u".repeat(2001) },
    }),
    InvalidArmRequestError,
  );
  await assert.rejects(
    createOrUpdateApi(client, {
      api: { service, apiId: "a?b" },
      properties: { path: "p" },
    }),
    InvalidArmRequestError,
  );
  assert.equal(fake.requests.length, 0);
});
