// Unit tests for the desired API: owner marker, APIM path, and the desired-state hash.
import assert from "node:assert/strict";
import { apimApiSpecSchema } from "../../../src/crd/apim_api.ts";
import {
  apimPath,
  desiredApi,
  type DocumentFacts,
  markerHasHash,
  markerHasImport,
  markerOwnedBy,
  ownerMarker,
  parseOwnerMarker,
} from "../../../src/reconcile/desired_api.ts";
import { hashOf } from "../../../src/reconcile/hash.ts";

const owner = { namespace: "shop", name: "orders" };
const hash = hashOf({ some: "state" });

// ---- apimPath -------------------------------------------------------------------------------

const paths: [string, string][] = [
  ["/orders/v1", "orders/v1"],
  ["orders/v1", "orders/v1"],
  ["/orders/v1/", "orders/v1"],
  ["///orders//", "orders"],
  ["/a//b", "a//b"],
  ["/", ""],
  ["", ""],
];

for (const [routePrefix, path] of paths) {
  Deno.test(`apimPath() turns "${routePrefix}" into "${path}"`, () => {
    assert.equal(apimPath(routePrefix), path);
  });
}

// ---- owner marker ---------------------------------------------------------------------------

Deno.test("ownerMarker() names the owner and the first 32 characters of the hash", () => {
  assert.equal(
    ownerMarker(owner, hash),
    `Managed by azure-apim-operator; owner=shop/orders; hash=${
      hash.slice(0, 32)
    }`,
  );
});

Deno.test("parseOwnerMarker() reads back what ownerMarker() wrote", () => {
  const marker = parseOwnerMarker(ownerMarker(owner, hash));
  assert.deepEqual(marker, {
    owner: "shop/orders",
    hash: hash.slice(0, 32),
    adopted: false,
  });
  assert.ok(marker && markerOwnedBy(marker, owner));
  assert.ok(marker && markerHasHash(marker, hash));
  const adopted = parseOwnerMarker(
    ownerMarker(owner, hash, { adopted: true }),
  );
  assert.equal(adopted?.adopted, true);
  assert.ok(adopted && markerHasHash(adopted, hash));
});

const notMarkers: [string, string | undefined][] = [
  ["no text", undefined],
  ["empty text", ""],
  ["a description written by hand", "Initial release"],
  [
    "a marker with text after it",
    `${ownerMarker(owner, hash)} (edited)`,
  ],
  [
    "a marker with text before it",
    `Note: ${ownerMarker(owner, hash)}`,
  ],
  [
    "a marker with an upper-case hash",
    `Managed by azure-apim-operator; owner=shop/orders; hash=ABCDEF`,
  ],
  [
    "a marker without an owner",
    `Managed by azure-apim-operator; owner=; hash=abcdef`,
  ],
  ["another tool's marker", `Managed by terraform; owner=shop/orders; hash=ab`],
];

for (const [what, text] of notMarkers) {
  Deno.test(`parseOwnerMarker() finds no marker in ${what}`, () => {
    assert.equal(parseOwnerMarker(text), undefined);
  });
}

Deno.test("markerOwnedBy() is false for another namespace or name", () => {
  const marker = { owner: "shop/orders", hash: "" };
  assert.equal(
    markerOwnedBy(marker, { namespace: "shop", name: "orders" }),
    true,
  );
  assert.equal(
    markerOwnedBy(marker, { namespace: "shop2", name: "orders" }),
    false,
  );
  assert.equal(
    markerOwnedBy(marker, { namespace: "shop", name: "orders2" }),
    false,
  );
});

Deno.test("markerHasHash() is false for another hash", () => {
  const marker = parseOwnerMarker(ownerMarker(owner, hash));
  assert.ok(marker);
  assert.equal(markerHasHash(marker, hashOf({ some: "other state" })), false);
});

Deno.test("ownerMarker() hashes a long namespace/name and stays within 256 characters", () => {
  const long = { namespace: "n".repeat(63), name: "a".repeat(253) };
  const text = ownerMarker(long, hash);
  assert.ok(text.length <= 256, `marker is ${text.length} characters`);
  assert.ok(!text.includes("a".repeat(64)), "the name is not spelled out");
  const marker = parseOwnerMarker(text);
  assert.ok(marker);
  assert.match(marker.owner, /^sha256:[0-9a-f]{32}$/);
  assert.equal(markerOwnedBy(marker, long), true);
  assert.equal(markerHasHash(marker, hash), true);
  assert.equal(
    markerOwnedBy(marker, { namespace: long.namespace, name: "a".repeat(252) }),
    false,
  );
});

