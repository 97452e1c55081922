// Unit tests for linkAll: which links a registration lists before linking, and which it makes.
import assert from "node:assert/strict";
import { linkAll } from "../../../src/controllers/registration_links.ts";
import { silentLogger } from "../../../src/log.ts";
import { fakeArmClient, jsonResponse } from "../azure/arm_fakes.ts";
import { apimApiFixture } from "./apim_api_fixture.ts";

/** The status' record of the failure an earlier pass stopped at. */
function stoppedAt(code: string) {
  return { code, message: code, at: "2026-12-05T10:00:00Z" };
}

const cases: {
  name: string;
  /** The import of this pass created the API. */
  created: boolean;
  spec: { productIds: string[]; tagIds: string[] };
  /** Links recorded in status by earlier passes, and where the last one stopped. */
  recorded: {
    linkedProducts?: string[];
    linkedTags?: string[];
    lastError?: { code: string; message: string; at: string };
  };
  /** Links APIM holds now. */
  linked: { products: string[]; tags: string[] };
  /** Requests sent, as `METHOD last-two-path-segments`, sorted. */
  sent: string[];
}[] = [
  {
    name: "a new API, no links recorded: linked without listing",
    created: true,
    spec: { productIds: ["gold"], tagIds: ["blue"] },
    recorded: {},
    linked: { products: [], tags: [] },
    sent: ["PUT apis/orders", "PUT tags/blue"],
  },
  {
    name:
      "a new API whose earlier pass recorded links still wanted (its first link met APIM's lock): linked again without listing",
    created: true,
    spec: { productIds: ["gold", "silver"], tagIds: ["blue"] },
    recorded: {
      linkedProducts: ["gold", "silver"],
      linkedTags: ["Blue"],
      lastError: stoppedAt("PessimisticConcurrencyConflict"),
    },
    linked: { products: [], tags: [] },
    sent: ["PUT apis/orders", "PUT apis/orders", "PUT tags/blue"],
  },
  {
    name:
      "a new API whose earlier pass stopped at a missing product: listed, and only that product linked",
    created: true,
    spec: { productIds: ["gold", "missing"], tagIds: [] },
    recorded: {
      linkedProducts: ["gold", "missing"],
      lastError: stoppedAt("ProductNotFound"),
    },
    linked: { products: ["gold"], tags: [] },
    sent: ["GET orders/products", "GET orders/tags", "PUT apis/orders"],
  },
  {
    name:
      "a new API whose earlier pass recorded a link the spec dropped: listed, and that link removed",
    created: true,
    spec: { productIds: ["gold"], tagIds: [] },
    recorded: {
      linkedProducts: ["gold", "silver"],
      lastError: stoppedAt("PessimisticConcurrencyConflict"),
    },
    linked: { products: ["gold", "silver"], tags: [] },
    sent: ["DELETE apis/orders", "GET orders/products", "GET orders/tags"],
  },
  {
    name: "an API that existed: listed, and only the missing link made",
    created: false,
    spec: { productIds: ["gold", "silver"], tagIds: [] },
    recorded: { linkedProducts: ["gold"] },
    linked: { products: ["gold"], tags: [] },
    sent: ["GET orders/products", "GET orders/tags", "PUT apis/orders"],
  },
];

for (const c of cases) {
  Deno.test(`linkAll(): ${c.name}`, async () => {
    const list = (names: string[]) =>
      jsonResponse(200, {
        value: names.map((name) => ({
          id: `/subscriptions/s/providers/x/${name}`,
          name,
          type: "Microsoft.ApiManagement/service/link",
          properties: { displayName: name, path: "orders" },
        })),
        count: names.length,
      });
    const { client: arm, fake } = fakeArmClient((request) => {
      const path = request.url.pathname;
      if (request.method === "GET") {
        return list(
          path.endsWith("/products") ? c.linked.products : c.linked.tags,
        );
      }
      return jsonResponse(request.method === "DELETE" ? 200 : 201, {
        id: path,
        name: path.split("/").pop(),
        type: "Microsoft.ApiManagement/service/link",
        properties: { displayName: "link", path: "orders" },
      });
    });
    const api = apimApiFixture("orders", c.spec, { status: c.recorded });
    const links = await linkAll(
      {
        arm,
        api,
        ref: {
          service: {
            subscriptionId: "s",
            resourceGroup: "rg",
            serviceName: "apim",
          },
          apiId: "orders",
        },
        logger: silentLogger,
      },
      c.created,
      () => Promise.resolve(),
    );
    assert.deepEqual(
      fake.requests.map((r) =>
        `${r.method} ${r.url.pathname.split("/").slice(-2).join("/")}`
      ).sort(),
      c.sent,
    );
    assert.deepEqual(links, {
      products: c.spec.productIds,
      tags: c.spec.tagIds,
    });
  });
}
