// End to end: policies re-applied after a new revision resets them, APIM's validation message in the condition,
// and an APIMAPI's inline policy (and its conflict with an APIMInboundPolicy).
import assert from "node:assert/strict";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import {
  apimApiManifest,
  apimInboundPolicyManifest,
  apimServiceManifest,
} from "../support/manifests.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload, makeRolloutReady } from "../support/workload.ts";

const LABELS = { "app.kubernetes.io/name": "orders" };

/** A rawxml policy: its expression holds `=>` and `<`, which the xml format would need escaped. */
const RAW_POLICY =
  '<policies><inbound><base /><set-header name="X-Short-Headers" exists-action="override"><value>@(context.Request.Headers.Count(h => h.Key.Length < 8).ToString())</value></set-header></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>';

const OPERATION_POLICY =
  '<policies><inbound><base /><rate-limit calls="10" renewal-period="60" /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>';

function revisionOf(api: GenericObject): string | undefined {
  return (api["status"] as { currentRevision?: string } | undefined)
    ?.currentRevision;
}

Deno.test("a new revision goes live with the policies (API Management starts it without them), and an invalid one shows APIM's message", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("pol");
  const opNs = await env.namespace("pol-op");
  const service = env.addService("apim-pol");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-pol"),
    apimApiManifest(ns, "orders", {
      APIID: "orders",
      serviceUrl: app.url,
      routePrefix: "/orders",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      revisions: { mode: "NewRevision", keep: 2 },
    }),
    apimInboundPolicyManifest(ns, "orders-policy", {
      apimService: "apim",
      apiId: "orders",
      policyContent: RAW_POLICY,
      format: "rawxml",
    }),
    apimInboundPolicyManifest(ns, "list-pets-policy", {
      apimService: "apim",
      apiId: "orders",
      operationId: "listPets",
      policyContent: OPERATION_POLICY,
    }),
  ]);
  env.operator({ watchNamespaces: [ns, opNs], operatorNamespace: opNs });
  await deployReadyWorkload(env, ns, "orders", LABELS, { image: "orders:1" });
  for (const name of ["orders-policy", "list-pets-policy"]) {
    await env.waitForObject(
      env.apis.apimInboundPolicies,
      ns,
      name,
      isReady,
      `${name} applied to revision 1`,
    );
  }
  assert.match(
    service.currentRevision("orders")?.policy ?? "",
    /h =&gt; h\.Key\.Length &lt; 8/,
    "the expression stored as API Management escapes it",
  );

  // Revision 2 is imported without sourceApiId, so it starts from the default policy everywhere:
  // the registration puts both policies on it before the release makes it current.
  app.serve(await fixtureDocument("petstore-v2.json"));
  await env.apis.deployments.mergePatch("orders", {
    spec: {
      template: { spec: { containers: [{ name: "api", image: "orders:2" }] } },
    },
  }, { namespace: ns });
  await makeRolloutReady(env, ns, "orders", LABELS);
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    (a) => isReady(a) && revisionOf(a) === "2",
    "revision 2 released",
  );
  const release = service.api("orders")?.releases.find((r) =>
    r.apiId.endsWith(";rev=2")
  );
  assert.deepEqual(
    release?.wentLiveWith,
    { apiPolicy: true, operationPolicies: ["listPets"] },
    "revision 2 went live with both policies",
  );
  const current = service.currentRevision("orders");
  assert.match(current?.policy ?? "", /X-Short-Headers/);
  assert.match(
    service.operationPolicy("orders", "listPets") ?? "",
    /rate-limit/,
  );

  // A policy API Management refuses: its validation message, verbatim, in the condition.
  await env.apply([
    apimInboundPolicyManifest(ns, "list-pets-policy", {
      apimService: "apim",
      apiId: "orders",
      operationId: "listPets",
      policyContent: "<policies><inbound><base /></policies>",
    }),
  ]);
  const refused = await env.waitForObject(
    env.apis.apimInboundPolicies,
    ns,
    "list-pets-policy",
    (p) => conditionOf(p, "Stalled")?.status === "True",
    "the invalid policy stalled",
  );
  assert.equal(conditionOf(refused, "Ready")?.reason, "ValidationError");
  assert.equal(
    conditionOf(refused, "Ready")?.message,
    "One or more fields contain incorrect values: inbound: Error in element 'inbound' on line 1, column 28: The 'inbound' start tag does not match the end tag of 'policies'.",
  );
  assert.equal(
    (refused["status"] as Record<string, unknown>)["phase"],
    "Error",
  );
});

Deno.test("an APIMAPI's inline policy is applied with the API; an APIMInboundPolicy for the same API is refused on both sides", async () => {
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("inline");
  const opNs = await env.namespace("inline-op");
  const service = env.addService("apim-inline");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  const api = (policy: Record<string, unknown> | undefined) =>
    apimApiManifest(ns, "orders", {
      APIID: "orders",
      serviceUrl: app.url,
      routePrefix: "/orders",
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      ...(policy ? { policy } : {}),
    });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-inline"),
    api({ policyContent: OPERATION_POLICY }),
  ]);
  env.operator({
    watchNamespaces: [ns, opNs],
    operatorNamespace: opNs,
    extraArgs: ["--resync-period=2s"],
  });
  await deployReadyWorkload(env, ns, "orders", LABELS);
  const applied = await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    (a) => conditionOf(a, "PolicyApplied")?.status === "True",
    "the inline policy applied",
  );
  assert.ok(isReady(applied));
  assert.match(service.currentRevision("orders")?.policy ?? "", /rate-limit/);

  // Reset in the portal: set back at the next resync.
  service.setApiPolicy("orders", null);
  await waitFor(
    () =>
      Promise.resolve(
        /rate-limit/.test(service.currentRevision("orders")?.policy ?? "")
          ? true
          : undefined,
      ),
    { description: "the inline policy restored", timeoutMs: 60_000 },
  );

  // The same API's policy also as a resource: neither is applied, both say why.
  await env.apply([
    apimInboundPolicyManifest(ns, "orders-policy", {
      apimService: "apim",
      apiId: "orders",
      policyContent: RAW_POLICY,
      format: "rawxml",
    }),
  ]);
  const refused = await env.waitForObject(
    env.apis.apimInboundPolicies,
    ns,
    "orders-policy",
    readyReason("PolicyConflict"),
    "the APIMInboundPolicy refused",
  );
  assert.match(
    conditionOf(refused, "Ready")?.message ?? "",
    /APIMAPI ".*\/orders" sets the policy of API "orders" inline \(spec\.policy\); remove one of the two/,
  );
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    (a) => conditionOf(a, "PolicyApplied")?.reason === "PolicyConflict",
    "the inline policy refused",
  );
  assert.match(service.currentRevision("orders")?.policy ?? "", /rate-limit/);

  // spec.policy removed: the resource takes over the API's policy.
  await env.apis.apimApis.jsonPatch("orders", [
    { op: "remove", path: "/spec/policy" },
  ], { namespace: ns });
  await env.waitForObject(
    env.apis.apimInboundPolicies,
    ns,
    "orders-policy",
    isReady,
    "the APIMInboundPolicy applied",
  );
  assert.match(
    service.currentRevision("orders")?.policy ?? "",
    /X-Short-Headers/,
  );
  await env.waitForObject(
    env.apis.apimApis,
    ns,
    "orders",
    (a) => conditionOf(a, "PolicyApplied") === undefined,
    "the PolicyApplied condition gone with spec.policy",
  );
  assert.match(
    service.currentRevision("orders")?.policy ?? "",
    /X-Short-Headers/,
    "removing spec.policy did not reset the resource's policy",
  );
});
