// The ARM client, the long-running-operation poller and the error classification on recorded APIM answers.
//
// A ReplayServer answers from test/fixtures/azure-recordings; each test drives the typed calls the
// operator uses over the recorded exchange and checks the result they reach.

import assert from "node:assert/strict";
import {
  createOrUpdateApi,
  deleteApi,
  getApi,
} from "../../../src/azure/apim_apis.ts";
import {
  type ApimServiceRef,
  apiPath,
  servicePath,
} from "../../../src/azure/apim_paths.ts";
import { addApiToProduct } from "../../../src/azure/apim_products.ts";
import { apiContractSchema } from "../../../src/azure/apim_schemas.ts";
import type { ArmClientOptions } from "../../../src/azure/arm_client.ts";
import { ArmError } from "../../../src/azure/arm_error.ts";
import { tightestRemaining } from "../../../src/azure/arm_headers.ts";
import { armPath } from "../../../src/azure/arm_path.ts";
import { writeResource } from "../../../src/azure/arm_resources.ts";
import { classifyArmError } from "../../../src/azure/classify_arm_error.ts";
import { pollOperation } from "../../../src/azure/operation.ts";
import { RequestBudget } from "../../../src/azure/request_budget.ts";
import {
  type Interaction,
  interactionAt,
  readRecording,
  RECORDINGS_DIR,
  REPLAY_NAMES,
  sentBody,
  serviceOfUrl,
  withNames,
} from "../../support/azure_recordings.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { FAKE_ARM_ORIGIN, fakeArmClient } from "./arm_fakes.ts";
import { ReplayServer } from "./replay_server.ts";

/** A client on a ReplayServer holding interactions `indexes` of `recording`. */
function replay(
  recording: string,
  indexes: readonly number[],
  options: Partial<ArmClientOptions> = {},
) {
  const file = readRecording(new URL(`${recording}.json`, RECORDINGS_DIR));
  const interactions = indexes.map((i) => interactionAt(file, i));
  const first = interactions[0];
  if (!first) throw new Error("No interactions to replay");
  const server = new ReplayServer(interactions);
  const apiVersion = new URL(first.request.url, FAKE_ARM_ORIGIN).searchParams
    .get("api-version") ?? undefined;
  const { client, clock } = fakeArmClient(server.handler, {
    ...(apiVersion ? { apiVersion } : {}),
    ...options,
  });
  return {
    client,
    clock,
    server,
    interactions,
    /** The APIM service the first interaction addresses. */
    get service(): ApimServiceRef {
      return serviceOf(first);
    },
  };
}

function serviceOf(interaction: Interaction): ApimServiceRef {
  const found = serviceOfUrl(withNames(interaction.request.url, REPLAY_NAMES));
  if (!found) throw new Error(`${interaction.source} is not under a service`);
  return {
    subscriptionId: found.subscriptionId,
    resourceGroup: found.resourceGroup,
    serviceName: found.name,
  };
}

const importedDocument = sentBody(
  interactionAt(
    readRecording(
      new URL(
        "net-ApiRevisionTests-CreateListUpdateDelete.json",
        RECORDINGS_DIR,
      ),
    ),
    2,
  ),
) as { properties: { value: string } };

Deno.test("an import answered 202 with only Location is polled to the recorded 201 and its API (2019-12-01)", async () => {
  const { client, server, service } = replay(
    "net-ApiRevisionTests-CreateListUpdateDelete",
    [2, 3],
  );
  const started = await createOrUpdateApi(client, {
    api: { service, apiId: "apiid7848" },
    properties: {
      format: "swagger-json",
      value: importedDocument.properties.value,
      path: "swaggerApi",
    },
  });
  assert.equal(started.state, "pending");
  assert.equal(
    started.state === "pending" && started.operation.pollKind,
    "location",
  );
  const polled = started.state === "pending"
    ? await pollOperation(client, started.operation)
    : undefined;
  assert.equal(polled?.state, "succeeded");
  const api = apiContractSchema.parse(
    polled?.state === "succeeded" ? polled.body : undefined,
  );
  assert.equal(api.name, "apiid7848");
  assert.equal(api.properties.displayName, "Swagger Petstore Extensive");
  assert.equal(polled?.state === "succeeded" && polled.etag, '"AAAAAAAANVk="');
  assert.deepEqual(server.problems, []);
  assert.deepEqual(server.served, [2, 3]);
});

Deno.test("an API DELETE at 2024-05-01 answered 202 + Location + Azure-AsyncOperation ends on the recorded Succeeded", async () => {
  const { client, server, service } = replay(
    "aso-Test_ApiManagement_20240501_CRUD",
    [77, 82],
  );
  const started = await deleteApi(client, {
    api: { service, apiId: "asotest-api-mdvgyh" },
    ifMatch: "*",
  });
  assert.equal(started.state, "pending");
  const polled = started.state === "pending"
    ? await pollOperation(client, started.operation)
    : undefined;
  assert.equal(polled?.state, "succeeded");
  assert.deepEqual(server.problems, []);
  assert.deepEqual(server.served, [77, 82]);
});