Deno.test("ownerMarker() spells out a namespace/name of up to 120 characters and hashes a longer one", () => {
  // "n/" + 118 characters = 120.
  const atLimit = { namespace: "n", name: "a".repeat(118) };
  const overLimit = { namespace: "n", name: "a".repeat(119) };
  assert.equal(
    parseOwnerMarker(ownerMarker(atLimit, hash))?.owner,
    `n/${"a".repeat(118)}`,
  );
  assert.match(
    parseOwnerMarker(ownerMarker(overLimit, hash))?.owner ?? "",
    /^sha256:/,
  );
});

// ---- desiredApi -----------------------------------------------------------------------------

const baseSpec = {
  APIID: "orders",
  serviceUrl: "https://orders.example.com",
  routePrefix: "/orders/v1",
  openApiDefinitionUrl: "/swagger.json",
  apimService: "apim",
  subscriptionRequired: true,
  displayName: "Orders",
  protocols: ["https"],
};
const document: DocumentFacts = {
  digest: "sha256:aaaa",
  format: "openapi+json",
  title: "Orders",
};

function desired(
  spec: Record<string, unknown> = baseSpec,
  doc: DocumentFacts = document,
) {
  return desiredApi(apimApiSpecSchema.parse(spec), doc, owner);
}

Deno.test("desiredApi() describes the API the import sends, with its marker", () => {
  const api = desired();
  assert.deepEqual(api, {
    apiId: "orders",
    path: "orders/v1",
    serviceUrl: "https://orders.example.com",
    subscriptionRequired: true,
    displayName: "Orders",
    protocols: ["https"],
    format: "openapi+json",
    shownName: "Orders",
    digest: "sha256:aaaa",
    hash: api.hash,
    importHash: api.importHash,
    marker: ownerMarker(owner, api.hash, { doc: api.importHash }),
  });
  assert.match(api.hash, /^[0-9a-f]{64}$/);
});

const patchOnly: [string, Record<string, unknown>][] = [
  ["routePrefix", { routePrefix: "/orders/v2" }],
  ["serviceUrl", { serviceUrl: "https://orders-2.example.com" }],
  ["subscriptionRequired", { subscriptionRequired: false }],
];
for (const [field, change] of patchOnly) {
  Deno.test(`desiredApi() keeps the import hash when only ${field} changes (a PATCH sets it)`, () => {
    const changed = desired({ ...baseSpec, ...change });
    assert.notEqual(changed.hash, desired().hash);
    assert.equal(changed.importHash, desired().importHash);
  });
}

const importChanges: [string, Record<string, unknown>, DocumentFacts][] = [
  ["the document", {}, { ...document, digest: "sha256:bbbb" }],
  ["displayName", { displayName: "Orders 2" }, document],
  ["protocols", { protocols: ["http", "https"] }, document],
  ["APIID", { APIID: "orders-2" }, document],
];
for (const [what, change, doc] of importChanges) {
  Deno.test(`desiredApi() changes the import hash when ${what} changes`, () => {
    assert.notEqual(
      desired({ ...baseSpec, ...change }, doc).importHash,
      desired().importHash,
    );
  });
}

Deno.test("parseOwnerMarker() reads the import hash back, and markers without one still parse", () => {
  const api = desired();
  const marker = parseOwnerMarker(api.marker);
  assert.equal(marker?.doc, api.importHash.slice(0, 16));
  assert.ok(marker && markerHasImport(marker, api.importHash));
  assert.ok(marker && markerHasHash(marker, api.hash));
  const adopted = parseOwnerMarker(
    ownerMarker(owner, api.hash, { adopted: true, doc: api.importHash }),
  );
  assert.deepEqual(adopted, { ...marker, adopted: true });
  const older = parseOwnerMarker(ownerMarker(owner, api.hash));
  assert.ok(older && !markerHasImport(older, api.importHash));
});

