// End to end: Azure refusing the operator (bad credentials) or throttling it is reported, waited out, and recovered from.
import assert from "node:assert/strict";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
} from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const LABELS = { "app.kubernetes.io/name": "orders" };

Deno.test("a rejected client secret is reported with the AADSTS code on the APIMService, without a retry storm", async () => {
  await using env = await E2eEnvironment.start();
  const opNs = await env.namespace("auth-op");
  env.addService("apim-auth");
  await env.apply([apimServiceManifest(opNs, "apim", "apim-auth")]);
  const operator = env.operator({
    watchNamespaces: [opNs],
    operatorNamespace: opNs,
    extraEnv: { AZURE_CLIENT_SECRET: "not-the-secret" },
  });
  const service = await env.waitForObject(
    env.apis.apimServices,
    opNs,
    "apim",
    (s) => conditionOf(s, "Ready")?.status === "False",
    "the APIMService to report the authentication failure",
  );
  const ready = conditionOf(service, "Ready");
  assert.match(ready?.message ?? "", /AADSTS7000215/);
  assert.doesNotMatch(
    ready?.message ?? "",
    /not-the-secret/,
    "the secret never reaches status",
  );
  await env.waitForEvent(
    opNs,
    "apim",
    (e) => e.type === "Warning" && /AADSTS7000215/.test(e.note),
    "a Warning event naming AADSTS7000215",
  );
  const attempts = operator.logs.filter((l) =>
    l.msg === "Reconcile failed, backing off" &&
    l["controller"] === "apimservice"
  );
  const tokenRequests =
    env.entra.requests.filter((r) => r.path.endsWith("/oauth2/v2.0/token"))
      .length;
  assert.ok(
    tokenRequests <= 4 * Math.max(1, attempts.length),
    `token requests ${tokenRequests} per ${attempts.length} attempts`,
  );
  assert.ok(
    operator.tail(500).indexOf("not-the-secret") < 0,
    "the secret is never logged",
  );
});

Deno.test("a throttled import waits out Retry-After, reports it, and completes", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("throttle");
  const opNs = await env.namespace("throttle-op");
  env.addService("apim-throttle");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-throttle"),
    apimApiManifest(ns, "orders", {
      APIID: "orders",
      serviceUrl: app.url,
      routePrefix: "/orders",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
    }),
  ]);
  // The first write (the import PUT) is refused for longer than the client waits inside a call.
  env.apim.throttleNthWrite(1, 8);
  env.operator({ watchNamespaces: [ns, opNs], operatorNamespace: opNs });
  await deployReadyWorkload(env, ns, "orders", LABELS);
  const throttledApi = await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    (a) =>
      conditionOf(a, "Reconciling")?.status === "True" &&
      /429|throttl|too many/i.test(conditionOf(a, "Ready")?.message ?? ""),
    "the APIMAPI to report the throttling",
  );
  assert.equal(
    conditionOf(throttledApi, "Stalled"),
    undefined,
    "throttling is not permanent",
  );
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    isReady,
    "the API to become Ready after the wait",
    60_000,
  );

  const writes = env.apim.selectRequests({ kind: "write" });
  const refused = writes.find((w) => w.throttled);
  assert.ok(refused, "a write was throttled");
  const after = writes.filter((w) => w.at > refused.at);
  assert.ok(after.length > 0);
  assert.ok(
    after.every((w) => w.at >= refused.at + 8_000),
    `no write before Retry-After expired: ${
      after.map((w) => w.at - refused.at)
    }`,
  );
  await env.waitForEvent(
    ns,
    "orders",
    (e) => e.type === "Warning",
    "a Warning event about the throttling",
  );
});
