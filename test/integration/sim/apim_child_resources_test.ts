// §C10: idempotent child resources (products, tags, links, policies), side effects of deletes, and paged lists.

import assert from "node:assert/strict";
import { z } from "zod";
import {
  armError,
  collection,
  createApiWithParents,
  putApi,
  resource,
  SERVICE_PATH,
  startSimulators,
} from "./sim_fixture.ts";

Deno.test("re-PUT of an identical product answers 200 with the same body and ETag; creation links administrators", async () => {
  await using sim = await startSimulators();
  const body = {
    properties: { displayName: "Starter", description: "For everyone" },
  };
  const created = await sim.arm("PUT", "/products/starter", { body });
  assert.equal(created.status, 201);
  // A product PUT answers with the linked groups (cli-test_apim_product_api#2).
  const { groups, ...properties } = resource(created.body).properties;
  assert.deepEqual(properties, {
    displayName: "Starter",
    description: "For everyone",
    subscriptionRequired: true,
    approvalRequired: false,
    state: "notPublished",
  });
  assert.deepEqual(
    z.array(z.object({ name: z.string(), builtIn: z.boolean() })).parse(groups)
      .map((g) => [g.name, g.builtIn]),
    [["Administrators", true]],
  );
  const again = await sim.arm("PUT", "/products/starter", { body });
  assert.equal(again.status, 200);
  assert.deepEqual(again.body, created.body);
  assert.equal(again.headers.get("etag"), created.headers.get("etag"));
  assert.deepEqual(sim.service.product("starter")?.groups, ["administrators"]);
});

Deno.test("product–API links: PUT returns the ApiContract (201 then 200), HEAD 204, DELETE 200 then 204", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo", { serviceUrl: "https://echo.example.com" });
  await sim.arm("PUT", "/products/starter", {
    body: { properties: { displayName: "Starter" } },
  });
  const linked = await sim.arm("PUT", "/products/starter/apis/echo");
  assert.equal(linked.status, 201);
  // The API under the product's path, with the API's ETag (net-ProductTests#8, aso-…20240501#86).
  const api = resource(linked.body);
  assert.equal(api.type, "Microsoft.ApiManagement/service/products/apis");
  assert.equal(api.id, `${SERVICE_PATH}/products/starter/apis/echo`);
  assert.equal(api.properties.serviceUrl, "https://echo.example.com");
  assert.equal(api.properties.protocols, null);
  assert.equal(
    linked.headers.get("etag"),
    (await sim.arm("GET", "/apis/echo")).headers.get("etag"),
  );
  assert.equal(
    (await sim.arm("PUT", "/products/starter/apis/echo")).status,
    200,
  );
  assert.equal(
    (await sim.arm("HEAD", "/products/starter/apis/echo")).status,
    204,
  );
  const listed = collection(
    (await sim.arm("GET", "/products/starter/apis")).body,
  );
  assert.deepEqual(listed.value.map((v) => [v.name, v.type]), [
    ["echo", "Microsoft.ApiManagement/service/products/apis"],
  ]);
  assert.equal(
    (await sim.arm("DELETE", "/products/starter/apis/echo")).status,
    200,
  );
  assert.equal(
    (await sim.arm("DELETE", "/products/starter/apis/echo")).status,
    204,
  );
  assert.equal(
    (await sim.arm("HEAD", "/products/starter/apis/echo")).status,
    404,
  );
  const missing = await sim.arm("PUT", "/products/nope/apis/echo");
  assert.equal(missing.status, 404);
  assert.equal(armError(missing.body).message, "Product not found.");
  assert.deepEqual(sim.service.productApis("starter"), []);
});

Deno.test("tag–API links: PUT returns the TagContract (201 then 200), GET/list show it, deletes of missing things are 204", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo", {});
  await sim.arm("PUT", "/tags/team-a", {
    body: { properties: { displayName: "Team A" } },
  });
  const linked = await sim.arm("PUT", "/apis/echo/tags/team-a");
  assert.equal(linked.status, 201);
  assert.deepEqual(resource(linked.body).properties, { displayName: "Team A" });
  assert.equal(
    resource(linked.body).type,
    "Microsoft.ApiManagement/service/tags",
  );
  assert.equal((await sim.arm("PUT", "/apis/echo/tags/team-a")).status, 200);
  assert.equal((await sim.arm("GET", "/apis/echo/tags/team-a")).status, 200);
  const tags = collection((await sim.arm("GET", "/apis/echo/tags")).body);
  assert.deepEqual(tags.value.map((t) => t.name), ["team-a"]);
  assert.equal(
    (await sim.arm("DELETE", "/apis/echo/tags/team-a", {
      headers: { "if-match": "*" },
    })).status,
    200,
  );
  assert.equal(
    (await sim.arm("DELETE", "/apis/echo/tags/team-a", {
      headers: { "if-match": "*" },
    })).status,
    204,
  );
  assert.equal(
    (await sim.arm("DELETE", "/tags/nope", { headers: { "if-match": "*" } }))
      .status,
    204,
  );
  assert.equal(
    (await sim.arm("DELETE", "/apis/echo/policies/policy", {
      headers: { "if-match": "*" },
    })).status,
    204,
  );
  assert.equal((await sim.arm("GET", "/apis/nope/tags")).status, 404);
});

