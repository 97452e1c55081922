// End to end: two Deployments share the name label (a Helm chart's api and worker); each is judged on its own.
import assert from "node:assert/strict";
import { fixtureDocument } from "../support/document_server.ts";
import { E2eEnvironment, isReady } from "../support/e2e_environment.ts";
import { apimApiManifest } from "../support/manifests.ts";
import {
  apiSpec,
  type Scenario,
  startScenario,
  statusOf,
} from "../support/scenario.ts";
import { deployReadyWorkload, makeRolloutReady } from "../support/workload.ts";

const NAME = { "app.kubernetes.io/name": "petstore" };
const API = { ...NAME, "app.kubernetes.io/component": "api" };
const WORKER = { ...NAME, "app.kubernetes.io/component": "worker" };

async function setImage(
  s: Scenario,
  deployment: string,
  labels: Record<string, string>,
  image: string,
): Promise<string> {
  await s.env.apis.deployments.mergePatch(deployment, {
    spec: {
      template: { spec: { containers: [{ name: "api", image }] } },
    },
  }, { namespace: s.ns });
  const rs = await makeRolloutReady(s.env, s.ns, deployment, labels);
  return rs.metadata?.name ?? "";
}

async function registered(s: Scenario, replicaSet: string): Promise<void> {
  await s.env.waitForObject(
    s.env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      isReady(a) &&
      (statusOf(a)["registeredReplicaSet"] as { name?: string })?.name ===
        replicaSet,
    `the rollout ${replicaSet} registered`,
    90_000,
  );
}

function operations(s: Scenario): string[] {
  return (s.service.currentRevision("petstore")?.operations ?? [])
    .map((o) => o.name.toLowerCase()).sort();
}

Deno.test("the api's new rollout is imported although a worker sharing its name label has a higher revision, or is scaled to zero", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "helm");
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  await deployReadyWorkload(env, s.ns, "petstore-worker", WORKER, {
    image: "worker:1",
  });
  await setImage(s, "petstore-worker", WORKER, "worker:2");
  await setImage(s, "petstore-worker", WORKER, "worker:3");
  const api1 = await deployReadyWorkload(env, s.ns, "petstore-api", API, {
    image: "api:1",
  });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    isReady,
    "the first registration",
    90_000,
  );
  assert.ok(api1.metadata?.name);

  s.app.serve(await fixtureDocument("petstore-v2.json"));
  const api2 = await setImage(s, "petstore-api", API, "api:2");
  await registered(s, api2);
  assert.deepEqual(
    operations(s),
    ["createpet", "deletepet", "listpets", "showpetbyid"],
    "the api's revision-2 rollout was imported past the worker's revision 3",
  );
  const notes = s.service.api("petstore")?.releases ?? [];
  assert.equal(notes.length, 0, "in-place mode releases nothing");

  // A worker scaled to zero neither blocks nor counts.
  await env.apis.deployments.mergePatch("petstore-worker", {
    spec: { replicas: 0 },
  }, { namespace: s.ns });
  s.app.serve(await fixtureDocument("petstore.json"));
  const api3 = await setImage(s, "petstore-api", API, "api:3");
  await registered(s, api3);
  assert.deepEqual(operations(s), ["createpet", "listpets", "showpetbyid"]);
  const api = await env.apis.apimApis.find("petstore", { namespace: s.ns });
  const workloads = statusOf(api)["workloads"] as Array<
    { owner: string; ready: boolean }
  >;
  assert.deepEqual(
    workloads.map((w) => [w.owner, w.ready]),
    [["Deployment/petstore-api", true], ["Deployment/petstore-worker", false]],
    "status names both matched workloads",
  );
});

Deno.test("a workload that becomes ready while another's import runs has its document imported after it", async () => {
  await using env = await E2eEnvironment.start({
    knobs: {
      importPolls: 1_000,
      importDurationMs: 5_000,
      pollRetryAfterSeconds: 1,
    },
  });
  await using s = await startScenario(env, "twoready");
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  await deployReadyWorkload(env, s.ns, "petstore-api", API, { image: "api:1" });
  await deployReadyWorkload(env, s.ns, "petstore-worker", WORKER, {
    image: "worker:1",
  });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    isReady,
    "the first registration",
    90_000,
  );

  s.app.serve(await fixtureDocument("petstore-v2.json"));
  await setImage(s, "petstore-worker", WORKER, "worker:2");
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      (statusOf(a)["pendingOperation"] as { url?: string } | undefined)
        ?.url !== undefined,
    "the worker rollout's import running",
  );
  // The api's rollout becomes ready meanwhile; from now on the app serves its document.
  s.app.serve(await fixtureDocument("petstore-renamed.json"));
  const api2 = await setImage(s, "petstore-api", API, "api:2");
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      isReady(a) &&
      (statusOf(a)["registeredReplicaSets"] as { name: string }[] | undefined)
          ?.some((r) => r.name === api2) === true &&
      statusOf(a)["pendingOperation"] === undefined &&
      operations(s).includes("listowners"),
    "the api rollout's document in API Management",
    90_000,
  );
});
