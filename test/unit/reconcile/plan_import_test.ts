// Unit tests for the import/patch/refuse decision and link planning.
import assert from "node:assert/strict";
import { apimApiSpecSchema } from "../../../src/crd/apim_api.ts";
import { desiredApi, ownerMarker } from "../../../src/reconcile/desired_api.ts";
import {
  apiHostOf,
  decideImport,
  type ObservedApi,
  planLinks,
  versionedRoutePrefix,
} from "../../../src/reconcile/plan_import.ts";

const spec = apimApiSpecSchema.parse({
  APIID: "my-api",
  serviceUrl: "https://my-api.example.com",
  routePrefix: "/api/v1",
  openApiDefinitionUrl: "/swagger.json",
  apimService: "svc",
});
const owner = { namespace: "default", name: "my-api" };
const desired = desiredApi(spec, {
  digest: "sha256:abc",
  format: "openapi+json",
  title: "Orders",
}, owner);

function observed(
  overrides: Partial<ObservedApi & { exists: true }> = {},
): ObservedApi {
  return {
    exists: true,
    etag: '"e1"',
    path: "api/v1",
    serviceUrl: "https://my-api.example.com",
    subscriptionRequired: true,
    revisionDescription: desired.marker,
    ...overrides,
  };
}

Deno.test("desiredApi() strips the route prefix's slashes and hashes document and spec", () => {
  assert.equal(desired.path, "api/v1");
  const other = desiredApi(spec, {
    digest: "sha256:def",
    format: "openapi+json",
    title: "Orders",
  }, owner);
  assert.notEqual(other.hash, desired.hash);
  const again = desiredApi(spec, {
    digest: "sha256:abc",
    format: "openapi+json",
    title: "Orders",
  }, owner);
  assert.equal(again.hash, desired.hash);
});

Deno.test("decideImport() imports a missing API", () => {
  assert.deepEqual(decideImport(desired, { exists: false }, owner), {
    action: "import",
    adopted: false,
    created: true,
  });
});

Deno.test("decideImport() does nothing when API Management holds the desired hash", () => {
  assert.deepEqual(decideImport(desired, observed(), owner), {
    action: "none",
    adopted: false,
  });
});

Deno.test("decideImport() re-imports with If-Match when the document changed", () => {
  const stale = ownerMarker(owner, "0".repeat(64));
  assert.deepEqual(
    decideImport(desired, observed({ revisionDescription: stale }), owner),
    {
      action: "import",
      adopted: false,
      created: false,
      ifMatch: '"e1"',
    },
  );
});

Deno.test("decideImport() patches only a drifted serviceUrl", () => {
  assert.deepEqual(
    decideImport(desired, observed({ serviceUrl: "https://elsewhere" }), owner),
    {
      action: "patch",
      changes: { serviceUrl: "https://my-api.example.com" },
      ifMatch: '"e1"',
    },
  );
});

const before = (changes: Record<string, unknown>) =>
  desiredApi(apimApiSpecSchema.parse({ ...spec, ...changes }), {
    digest: "sha256:abc",
    format: "openapi+json",
    title: "Orders",
  }, owner);
const edits: {
  what: string;
  was: Record<string, unknown>;
  observed: Partial<ObservedApi & { exists: true }>;
  changes: Record<string, unknown>;
}[] = [
  {
    what: "routePrefix",
    was: { routePrefix: "/api/v0" },
    observed: { path: "api/v0" },
    changes: { path: "api/v1" },
  },
  {
    what: "serviceUrl",
    was: { serviceUrl: "https://old.example.com" },
    observed: { serviceUrl: "https://old.example.com" },
    changes: { serviceUrl: "https://my-api.example.com" },
  },
  {
    what: "subscriptionRequired",
    was: { subscriptionRequired: false },
    observed: { subscriptionRequired: false },
    changes: { subscriptionRequired: true },
  },
];
for (const edit of edits) {
  Deno.test(`decideImport() patches an edited ${edit.what} and the marker's hash when the import stands`, () => {
    const held = before(edit.was);
    assert.deepEqual(
      decideImport(
        desired,
        observed({ ...edit.observed, revisionDescription: held.marker }),
        owner,
      ),
      {
        action: "patch",
        changes: edit.changes,
        ifMatch: '"e1"',
        marker: desired.marker,
      },
    );
  });
}

Deno.test("decideImport() re-imports an edit when the marker predates import hashes", () => {
  const held = before({ routePrefix: "/api/v0" });
  const decision = decideImport(
    desired,
    observed({
      path: "api/v0",
      revisionDescription: ownerMarker(owner, held.hash),
    }),
    owner,
  );
  assert.equal(decision.action, "import");
});

Deno.test("decideImport() keeps an adopted marker adopted when it patches", () => {
  const held = before({ routePrefix: "/api/v0" });
  const decision = decideImport(
    desired,
    observed({
      path: "api/v0",
      revisionDescription: ownerMarker(owner, held.hash, {
        adopted: true,
        doc: held.importHash,
      }),
    }),
    owner,
  );
  assert.equal(
    decision.action === "patch" ? decision.marker : undefined,
    ownerMarker(owner, desired.hash, {
      adopted: true,
      doc: desired.importHash,
    }),
  );
});

Deno.test("decideImport() adopts an API without a marker by importing", () => {
  const { revisionDescription: _marker, ...unmarked } = observed() as
    & ObservedApi
    & {
      exists: true;
    };
  const decision = decideImport(desired, unmarked, owner);
  assert.equal(decision.action, "import");
  assert.equal(decision.action === "import" && decision.adopted, true);
});

Deno.test("decideImport() refuses an API owned by another APIMAPI", () => {
  const theirs = ownerMarker(
    { namespace: "team-b", name: "my-api" },
    desired.hash,
  );
  const decision = decideImport(
    desired,
    observed({ revisionDescription: theirs }),
    owner,
  );
  assert.equal(decision.action, "refuse");
  assert.match(
    decision.action === "refuse" ? decision.message : "",
    /team-b\/my-api/,
  );
});

Deno.test("planLinks() adds missing links and removes only links we made before", () => {
  assert.deepEqual(
    planLinks(["a", "b"], ["b", "manual", "old"], ["old", "b"]),
    {
      add: ["a"],
      remove: ["old"],
    },
  );
  assert.deepEqual(planLinks(["a"], ["a"], ["a"]), { add: [], remove: [] });
});

Deno.test("apiHostOf() joins the proxy host and the route prefix", () => {
  assert.equal(
    apiHostOf("svc.azure-api.net", "/api/v1"),
    "https://svc.azure-api.net/api/v1",
  );
  assert.equal(
    apiHostOf("svc.azure-api.net", "api"),
    "https://svc.azure-api.net/api",
  );
});

Deno.test("versionedRoutePrefix() appends the version for the Segment scheme only", () => {
  const segment = { scheme: "Segment", apiVersion: "v2" };
  assert.equal(versionedRoutePrefix("/orders", segment), "/orders/v2");
  assert.equal(versionedRoutePrefix("/orders/", segment), "/orders/v2");
  assert.equal(
    versionedRoutePrefix("/orders", { scheme: "Header", apiVersion: "v2" }),
    "/orders",
  );
  assert.equal(
    versionedRoutePrefix("/orders", { scheme: "Segment" }),
    "/orders",
    "the set's unversioned API",
  );
  assert.equal(versionedRoutePrefix("/orders", undefined), "/orders");
});
