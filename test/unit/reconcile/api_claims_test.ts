// Unit tests for detecting two APIMAPIs that claim the same API id or path in one instance.
import assert from "node:assert/strict";
import {
  type ApiClaim,
  findClaimConflict,
} from "../../../src/reconcile/api_claims.ts";

const SERVICE = "00000000-0000-0000-0000-000000000000/rg1/apim1";
const OLDER = "2026-01-01T00:00:00Z";
const NEWER = "2026-01-02T00:00:00Z";

function claim(owner: string, overrides: Partial<ApiClaim> = {}): ApiClaim {
  return {
    owner,
    creationTimestamp: NEWER,
    service: SERVICE,
    apiId: "orders",
    path: "orders/v1",
    ...overrides,
  };
}

const mine = claim("team-b/orders");

Deno.test("findClaimConflict() reports an older claim on the same API id", () => {
  const other = claim("team-a/orders", {
    creationTimestamp: OLDER,
    path: "elsewhere",
  });
  assert.deepEqual(findClaimConflict(mine, [other]), {
    field: "APIID",
    owner: "team-a/orders",
    message:
      'APIMAPI "team-a/orders" already registers API "orders" in this API Management instance',
  });
});

Deno.test("findClaimConflict() compares API ids case-insensitively", () => {
  const other = claim("team-a/orders", {
    creationTimestamp: OLDER,
    apiId: "ORDERS",
    path: "elsewhere",
  });
  const conflict = findClaimConflict(mine, [other]);
  assert.equal(conflict?.field, "APIID");
  assert.match(conflict?.message ?? "", /API "ORDERS"/);
});

Deno.test("findClaimConflict() reports an older claim on the same path", () => {
  const other = claim("team-a/billing", {
    creationTimestamp: OLDER,
    apiId: "billing",
  });
  assert.deepEqual(findClaimConflict(mine, [other]), {
    field: "routePrefix",
    owner: "team-a/billing",
    message:
      'APIMAPI "team-a/billing" already uses the path "/orders/v1" in this API Management instance',
  });
});

Deno.test("findClaimConflict() reports the API id when an older claim shares both id and path", () => {
  const other = claim("team-a/orders", { creationTimestamp: OLDER });
  assert.equal(findClaimConflict(mine, [other])?.field, "APIID");
});

const noConflict: [string, ApiClaim][] = [
  [
    "another instance",
    claim("team-a/orders", {
      creationTimestamp: OLDER,
      service: "00000000-0000-0000-0000-000000000000/rg1/apim2",
    }),
  ],
  [
    "another API id and path",
    claim("team-a/billing", {
      creationTimestamp: OLDER,
      apiId: "billing",
      path: "billing",
    }),
  ],
  [
    "a newer creationTimestamp",
    claim("team-a/orders", { creationTimestamp: "2026-01-03T00:00:00Z" }),
  ],
  ["its own claim", claim("team-b/orders", { creationTimestamp: OLDER })],
];

for (const [what, other] of noConflict) {
  Deno.test(`findClaimConflict() ignores a claim from ${what}`, () => {
    assert.equal(findClaimConflict(mine, [other]), undefined);
  });
}

Deno.test("findClaimConflict() lets the older claim keep the API", () => {
  const older = claim("team-z/orders", { creationTimestamp: OLDER });
  const newer = claim("team-a/orders", { creationTimestamp: NEWER });
  assert.equal(findClaimConflict(older, [newer]), undefined);
  assert.equal(findClaimConflict(newer, [older])?.owner, "team-z/orders");
});

Deno.test("findClaimConflict() breaks creationTimestamp ties by owner key", () => {
  const a = claim("team-a/orders", { creationTimestamp: OLDER });
  const b = claim("team-b/orders", { creationTimestamp: OLDER });
  assert.equal(findClaimConflict(a, [b]), undefined);
  assert.equal(findClaimConflict(b, [a])?.owner, "team-a/orders");
});

Deno.test("findClaimConflict() finds the conflict among unrelated claims", () => {
  const others = [
    claim("team-b/orders", { creationTimestamp: OLDER }),
    claim("team-c/billing", {
      creationTimestamp: OLDER,
      apiId: "billing",
      path: "billing",
    }),
    claim("team-d/orders", {
      creationTimestamp: OLDER,
      service: "other/rg/apim",
    }),
    claim("team-e/orders", { creationTimestamp: OLDER, path: "shop" }),
  ];
  assert.equal(findClaimConflict(mine, others)?.owner, "team-e/orders");
});

Deno.test("findClaimConflict() finds nothing without other claims", () => {
  assert.equal(findClaimConflict(mine, []), undefined);
});

Deno.test("findClaimConflict() compares paths case-insensitively, as APIM does", () => {
  const conflict = findClaimConflict(
    {
      owner: "b/new",
      creationTimestamp: "2026-01-02T00:00:00Z",
      service: "s",
      apiId: "x",
      path: "Orders/V1",
    },
    [{
      owner: "a/old",
      creationTimestamp: "2026-01-01T00:00:00Z",
      service: "s",
      apiId: "y",
      path: "orders/v1",
    }],
  );
  assert.equal(conflict?.field, "routePrefix");
});

Deno.test("findClaimConflict() lets versions of one version set share a path, but not a version", () => {
  const v1 = claim("team-a/orders-v1", {
    creationTimestamp: OLDER,
    apiId: "orders-v1",
    versionSet: "orders",
    apiVersion: "v1",
  });
  const v2 = claim("team-a/orders-v2", {
    apiId: "orders-v2",
    versionSet: "orders",
    apiVersion: "v2",
  });
  assert.equal(findClaimConflict(v2, [v1]), undefined);
  const alsoV1 = claim("team-b/orders-v1b", {
    apiId: "orders-v1b",
    path: "other",
    versionSet: "orders",
    apiVersion: "V1",
  });
  assert.deepEqual(findClaimConflict(alsoV1, [v1]), {
    field: "apiVersion",
    owner: "team-a/orders-v1",
    message:
      'APIMAPI "team-a/orders-v1" already registers version "v1" of this version set in this API Management instance',
  });
  const otherSet = claim("team-c/orders", {
    apiId: "orders-c",
    versionSet: "billing",
    apiVersion: "v2",
  });
  assert.equal(findClaimConflict(otherSet, [v1])?.field, "routePrefix");
});
