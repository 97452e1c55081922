// End to end: the operator recovers from what goes wrong later — failed drift checks, long downtimes, failed deletes.
import assert from "node:assert/strict";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import {
  applyWithWorkload,
  importPuts,
  registerApi,
  type Scenario,
  startScenario,
  statusOf,
} from "../support/scenario.ts";
import { waitFor } from "../support/wait.ts";

const DELETE_FAILURE = {
  status: 400,
  code: "ValidationError",
  message: "The API could not be deleted: a dependent operation failed.",
};

/** DELETEs of the API that API Management accepted. */
function deletes(s: Scenario, apiId: string): number {
  return s.env.apim.selectRequests({
    method: "DELETE",
    path: new RegExp(`/apis/${apiId}$`),
  }).filter((r) => r.status < 300).length;
}

/** Waits until petstore is Ready and linked to the product gold. */
async function readyAndLinked(s: Scenario, description: string) {
  await s.env.waitForObject(
    s.env.apis.apimApis,
    s.ns,
    "petstore",
    (a) => isReady(a) && s.service.productApis("gold").includes("petstore"),
    description,
    90_000,
  );
}

Deno.test("a drift check that fails keeps its schedule, shows the error, and repairs once the cause is gone", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "drifterr", {
    extraArgs: ["--resync-period=2s"],
  });
  s.service.createProduct("gold");
  await registerApi(s, "petstore", { productIds: ["gold"] });

  // Someone deletes the product in the portal: re-linking fails until it is back.
  s.service.deleteProduct("gold");
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      conditionOf(a, "Ready")?.message.startsWith("The drift check failed") ===
        true,
    "the failed drift check in status",
  );
  await env.waitForEvent(
    s.ns,
    "petstore",
    (e) => e.type === "Warning" && e.reason === "DriftCheckFailed",
    "a DriftCheckFailed Warning",
  );
  s.service.createProduct("gold");
  await readyAndLinked(s, "the link restored by a later check");
});

Deno.test("an API removed in the portal after its import, while its links wait for a product, is imported again", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "gonelink");
  await applyWithWorkload(s, "petstore", { productIds: ["gold"] });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    readyReason("ProductNotFound"),
    "the import done and its link waiting for the product",
  );

  // The API goes in the portal; then the product appears: only the API is missing now.
  assert.ok(s.service.deleteApi("petstore"));
  s.service.createProduct("gold");
  await readyAndLinked(s, "the API imported again and linked");
  assert.equal(importPuts(env, "petstore", true), 2, "imported once more");
});

Deno.test("a registration whose APIMAPIDeployment delete was refused deletes it once the API server allows it (drift checks wait for that)", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "keptrecord");
  // The API server refuses the record's delete (as a cut request leaves it: not deleted).
  const name = `deny-deployment-delete-${s.ns}`;
  await env.apply([{
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [{
          apiGroups: ["apim.operator.io"],
          apiVersions: ["*"],
          operations: ["DELETE"],
          resources: ["apimapideployments"],
        }],
      },
      validations: [{ expression: "false", message: "deletes refused" }],
    },
  }, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name },
    spec: {
      policyName: name,
      validationActions: ["Deny"],
      matchResources: {
        namespaceSelector: {
          matchLabels: { "kubernetes.io/metadata.name": s.ns },
        },
      },
    },
  }]);
  await registerApi(s, "petstore");
  assert.ok(
    await env.apis.apimApiDeployments.find("petstore", { namespace: s.ns }),
    "the record's delete was refused",
  );

  for (
    const kind of [
      "validatingadmissionpolicybindings",
      "validatingadmissionpolicies",
    ]
  ) {
    const response = await env.plane.request(
      "DELETE",
      `/apis/admissionregistration.k8s.io/v1/${kind}/${name}`,
    );
    assert.ok(response.status < 300, `${kind} deleted`);
  }
  await env.waitForGone(
    env.apis.apimApiDeployments,
    s.ns,
    "petstore",
    "the APIMAPIDeployment deleted once the API server allows it",
  );
});

Deno.test("an import that finished while the operator was down longer than the import budget is polled and registered", async () => {
  await using env = await E2eEnvironment.start({
    knobs: {
      importPolls: 1_000,
      importDurationMs: 5_000,
      pollRetryAfterSeconds: 1,
    },
  });
  await using s = await startScenario(env, "downtime", {
    extraArgs: ["--import-budget=3s"],
  });
  await applyWithWorkload(s, "petstore");
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      (statusOf(a)["pendingOperation"] as { url?: string } | undefined)?.url !==
        undefined,
    "the import accepted",
  );
  await s.operator!.kill();
  // The operator is down until API Management has finished, past the 3 s budget.
  await waitFor(async () => {
    const read = await env.armAsPortal(s.service, "GET", "/apis/petstore");
    await read.body?.cancel();
    return read.status === 200 ? true : undefined;
  }, {
    description: "the import to finish in API Management",
    timeoutMs: 30_000,
  });
  env.operator(s.operatorOptions);
  const api = await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    isReady,
    "Ready after the restart (not ImportTimedOut)",
  );
  assert.equal(statusOf(api)["pendingOperation"], undefined);
  assert.equal(importPuts(env, "petstore"), 1);
});

