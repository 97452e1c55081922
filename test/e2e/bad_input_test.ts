// End to end: every kind of bad input ends in a clear condition and an Event, backs off, and never spins.
import assert from "node:assert/strict";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const WORKLOAD = { "app.kubernetes.io/name": "shared-workload" };

/** One bad input: how its APIMAPI is set up, and the condition it must end in. */
interface Case {
  name: string;
  spec: (servers: Servers) => Record<string, unknown>;
  reason: string;
  message: RegExp;
  /** Ready=False with Stalled=True (permanent) rather than Reconciling=True (retried). */
  stalled: boolean;
}

interface Servers {
  good: DocumentServer;
  html: DocumentServer;
  invalid: DocumentServer;
  duplicates: DocumentServer;
  large: DocumentServer;
}

function spec(
  url: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    serviceUrl: url,
    routePrefix: `/${crypto.randomUUID().slice(0, 8)}`,
    openApiDefinitionUrl: "/openapi.json",
    apimService: "apim",
    target: { selector: { matchLabels: WORKLOAD } },
    ...overrides,
  };
}

const CASES: Case[] = [
  {
    name: "no-service",
    spec: (s) => spec(s.good.url, { apimService: "does-not-exist" }),
    reason: "APIMServiceNotFound",
    message: /APIMService "does-not-exist" was not found/,
    stalled: false,
  },
  {
    name: "no-product",
    spec: (s) => spec(s.good.url, { productIds: ["ghost"] }),
    reason: "ProductNotFound",
    message: /Product "ghost" does not exist/,
    stalled: false,
  },
  {
    name: "unreachable",
    spec: () =>
      spec("http://127.0.0.1:9", {
        openApiDefinitionUrl: "http://127.0.0.1:9/openapi.json",
      }),
    reason: "OpenAPIUnreachable",
    message:
      /Fetching the OpenAPI document "http:\/\/127\.0\.0\.1:9\/openapi\.json" failed/,
    stalled: false,
  },
  {
    name: "html",
    spec: (s) => spec(s.html.url),
    reason: "InvalidOpenAPI",
    message: /HTML, not an OpenAPI document/,
    stalled: true,
  },
  {
    name: "not-openapi",
    spec: (s) => spec(s.invalid.url),
    reason: "InvalidOpenAPI",
    message: /Invalid OpenAPI document/,
    stalled: true,
  },
  {
    name: "too-large",
    spec: (s) => spec(s.large.url),
    reason: "OpenAPITooLarge",
    message: /failed/,
    stalled: true,
  },
  {
    name: "duplicates",
    spec: (s) => spec(s.duplicates.url),
    reason: "DuplicateOperations",
    message: /GET \/submissions\/\{\}/,
    stalled: true,
  },
  {
    name: "arm-validation",
    spec: (s) => spec(s.good.url),
    reason: "ValidationError",
    message: /serviceUrl: The backend URL is not allowed/,
    stalled: true,
  },
  {
    name: "forbidden",
    spec: (s) => spec(s.good.url),
    reason: "AuthorizationFailed",
    message: /does not have authorization to perform action/,
    stalled: true,
  },
];

function documentFetches(servers: Servers): Record<string, number> {
  return Object.fromEntries(
    Object.entries(servers).map(([k, v]) => [k, v.fetches]),
  );
}

