// End to end: small things that users hit — link ids in another case, ARM messages longer than a condition holds.
import assert from "node:assert/strict";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import { apimApiManifest } from "../support/manifests.ts";
import { apiSpec, registerApi, startScenario } from "../support/scenario.ts";
import { deployReadyWorkload, makeRolloutReady } from "../support/workload.ts";

Deno.test("product and tag ids match API Management's case-insensitively: an unchanged rollout writes nothing", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "case");
  s.service.createProduct("gold");
  s.service.createTag("team");
  await registerApi(s, "petstore", { productIds: ["GOLD"], tagIds: ["Team"] });
  assert.deepEqual(s.service.productApis("gold"), ["petstore"]);
  const writes = env.apim.writes();

  await env.apis.deployments.mergePatch("petstore", {
    spec: {
      template: { spec: { containers: [{ name: "api", image: "v2" }] } },
    },
  }, { namespace: s.ns });
  const rs = await makeRolloutReady(env, s.ns, "petstore", {
    "app.kubernetes.io/name": "petstore",
  });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      isReady(a) &&
      ((a["status"] as { registeredReplicaSet?: { name?: string } })
        .registeredReplicaSet?.name === rs.metadata?.name),
    "the unchanged rollout registered",
  );
  assert.equal(env.apim.writes(), writes, "no link was written again");
});

Deno.test("an ARM error longer than a condition message can hold is shortened, not lost", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "long");
  env.apim.failNextImport({
    code: "ValidationError",
    message: `One or more fields contain incorrect values: ${
      "x".repeat(40_000)
    }`,
  });
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  await deployReadyWorkload(env, s.ns, "petstore", {
    "app.kubernetes.io/name": "petstore",
  });
  const api = await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    readyReason("ValidationError"),
    "the import failure in the Ready condition",
  );
  const message = conditionOf(api, "Ready")?.message ?? "";
  assert.ok(message.length <= 32_768, `${message.length} characters`);
  assert.match(message, /^One or more fields contain incorrect values: x+…$/);
});