Deno.test("an import that fails inside API Management for its own reasons is sent again and registered", async () => {
  await using env = await E2eEnvironment.start({ knobs: { importPolls: 1 } });
  await using s = await startScenario(env, "impfail");
  // The operation's status says Failed in a 200 answer (Azure-AsyncOperation): no 4xx to go by.
  env.apim.failNextImport({
    status: 422,
    code: "ManagementApiRequestFailed",
    message: "The operation did not complete in time inside API Management.",
  });
  await registerApi(s, "petstore");
  assert.ok(s.service.api("petstore"), "the API is registered");
  assert.equal(
    importPuts(env, "petstore"),
    2,
    "the failed import was sent again",
  );
});

Deno.test("a failed asynchronous delete is sent again", async () => {
  await using env = await E2eEnvironment.start({
    knobs: { asyncDelete: true, importPolls: 1 },
  });
  await using s = await startScenario(env, "delfail");
  await registerApi(s, "petstore");
  env.apim.failNextDelete(DELETE_FAILURE);
  await env.apis.apimApis.delete("petstore", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimApis,
    s.ns,
    "petstore",
    "the APIMAPI gone",
  );
  assert.equal(s.service.api("petstore"), undefined, "the API was deleted");
  assert.equal(deletes(s, "petstore"), 2, "the failed delete was sent again");
});

Deno.test("a delete refused by a resource lock is retried with backoff, not at once after each failure", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "scopelock");
  await registerApi(s, "petstore");
  env.apim.injectFault({
    method: "DELETE",
    path: /\/apis\/petstore$/,
    status: 409,
    times: 1_000,
    body: {
      error: {
        code: "ScopeLocked",
        message:
          "The scope cannot perform delete operation because following scope(s) are locked: '/subscriptions/s/resourceGroups/rg-e2e'.",
      },
    },
  });
  await env.apis.apimApis.delete("petstore", { namespace: s.ns });
  const refused = () =>
    env.apim.selectRequests({ method: "DELETE", path: /\/apis\/petstore$/ })
      .filter((r) => r.status === 409);
  const attempts = await waitFor(
    () => Promise.resolve(refused().length >= 4 ? refused() : undefined),
    { description: "four refused deletes", timeoutMs: 60_000 },
  );
  // The backoff waits 1, 2 and 4 s (20 % jitter) between them: at least 5.6 s from first to fourth.
  const spread = (attempts[3]?.at ?? 0) - (attempts[0]?.at ?? 0);
  assert.ok(spread >= 5_600, `four attempts within ${spread} ms`);
  env.apim.clearFaults();
  await env.waitForGone(
    env.apis.apimApis,
    s.ns,
    "petstore",
    "the APIMAPI gone",
  );
});

Deno.test("an expired delete operation URL (404) is checked against the API before the APIMAPI goes", async () => {
  await using env = await E2eEnvironment.start({
    knobs: { asyncDelete: true, importPolls: 1_000, importDurationMs: 500 },
  });
  await using s = await startScenario(env, "delexpired", {
    extraArgs: ["--unconfirmed-write-wait=2s"],
  });
  await registerApi(s, "petstore");
  // The delete fails in API Management, and its operation URL is gone by the time it is polled.
  env.apim.failNextDelete(DELETE_FAILURE);
  env.apim.beforeAnswer({
    method: "DELETE",
    path: /\/apis\/petstore$/,
    run: () => {
      // The operation's status URL (Azure-AsyncOperation, .../operationResults/{id}) expired.
      env.apim.injectFault({
        method: "GET",
        path: /\/operationResults\//,
        status: 404,
        body: {
          error: { code: "ResourceNotFound", message: "Operation not found." },
        },
      });
      return Promise.resolve();
    },
  });
  await env.apis.apimApis.delete("petstore", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimApis,
    s.ns,
    "petstore",
    "the APIMAPI gone",
  );
  assert.equal(
    s.service.api("petstore"),
    undefined,
    "the API was not left behind",
  );
  assert.equal(deletes(s, "petstore"), 2);
});

Deno.test("an import that waited out a 429 and whose answer was lost is awaited from when it was sent, not from its record", async () => {
  // The import runs 8 s; the operator waits 8 s for a write whose answer was lost before it reads
  // and sends again. Counted from the record, 4 s before the send, that wait would end mid-import.
  await using env = await E2eEnvironment.start({
    knobs: { importPolls: 1_000, importDurationMs: 8_000 },
  });
  await using s = await startScenario(env, "throttledlost", {
    extraArgs: ["--unconfirmed-write-wait=8s"],
  });
  const put = { method: "PUT", path: /\/apis\/petstore$/ };
  env.apim.injectFault({
    ...put,
    status: 429,
    headers: { "Retry-After": "4" },
    body: {
      error: { code: "TooManyRequests", message: "Too many requests." },
    },
  });
  env.apim.injectUnknownOutcome(put);
  await registerApi(s, "petstore");
  assert.equal(
    importPuts(env, "petstore"),
    2,
    "the throttled PUT and the one that ran; none while it ran",
  );
});
