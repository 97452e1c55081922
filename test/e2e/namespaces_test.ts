// End to end: APIMAPIs in different namespaces are handled independently, and a duplicate API id is reported, not fought over.
import assert from "node:assert/strict";
import { DocumentServer, fixtureDocument } from "../support/document_server.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "../support/manifests.ts";
import { deployReadyWorkload } from "../support/workload.ts";

const LABELS = { "app.kubernetes.io/name": "orders" };

Deno.test("APIMAPIs in two namespaces register independently; a later claim on the same APIID is reported", async () => {
  await using env = await E2eEnvironment.start();
  const teamA = await env.namespace("team-a");
  const teamB = await env.namespace("team-b");
  const opNs = await env.namespace("teams-op");
  const service = env.addService("apim-teams");
  await using app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await using broken = new DocumentServer({
    kind: "document",
    body: "<html>maintenance</html>",
    contentType: "text/html",
  });
  const api = (apiId: string, route: string, url: string) => ({
    APIID: apiId,
    serviceUrl: url,
    routePrefix: route,
    openApiDefinitionUrl: "/openapi.json",
    apimService: "apim",
  });
  // The APIMService lives in the operator namespace; both teams refer to it by name.
  await env.apply([
    apimServiceManifest(opNs, "apim", "apim-teams"),
    apimApiManifest(teamA, "orders", api("orders-a", "/a/orders", app.url)),
    apimApiManifest(teamB, "orders", api("orders-b", "/b/orders", app.url)),
    apimApiManifest(
      teamB,
      "reports",
      api("reports-b", "/b/reports", broken.url),
      {
        labels: { team: "b" },
      },
    ),
  ]);
  env.operator({
    watchNamespaces: [teamA, teamB, opNs],
    operatorNamespace: opNs,
  });
  await deployReadyWorkload(env, teamA, "orders", LABELS);
  await deployReadyWorkload(env, teamB, "orders", LABELS);
  await deployReadyWorkload(env, teamB, "reports", {
    "app.kubernetes.io/name": "reports",
  });

  await env.waitForObject(
    env.apis.apimApis,
    teamA,
    "orders",
    isReady,
    "team A's API",
  );
  await env.waitForObject(
    env.apis.apimApis,
    teamB,
    "orders",
    isReady,
    "team B's API, despite B's broken reports API",
  );
  await env.waitForObject(
    env.apis.apimApis,
    teamB,
    "reports",
    readyReason("InvalidOpenAPI"),
    "team B's broken API to report its document",
  );
  assert.equal(
    service.currentRevision("orders-a")?.properties.path,
    "a/orders",
  );
  assert.equal(
    service.currentRevision("orders-b")?.properties.path,
    "b/orders",
  );

  // Team B now claims team A's API id: reported on the newer APIMAPI, team A's API untouched.
  const writesBefore = env.apim.writes({ path: /\/apis\/orders-a$/ });
  await env.apply([
    apimApiManifest(teamB, "thief", api("orders-a", "/b/thief", app.url)),
  ]);
  await deployReadyWorkload(env, teamB, "thief", {
    "app.kubernetes.io/name": "thief",
  });
  const thief = await env.waitForObject(
    env.apis.apimApis,
    teamB,
    "thief",
    readyReason("APIIDConflict"),
    "the conflicting APIMAPI to be reported",
  );
  assert.match(
    conditionOf(thief, "Ready")?.message ?? "",
    new RegExp(`APIMAPI "${teamA}/orders"`),
  );
  assert.equal(conditionOf(thief, "Stalled")?.status, "True");
  assert.equal(
    env.apim.writes({ path: /\/apis\/orders-a$/ }),
    writesBefore,
    "team A's API was not written",
  );
  assert.equal(
    service.currentRevision("orders-a")?.properties.path,
    "a/orders",
  );
  assert.ok(
    isReady(await env.apis.apimApis.get("orders", { namespace: teamA })),
  );
});