Deno.test("deleting an API removes its product and tag links and its policy", async () => {
  await using sim = await startSimulators();
  await createApiWithParents(sim, {
    apiId: "echo",
    productId: "starter",
    tagId: "team-a",
  });
  const policy = await sim.arm("PUT", "/apis/echo/policies/policy", {
    body: {
      properties: {
        format: "rawxml",
        value: "<policies><inbound><base /></inbound></policies>",
      },
    },
  });
  assert.equal(policy.status, 201);
  assert.equal(
    resource(policy.body).properties.value,
    "<policies>\r\n  <inbound>\r\n    <base />\r\n  </inbound>\r\n</policies>",
  );
  assert.equal(
    (await sim.arm("DELETE", "/apis/echo", {
      apiVersion: "2022-08-01",
      headers: { "if-match": "*" },
    }))
      .status,
    200,
  );
  assert.deepEqual(sim.service.productApis("starter"), []);
  assert.deepEqual(sim.service.tagApis("team-a"), []);
  await putApi(sim, "echo", {});
  assert.equal(
    (await sim.arm("GET", "/apis/echo/policies/policy")).status,
    404,
  );
  assert.equal(
    collection((await sim.arm("GET", "/products/starter/apis")).body).value
      .length,
    0,
  );
});

Deno.test("product DELETE honours deleteSubscriptions and removes the product's links", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo", {});
  await sim.arm("PUT", "/products/starter", {
    body: { properties: { displayName: "Starter" } },
  });
  await sim.arm("PUT", "/products/starter/apis/echo");
  sim.service.setProductSubscriptionCount("starter", 2);
  const refused = await sim.arm("DELETE", "/products/starter", {
    headers: { "if-match": "*" },
  });
  assert.equal(refused.status, 400);
  const deleted = await sim.arm("DELETE", "/products/starter", {
    headers: { "if-match": "*" },
    query: { deleteSubscriptions: "true" },
  });
  assert.equal(deleted.status, 200);
  assert.equal(sim.service.product("starter"), undefined);
  assert.deepEqual(sim.service.productApis("starter"), []);
});

Deno.test("lists page with $top and absolute nextLinks until the last page", async () => {
  await using sim = await startSimulators({ apim: { knobs: { pageSize: 3 } } });
  for (let i = 1; i <= 5; i++) {
    await sim.arm("PUT", `/tags/t${i}`, {
      body: { properties: { displayName: `T${i}` } },
    });
  }
  const first = collection(
    (await sim.arm("GET", "/tags", { query: { $top: "2" } })).body,
  );
  assert.deepEqual(first.value.map((t) => t.name), ["t1", "t2"]);
  assert.equal(first.count, 5);
  assert.ok(first.nextLink?.startsWith(`${sim.apim.url}${SERVICE_PATH}/tags?`));
  const names = first.value.map((t) => t.name);
  let next = first.nextLink;
  while (next) {
    const page = collection((await sim.get(next)).body);
    names.push(...page.value.map((t) => t.name));
    next = page.nextLink;
  }
  assert.deepEqual(names, ["t1", "t2", "t3", "t4", "t5"]);
  const capped = collection((await sim.arm("GET", "/tags")).body);
  assert.equal(capped.value.length, 3);
  const filtered = collection(
    (await sim.arm("GET", "/tags", {
      query: { $filter: "displayName eq 'T4'" },
    })).body,
  );
  assert.deepEqual(filtered.value.map((t) => t.name), ["t4"]);
  assert.equal(filtered.nextLink, undefined);
});

Deno.test("apiLinks (2024-05-01): product and tag API links as resources; absent from 2022-08-01", async () => {
  await using sim = await startSimulators();
  await createApiWithParents(sim, {
    apiId: "echo",
    productId: "starter",
    tagId: "team",
    link: false,
  });
  const apiId = `${SERVICE_PATH}/apis/echo`;
  for (const parent of ["products/starter", "tags/team"]) {
    const link = await sim.arm("PUT", `/${parent}/apiLinks/link1`, {
      body: { properties: { apiId } },
    });
    assert.equal(link.status, 201, parent);
    assert.equal(
      resource(link.body).type,
      `Microsoft.ApiManagement/service/${parent.split("/")[0]}/apiLinks`,
    );
    assert.equal(resource(link.body).properties.apiId, apiId);
    assert.equal(
      (await sim.arm("PUT", `/${parent}/apiLinks/link1`, {
        body: { properties: { apiId } },
      })).status,
      200,
    );
    assert.equal(
      (await sim.arm("GET", `/${parent}/apiLinks/link1`)).status,
      200,
    );
    assert.equal(
      collection((await sim.arm("GET", `/${parent}/apiLinks`)).body).value
        .length,
      1,
    );
    const old = await sim.arm("GET", `/${parent}/apiLinks`, {
      apiVersion: "2022-08-01",
    });
    assert.equal(old.status, 400);
    assert.equal(armError(old.body).code, "NoRegisteredProviderFound");
  }
  assert.deepEqual(sim.service.productApis("starter"), ["echo"]);
  assert.deepEqual(sim.service.tagApis("team"), ["echo"]);
  assert.equal(
    (await sim.arm("DELETE", "/tags/team/apiLinks/link1")).status,
    200,
  );
  assert.deepEqual(sim.service.tagApis("team"), []);
});