Deno.test("a quoted ETag is sent back verbatim as If-Match (the recorded PATCH then answers 204)", async () => {
  const { client, server, service } = replay(
    "net-ApiTests-CreateListUpdateDelete",
    [6, 11],
  );
  const ref = { service, apiId: "apiid5135" };
  const read = await getApi(client, ref);
  assert.equal(read?.etag, '"AAAAAAAALpI="');
  const patched = await writeResource(client, {
    method: "PATCH",
    path: apiPath(ref),
    body: { properties: { displayName: "patchedname5083" } },
    ifMatch: read?.etag,
  });
  assert.equal(patched.status, 204);
  assert.deepEqual(server.problems, []);
});

Deno.test("a product-API link PUT answers 201 with the API and the API's ETag", async () => {
  for (
    const [recording, create, link] of [
      ["cli-test_apim_product_api", 0, 3],
      ["aso-Test_ApiManagement_20240501_CRUD", 71, 86],
    ] as const
  ) {
    const { client, server, service, interactions } = replay(recording, [
      create,
      link,
    ]);
    const apiId = interactions[0]?.request.url.match(/\/apis\/([^/?]+)/)?.[1] ??
      "";
    const productId =
      interactions[1]?.request.url.match(/\/products\/([^/?]+)/)?.[1] ?? "";
    const created = await createOrUpdateApi(client, {
      api: { service, apiId },
      properties: { path: apiId, displayName: apiId },
    });
    assert.equal(created.state, "finished", recording);
    const linked = await addApiToProduct(client, {
      product: { service, productId },
      apiId,
    });
    assert.equal(linked.entity.name, apiId);
    assert.equal(
      linked.entity.type,
      "Microsoft.ApiManagement/service/products/apis",
    );
    assert.equal(
      linked.etag,
      created.state === "finished" ? created.api.etag : undefined,
      recording,
    );
    assert.deepEqual(server.problems, [], recording);
  }
});

Deno.test("recorded errors reach the right decision: a missing API, a gone resource group, a 405, a passing 500", async () => {
  const notFound = replay("net-ApiTests-CreateListUpdateDelete", [9]);
  const ref = { service: notFound.service, apiId: "apiid5135" };
  assert.equal(await getApi(notFound.client, ref), undefined);

  const gone = replay("aso-Test_ApiManagement_20240501_CRUD", [111]);
  const deleted = await deleteApi(gone.client, {
    api: { service: gone.service, apiId: "asotest-api2-cymnfh" },
    ifMatch: "*",
  }).catch((e: unknown) => e);
  assert.ok(deleted instanceof ArmError);
  const decision = classifyArmError(deleted);
  assert.equal(decision.kind, "terminal");
  assert.equal(decision.code, "ResourceGroupNotFound");
  assert.equal(
    decision.message,
    `Resource group '${gone.service.resourceGroup}' could not be found.`,
  );

  const linkGet = replay("aso-Test_ApiManagement_20240501_CRUD", [89]);
  const refused = await linkGet.client.request({
    method: "GET",
    path: servicePath(linkGet.service)
      .append`/products/${"asotest-product2-hjdjew"}/apis/${"asotest-api2-cymnfh"}`,
  }).catch((e: unknown) => e);
  assert.ok(refused instanceof ArmError);
  assert.equal(refused.status, 405);
  assert.equal(
    refused.message,
    "The requested resource does not support http method 'GET'.",
  );
  assert.equal(classifyArmError(refused).kind, "terminal");

  // aso-…578500a#124: 500 on a policy fragment DELETE; the same DELETE succeeded later (#137).
  const flaky = replay("aso-Test_ApiManagement_20220801_CRUD.578500a", [
    124,
    137,
  ]);
  const fragment = servicePath(flaky.service)
    .append`/policyFragments/${"asotest-policyfragment-pmmefq"}`;
  const retried = await flaky.client.request({
    method: "DELETE",
    path: fragment,
  });
  assert.equal(retried.status, 200);
  assert.deepEqual(flaky.server.served, [124, 137]);
  assert.ok(flaky.clock.sleeps.length === 1, "one backoff between attempts");
});

Deno.test("the remaining budget is the tighter of the subscription and global headers (2026 recording)", async () => {
  const listing = replay("py-service_list", [0]);
  const subscription =
    /^\/subscriptions\/([^/]+)/.exec(listing.interactions[0]?.request.url ?? "")
      ?.[1] ?? "";
  const response = await listing.client.request({
    method: "GET",
    path:
      armPath`/subscriptions/${subscription}/providers/Microsoft.ApiManagement/service`,
  });
  assert.equal(response.status, 200);
  assert.deepEqual(listing.client.rateLimitRemaining, {
    "subscription-global-reads": 16499,
    "subscription-reads": 1099,
  });
  assert.equal(
    tightestRemaining(listing.client.rateLimitRemaining, "reads"),
    1099,
  );
});

Deno.test("writes are paced by the global write budget when ARM reports only that one (2025 recording)", async () => {
  const budget = new RequestBudget({ clock: new FakeClock(0) });
  const { client, server, service } = replay(
    "aso-Test_ApiManagement_20240501_CRUD",
    [13],
    { budget },
  );
  await client.request({
    method: "PUT",
    path: servicePath(service).append`/products/${"asotest-product1-zhbhvz"}`,
    body: { properties: { displayName: "product1" } },
  });
  assert.deepEqual(server.problems, []);
  assert.equal(
    budget.available(`${service.subscriptionId.toLowerCase()}|writes`),
    11999,
  );
});
