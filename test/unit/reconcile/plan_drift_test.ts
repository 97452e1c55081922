// Unit tests for the periodic drift check's decision and the fields it keeps in line.
import assert from "node:assert/strict";
import { apimApiSpecSchema } from "../../../src/crd/apim_api.ts";
import { hashOf } from "../../../src/reconcile/hash.ts";
import { ownerMarker } from "../../../src/reconcile/desired_api.ts";
import {
  decideDrift,
  patchableFields,
} from "../../../src/reconcile/plan_drift.ts";
import type { ObservedApi } from "../../../src/reconcile/plan_import.ts";

const owner = { namespace: "shop", name: "orders" };
const appliedHash = hashOf({ applied: "v1" });

const spec = apimApiSpecSchema.parse({
  APIID: "orders",
  serviceUrl: "https://orders.example.com",
  routePrefix: "/orders/v1/",
  openApiDefinitionUrl: "/swagger.json",
  apimService: "apim",
  subscriptionRequired: false,
  displayName: "Orders",
  protocols: ["https", "http"],
});

type ExistingApi = ObservedApi & { exists: true };

/** The API exactly as the spec and the last import left it. */
function inLine(overrides: Partial<ExistingApi> = {}): ExistingApi {
  return {
    exists: true,
    etag: '"etag-1"',
    path: "orders/v1",
    serviceUrl: "https://orders.example.com",
    subscriptionRequired: false,
    displayName: "Orders",
    protocols: ["http", "https"],
    revisionDescription: ownerMarker(owner, appliedHash),
    apiRevision: "1",
    ...overrides,
  };
}

Deno.test("patchableFields() maps the spec to APIM fields with a bare path and sorted protocols", () => {
  assert.deepEqual(patchableFields(spec), {
    serviceUrl: "https://orders.example.com",
    path: "orders/v1",
    subscriptionRequired: false,
    displayName: "Orders",
    protocols: ["http", "https"],
  });
});

Deno.test("patchableFields() leaves out displayName and protocols when the spec leaves them unset", () => {
  const minimal = apimApiSpecSchema.parse({
    APIID: "orders",
    serviceUrl: "https://orders.example.com",
    routePrefix: "",
    openApiDefinitionUrl: "/swagger.json",
    apimService: "apim",
  });
  assert.deepEqual(patchableFields(minimal), {
    serviceUrl: "https://orders.example.com",
    path: "",
    subscriptionRequired: true,
  });
});

Deno.test("decideDrift() does nothing when nothing drifted", () => {
  assert.deepEqual(decideDrift(spec, appliedHash, inLine(), owner), {
    action: "none",
  });
});

Deno.test("decideDrift() does nothing when APIM lists the protocols in another order", () => {
  assert.deepEqual(
    decideDrift(
      spec,
      appliedHash,
      inLine({ protocols: ["https", "http"] }),
      owner,
    ),
    { action: "none" },
  );
});

Deno.test("decideDrift() re-registers an API deleted outside Kubernetes", () => {
  assert.deepEqual(decideDrift(spec, appliedHash, { exists: false }, owner), {
    action: "reregister",
    reason: "APIDeleted",
    message:
      'API "orders" was deleted outside Kubernetes; registering it again',
  });
});

Deno.test("decideDrift() reports a conflict when another APIMAPI's marker is on the API", () => {
  const theirs = ownerMarker(
    { namespace: "team-x", name: "orders" },
    appliedHash,
  );
  assert.deepEqual(
    decideDrift(
      spec,
      appliedHash,
      inLine({ revisionDescription: theirs }),
      owner,
    ),
    {
      action: "conflict",
      message: 'API "orders" was taken over by APIMAPI "team-x/orders"',
    },
  );
});

const reimported: [string, string | undefined][] = [
  ["no revision description", undefined],
  ["a description written by hand", "Imported by the platform team"],
  ["our marker with another hash", ownerMarker(owner, hashOf({ other: 1 }))],
];

for (const [what, revisionDescription] of reimported) {
  Deno.test(`decideDrift() re-registers with APIReimported when the API carries ${what}`, () => {
    const { revisionDescription: _drop, ...unmarked } = inLine();
    const observed: ExistingApi = revisionDescription === undefined
      ? unmarked
      : { ...unmarked, revisionDescription };
    assert.deepEqual(decideDrift(spec, appliedHash, observed, owner), {
      action: "reregister",
      reason: "APIReimported",
      message:
        'API "orders" holds a document that the operator did not import; importing ours again',
    });
  });
}

const drifts: [string, Partial<ExistingApi>, Record<string, unknown>][] = [
  [
    "serviceUrl",
    { serviceUrl: "https://evil.example.com" },
    { serviceUrl: "https://orders.example.com" },
  ],
  ["path", { path: "orders/v2" }, { path: "orders/v1" }],
  [
    "subscriptionRequired",
    { subscriptionRequired: true },
    { subscriptionRequired: false },
  ],
  ["displayName", { displayName: "Renamed" }, { displayName: "Orders" }],
  ["protocols", { protocols: ["https"] }, { protocols: ["http", "https"] }],
];

for (const [field, drifted, restored] of drifts) {
  Deno.test(`decideDrift() patches ${field} back with If-Match when it drifted`, () => {
    assert.deepEqual(
      decideDrift(spec, appliedHash, inLine(drifted), owner),
      {
        action: "patch",
        changes: restored,
        ifMatch: '"etag-1"',
        message: `Restored ${field} of API "orders" changed outside Kubernetes`,
      },
    );
  });
}

Deno.test("decideDrift() patches every drifted field at once and names them", () => {
  const decision = decideDrift(
    spec,
    appliedHash,
    inLine({ serviceUrl: "https://evil.example.com", displayName: "Renamed" }),
    owner,
  );
  assert.deepEqual(decision, {
    action: "patch",
    changes: {
      serviceUrl: "https://orders.example.com",
      displayName: "Orders",
    },
    ifMatch: '"etag-1"',
    message:
      'Restored serviceUrl, displayName of API "orders" changed outside Kubernetes',
  });
});

Deno.test("decideDrift() patches with If-Match * when APIM sent no ETag", () => {
  const { etag: _etag, ...withoutEtag } = inLine({ path: "moved" });
  const decision = decideDrift(spec, appliedHash, withoutEtag, owner);
  assert.equal(decision.action, "patch");
  assert.equal(decision.action === "patch" && decision.ifMatch, "*");
});

Deno.test("decideDrift() accepts the marker of a long owner name written as a hashed token", () => {
  const long = { namespace: "n".repeat(63), name: "a".repeat(253) };
  const observed = inLine({
    revisionDescription: ownerMarker(long, appliedHash),
  });
  assert.deepEqual(decideDrift(spec, appliedHash, observed, long), {
    action: "none",
  });
  assert.equal(
    decideDrift(spec, appliedHash, observed, owner).action,
    "conflict",
  );
});