Deno.test("each bad input ends in a clear condition and an Event, without a hot loop", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("bad");
  const opNs = await env.namespace("bad-op");
  env.addService("apim-bad");
  const petstore = await fixtureDocument("petstore.json");
  await using good = new DocumentServer({
    kind: "document",
    body: petstore,
    contentType: "application/json",
  });
  await using html = new DocumentServer({
    kind: "document",
    body: "<!DOCTYPE html><html><body>Login</body></html>",
    contentType: "text/html",
  });
  await using invalid = new DocumentServer({
    kind: "document",
    body: '{"hello": "world"}',
    contentType: "application/json",
  });
  await using duplicates = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("duplicate-operations.json"),
    contentType: "application/json",
  });
  const padded = JSON.parse(petstore);
  padded.info.description = "x".repeat(4096);
  await using large = new DocumentServer({
    kind: "document",
    body: JSON.stringify(padded),
    contentType: "application/json",
  });
  const servers: Servers = { good, html, invalid, duplicates, large };
  env.apim.injectFault({
    method: "PUT",
    path: /\/apis\/arm-validation$/,
    status: 400,
    times: 1_000,
    body: {
      error: {
        code: "ValidationError",
        message: "One or more fields contain incorrect values:",
        details: [{
          code: "ValidationError",
          target: "serviceUrl",
          message: "The backend URL is not allowed",
        }],
      },
    },
  });
  env.apim.injectFault({
    method: "PUT",
    path: /\/apis\/forbidden$/,
    status: 403,
    times: 1_000,
    body: {
      error: {
        code: "AuthorizationFailed",
        message:
          "The client '0b1e3c57' with object id 'x' does not have authorization to perform action 'Microsoft.ApiManagement/service/apis/write' over scope '/subscriptions/x' or the scope is invalid.",
      },
    },
  });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-bad"),
    ...CASES.map((c) =>
      apimApiManifest(ns, c.name, { APIID: c.name, ...c.spec(servers) })
    ),
  ]);
  const operator = env.operator({
    watchNamespaces: [ns, opNs],
    operatorNamespace: opNs,
    extraArgs: ["--openapi-max-bytes=2048"],
  });
  await deployReadyWorkload(env, ns, "shared-workload", WORKLOAD);

  const settled: Record<string, GenericObject> = {};
  for (const c of CASES) {
    settled[c.name] = await env.waitForObject(
      env.apis.apimApis,
      ns,
      c.name,
      readyReason(c.reason),
      `APIMAPI ${c.name} to report ${c.reason}`,
    );
  }
  for (const c of CASES) {
    const api = settled[c.name]!;
    const ready = conditionOf(api, "Ready");
    assert.equal(ready?.status, "False", c.name);
    assert.match(ready?.message ?? "", c.message, c.name);
    assert.equal(
      conditionOf(api, "Stalled")?.status,
      c.stalled ? "True" : undefined,
      c.name,
    );
    assert.equal(
      conditionOf(api, "Reconciling")?.status,
      c.stalled ? undefined : "True",
      c.name,
    );
    if (c.stalled) {
      assert.equal(
        (api["status"] as { status?: string }).status,
        "Error",
        c.name,
      );
    }
    await env.waitForEvent(
      ns,
      c.name,
      (e) => e.type === "Warning" && e.reason === c.reason,
      `${c.name}: a Warning event ${c.reason}`,
    );
  }
  assert.equal(
    env.apim.countRequests({ method: "PUT", path: /\/apis\/duplicates$/ }),
    0,
    "no import of a document with duplicate operations",
  );

  // No hot loop: permanent failures are not retried, and retried ones back off (growing delays).
  const fetchesWhenSettled = documentFetches(servers);
  for (const server of ["html", "invalid", "duplicates", "large"] as const) {
    assert.equal(
      fetchesWhenSettled[server],
      1,
      `${server}: fetched once, then left alone`,
    );
  }
  assert.equal(
    env.apim.countRequests({
      method: "PUT",
      path: /\/apis\/(arm-validation|forbidden)$/,
    }),
    2,
  );
  const delays = operator.logs
    .filter((l) =>
      l.msg === "Reconcile failed, backing off" &&
      l["key"] === `${ns}/unreachable`
    )
    .map((l) => Number(l["delayMs"]));
  assert.ok(
    delays.length >= 2,
    `retries of the unreachable document were logged: ${delays}`,
  );
  assert.ok(
    delays.every((d, i) => i === 0 || d > delays[i - 1]! * 1.2),
    `growing delays ${delays}`,
  );

  // The good document behind all these failures still gets through once the input is fixed.
  await env.apis.apimApis.mergePatch("no-service", {
    spec: { apimService: "apim" },
  }, { namespace: ns });
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "no-service",
    isReady,
    "the fixed APIMAPI to become Ready",
  );
});
