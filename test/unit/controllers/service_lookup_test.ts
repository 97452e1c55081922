// Unit tests for resolvesTo: which objects an APIMService that came or went concerns.
import assert from "node:assert/strict";
import type { ApimService } from "../../../src/crd/apim_service.ts";
import type { OperatorContext } from "../../../src/controllers/operator_context.ts";
import { resolvesTo } from "../../../src/controllers/service_lookup.ts";

const OPERATOR_NS = "apim-system";

function service(namespace: string, name = "apim"): ApimService {
  return { metadata: { namespace, name } } as ApimService;
}

const cases: {
  name: string;
  /** The APIMServices the cache holds (the changed one may be gone). */
  cached: ApimService[];
  changed: ApimService;
  object: { namespace: string; apimService: string };
  concerned: boolean;
}[] = [
  {
    name: "its own namespace's service",
    cached: [],
    changed: service("shop"),
    object: { namespace: "shop", apimService: "apim" },
    concerned: true,
  },
  {
    name: "a service of another name",
    cached: [],
    changed: service("shop", "other"),
    object: { namespace: "shop", apimService: "apim" },
    concerned: false,
  },
  {
    name: "a same-named service in an unrelated namespace",
    cached: [],
    changed: service("billing"),
    object: { namespace: "shop", apimService: "apim" },
    concerned: false,
  },
  {
    name: "the operator namespace's service while its namespace has none",
    cached: [],
    changed: service(OPERATOR_NS),
    object: { namespace: "shop", apimService: "apim" },
    concerned: true,
  },
  {
    name: "the operator namespace's service while its namespace has its own",
    cached: [service("shop")],
    changed: service(OPERATOR_NS),
    object: { namespace: "shop", apimService: "apim" },
    concerned: false,
  },
];

for (const c of cases) {
  Deno.test(`resolvesTo(): ${c.name}`, () => {
    const ctx = {
      settings: { operatorNamespace: OPERATOR_NS },
      caches: {
        apimServices: {
          get: (namespace: string, name: string) =>
            c.cached.find((s) =>
              s.metadata.namespace === namespace && s.metadata.name === name
            ),
        },
      },
    } as unknown as OperatorContext;
    const object = {
      metadata: { namespace: c.object.namespace },
      spec: { apimService: c.object.apimService },
    };
    assert.equal(resolvesTo(ctx, object, c.changed), c.concerned);
  });
}
