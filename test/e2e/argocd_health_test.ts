// The README's Argo CD health script on APIMAPIs of a real run: Ready, waiting, stalled, and an unobserved generation.
import assert from "node:assert/strict";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import {
  readmeHealthScript,
  runHealthScript,
} from "../support/argocd_health.ts";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
} from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const WORKLOAD = { "app.kubernetes.io/name": "health-workload" };

Deno.test("the README's Argo CD health script reads Healthy, Progressing and Degraded from real APIMAPIs", async () => {
  const script = await readmeHealthScript();
  await using env = await E2eEnvironment.start();
  const ns = await env.namespace("health");
  const opNs = await env.namespace("health-op");
  env.addService("apim-health");
  await using good = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await using html = new DocumentServer({
    kind: "document",
    body: "<!DOCTYPE html><html><body>Login</body></html>",
    contentType: "text/html",
  });
  const api = (name: string, url: string, extra = {}) =>
    apimApiManifest(ns, name, {
      APIID: name,
      serviceUrl: url,
      routePrefix: `/${name}`,
      openApiDefinitionUrl: "/openapi.json",
      apimService: "apim",
      target: { selector: { matchLabels: WORKLOAD } },
      ...extra,
    });
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-health"),
    api("ready", good.url),
    api("stalled", html.url),
    api("waiting", good.url, { apimService: "does-not-exist" }),
  ]);
  const operator = env.operator({
    watchNamespaces: [ns, opNs],
    operatorNamespace: opNs,
  });
  await deployReadyWorkload(env, ns, "health-workload", WORKLOAD);

  const wait = (name: string, done: (o: GenericObject) => boolean) =>
    env.waitForObject(env.apis.apimApis, ns, name, done, `APIMAPI ${name}`);
  const ready = await wait("ready", isReady);
  const stalled = await wait(
    "stalled",
    (o) => conditionOf(o, "Stalled")?.status === "True",
  );
  const waiting = await wait(
    "waiting",
    (o) => conditionOf(o, "Reconciling")?.reason === "APIMServiceNotFound",
  );
  const service = await env.waitForObject(
    env.apis.apimServices,
    opNs,
    "apim",
    isReady,
    "APIMService apim",
  );

  assert.equal((await runHealthScript(script, ready)).status, "Healthy");
  assert.equal((await runHealthScript(script, service)).status, "Healthy");
  assert.deepEqual(await runHealthScript(script, stalled), {
    status: "Degraded",
    message: `InvalidOpenAPI: ${conditionOf(stalled, "Stalled")?.message}`,
  });
  assert.deepEqual(await runHealthScript(script, waiting), {
    status: "Progressing",
    message: `APIMServiceNotFound: ${
      conditionOf(waiting, "Reconciling")?.message
    }`,
  });

  // A spec change the operator has not seen yet (it is stopped): a new generation, not yet observed.
  await operator.stop();
  await env.apply([api("ready", good.url, { displayName: "Renamed" })]);
  const changed = await env.apis.apimApis.find("ready", { namespace: ns });
  assert.ok(changed);
  assert.equal(changed.metadata?.generation, 2);
  assert.ok(isReady(changed), "still Ready for generation 1");
  assert.deepEqual(await runHealthScript(script, changed), {
    status: "Progressing",
    message: "Waiting for the operator to observe generation 2",
  });
  // Before the operator wrote any status.
  const fresh = { ...changed, status: undefined };
  assert.equal((await runHealthScript(script, fresh)).status, "Progressing");
});