Deno.test("desiredApi() leaves out displayName and protocols when the spec leaves them unset", () => {
  const { displayName: _d, protocols: _p, ...minimal } = baseSpec;
  const api = desired(minimal);
  assert.equal("displayName" in api, false);
  assert.equal("protocols" in api, false);
});

Deno.test("desiredApi() hash does not depend on the spec's key order", () => {
  const reversed = Object.fromEntries(Object.entries(baseSpec).reverse());
  assert.equal(desired(reversed).hash, desired().hash);
});

Deno.test("desiredApi() hash does not depend on the order of protocols", () => {
  const a = desired({ ...baseSpec, protocols: ["https", "http"] });
  const b = desired({ ...baseSpec, protocols: ["http", "https"] });
  assert.equal(a.hash, b.hash);
  assert.deepEqual(a.protocols, ["http", "https"]);
});

Deno.test("desiredApi() hash does not depend on the route prefix's outer slashes", () => {
  assert.equal(
    desired({ ...baseSpec, routePrefix: "orders/v1/" }).hash,
    desired().hash,
  );
});

const hashChanges: [string, Record<string, unknown>, DocumentFacts][] = [
  ["APIID", { ...baseSpec, APIID: "orders-v2" }, document],
  ["routePrefix", { ...baseSpec, routePrefix: "/orders/v2" }, document],
  [
    "serviceUrl",
    { ...baseSpec, serviceUrl: "https://other.example.com" },
    document,
  ],
  [
    "subscriptionRequired",
    { ...baseSpec, subscriptionRequired: false },
    document,
  ],
  ["displayName", { ...baseSpec, displayName: "Orders API" }, document],
  ["protocols", { ...baseSpec, protocols: ["http", "https"] }, document],
  ["the document digest", baseSpec, { ...document, digest: "sha256:bbbb" }],
  ["the document format", baseSpec, { ...document, format: "openapi" }],
];

for (const [what, spec, doc] of hashChanges) {
  Deno.test(`desiredApi() hash changes when ${what} changes`, () => {
    const changed = desired(spec, doc);
    assert.notEqual(changed.hash, desired().hash);
    assert.notEqual(changed.marker, desired().marker);
  });
}

Deno.test("desiredApi() hash changes when displayName or protocols become unset", () => {
  const { displayName: _d, ...noDisplayName } = baseSpec;
  const { protocols: _p, ...noProtocols } = baseSpec;
  assert.notEqual(desired(noDisplayName).hash, desired().hash);
  assert.notEqual(desired(noProtocols).hash, desired().hash);
});

Deno.test("desiredApi() hash ignores fields that do not reach the API entity", () => {
  // Links, the document URL and the service reference are applied apart from the import.
  const same = desired({
    ...baseSpec,
    openApiDefinitionUrl: "https://orders.example.com/v1/openapi.yaml",
    productIds: ["starter"],
    tagIds: ["team-shop"],
    deletionPolicy: "Retain",
  });
  assert.equal(same.hash, desired().hash);
});

// ---- versions -------------------------------------------------------------------------------

const SET_ID =
  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim/apiVersionSets/orders";

Deno.test("desiredApi() keeps the hash of an unversioned API as it was before version sets", () => {
  // Registered APIs must not be imported again after an upgrade.
  assert.equal(
    desired().hash,
    hashOf({
      apiId: "orders",
      path: "orders/v1",
      serviceUrl: "https://orders.example.com",
      subscriptionRequired: true,
      displayName: "Orders",
      protocols: ["https"],
      format: "openapi+json",
      digest: "sha256:aaaa",
    }),
  );
});

Deno.test("desiredApi() carries the version set and version into the import and its hash", () => {
  const spec = apimApiSpecSchema.parse({
    ...baseSpec,
    versionSet: "orders",
    apiVersion: "v2",
  });
  const v2 = desiredApi(spec, document, owner, SET_ID);
  assert.equal(v2.apiVersionSetId, SET_ID);
  assert.equal(v2.apiVersion, "v2");
  assert.notEqual(v2.hash, desired().hash);
  const v3 = desiredApi(
    { ...spec, apiVersion: "v3" },
    document,
    owner,
    SET_ID,
  );
  assert.notEqual(v3.hash, v2.hash);
  const unresolved = desiredApi(spec, document, owner);
  assert.equal("apiVersion" in unresolved, false, "no version without a set");
});
