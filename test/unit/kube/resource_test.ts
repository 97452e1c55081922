// Unit tests of resource path building.

import assert from "node:assert/strict";
import {
  configMaps,
  leases,
  namespaces,
} from "../../../src/kube/builtin_resources.ts";
import { apiVersionOf, resourcePath } from "../../../src/kube/resource.ts";

Deno.test("resourcePath builds core, group, namespaced and cluster paths", () => {
  assert.equal(resourcePath(configMaps), "/api/v1/configmaps");
  assert.equal(
    resourcePath(configMaps, { namespace: "ns" }),
    "/api/v1/namespaces/ns/configmaps",
  );
  assert.equal(
    resourcePath(configMaps, {
      namespace: "ns",
      name: "cm",
      subresource: "status",
    }),
    "/api/v1/namespaces/ns/configmaps/cm/status",
  );
  assert.equal(
    resourcePath(leases, { namespace: "kube-system", name: "op" }),
    "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/op",
  );
  assert.equal(resourcePath(namespaces, { name: "a" }), "/api/v1/namespaces/a");
  assert.equal(apiVersionOf(configMaps), "v1");
  assert.equal(apiVersionOf(leases), "coordination.k8s.io/v1");
});

Deno.test("resourcePath percent-encodes names and rejects path tricks", () => {
  assert.equal(
    resourcePath(configMaps, { namespace: "n s", name: "a/b?c#d" }),
    "/api/v1/namespaces/n%20s/configmaps/a%2Fb%3Fc%23d",
  );
  assert.throws(
    () => resourcePath(configMaps, { namespace: "ns", name: ".." }),
    TypeError,
  );
  assert.throws(
    () => resourcePath(configMaps, { namespace: "", name: "x" }),
    TypeError,
  );
  assert.throws(() => resourcePath(configMaps, { name: "x" }), /namespaced/);
  assert.throws(
    () => resourcePath(namespaces, { namespace: "x" }),
    /cluster-scoped/,
  );
  assert.throws(
    () => resourcePath(configMaps, { namespace: "x", subresource: "status" }),
    /needs an object name/,
  );
});
