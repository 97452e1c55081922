// End to end: changes that land while an import runs — a newer rollout, a spec edit, a delete, concurrent metadata writes.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import { fixtureDocument } from "../support/document_server.ts";
import {
  E2eEnvironment,
  isReady,
  isReadyAtGeneration,
} from "../support/e2e_environment.ts";
import { apimApiManifest } from "../support/manifests.ts";
import {
  apiSpec,
  importPuts,
  type Scenario,
  startScenario,
  statusOf,
} from "../support/scenario.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload, makeRolloutReady } from "../support/workload.ts";

const LABELS = { "app.kubernetes.io/name": "petstore" };
/** Imports that take several seconds (completed by time, polled every second). */
const SLOW_IMPORTS = {
  importPolls: 1_000,
  importDurationMs: 5_000,
  pollRetryAfterSeconds: 1,
};

function accepted(api: GenericObject): boolean {
  const op = statusOf(api)["pendingOperation"] as { url?: string } | undefined;
  return op?.url !== undefined;
}

/** Waits until petstore's APIMAPI satisfies `predicate`. */
async function petstoreUntil(
  s: Scenario,
  predicate: (api: GenericObject) => boolean,
  description: string,
): Promise<void> {
  await s.env.waitForObject(
    s.env.apis.apimApis,
    s.ns,
    "petstore",
    predicate,
    description,
    90_000,
  );
}

async function importRunning(s: Scenario): Promise<void> {
  await petstoreUntil(
    s,
    accepted,
    "the first import to be accepted and running",
  );
}

/** `sha256:<hex>` of a document's bytes, as the status names it. */
function digestOf(document: string): string {
  const bytes = new TextEncoder().encode(document);
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function operationsOf(s: Scenario): string[] {
  return (s.service.currentRevision("petstore")?.operations ?? [])
    .map((o) => o.name.toLowerCase()).sort();
}

/** Rolls out `image` and makes it ready; returns its ReplicaSet (an earlier one for an earlier image). */
async function rollOut(s: Scenario, image: string): Promise<GenericObject> {
  await s.env.apis.deployments.mergePatch("petstore", {
    spec: {
      template: { spec: { containers: [{ name: "api", image }] } },
    },
  }, { namespace: s.ns });
  return await makeRolloutReady(s.env, s.ns, "petstore", LABELS);
}

/** Serves petstore-v2.json, rolls out image petstore:2 and makes it ready; returns its ReplicaSet. */
async function startSecondRollout(s: Scenario): Promise<GenericObject> {
  s.app.serve(await fixtureDocument("petstore-v2.json"));
  return await rollOut(s, "petstore:2");
}

/** Waits until the APIMAPIDeployment signals `rs` as the only ready ReplicaSet. */
async function signalled(s: Scenario, rs: GenericObject): Promise<void> {
  await s.env.waitForObject(
    s.env.apis.apimApiDeployments,
    s.ns,
    "petstore",
    (d) => {
      const spec = d["spec"] as {
        replicaSet?: { uid?: string };
        readyReplicaSets?: { uid: string }[];
      };
      return spec.replicaSet?.uid === rs.metadata?.uid &&
        spec.readyReplicaSets?.length === 1;
    },
    `the rollout of ${rs.metadata?.name} signalled`,
  );
}

/**
 * Rolls out image petstore:2 serving petstore-v2.json, waits until that ReplicaSet is registered and
 * checks that API Management holds its document; returns the APIMAPI.
 */
async function rollOutSecondDocument(s: Scenario): Promise<GenericObject> {
  const second = await startSecondRollout(s);
  const api = await s.env.waitForObject(
    s.env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      isReady(a) &&
      (statusOf(a)["registeredReplicaSet"] as { name?: string })?.name ===
        second.metadata?.name,
    "the second rollout registered",
    90_000,
  );
  assert.deepEqual(
    operationsOf(s),
    ["createpet", "deletepet", "listpets", "showpetbyid"],
    "API Management holds the second rollout's document",
  );
  return api;
}

Deno.test("a rollout that lands while an import runs is imported after it, never at the same time", async () => {
  await using env = await E2eEnvironment.start({ knobs: SLOW_IMPORTS });
  await using s = await startScenario(env, "overlap");
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  await deployReadyWorkload(env, s.ns, "petstore", LABELS, {
    image: "petstore:1",
  });
  await importRunning(s);

  const api = await rollOutSecondDocument(s);
  assert.equal(importPuts(env, "petstore", true), 2, "two imports, one each");
  assert.equal(
    statusOf(api)["documentDigest"],
    digestOf(await fixtureDocument("petstore-v2.json")),
    "the status names the document API Management holds",
  );
});

Deno.test("an import refused with a 500 after an earlier import finished is not taken for that earlier import", async () => {
  await using env = await E2eEnvironment.start({ knobs: SLOW_IMPORTS });
  await using s = await startScenario(env, "stale", {
    extraArgs: ["--unconfirmed-write-wait=2s"],
  });
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  await deployReadyWorkload(env, s.ns, "petstore", LABELS, {
    image: "petstore:1",
  });
  await importRunning(s);

  // The second import is refused without running: its recorded intent must not inherit the
  // first import's poll URL (which says "succeeded").
  env.apim.injectFault({
    method: "PUT",
    path: /\/apis\/petstore$/,
    status: 500,
    times: 1,
    body: {
      error: {
        code: "InternalServerError",
        message: "Internal server error",
      },
    },
  });
  await rollOutSecondDocument(s);
});

Deno.test("a rollback to the first ReplicaSet while the second document is imported brings the first document back (chaos seed 59)", async () => {
  // Polls answered "running" twice: the rollout and the rollback each land while one of them is held.
  await using env = await E2eEnvironment.start({
    knobs: { importPolls: 2, pollRetryAfterSeconds: 1 },
  });
  await using s = await startScenario(env, "rollback");
  const v1 = await fixtureDocument("petstore.json");
  // The document URL answers the second version before its rollout is signalled (a new pod is
  // already behind the Service): the import decided for the first ReplicaSet sends that document.
  s.app.serve(await fixtureDocument("petstore-v2.json"));
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  const firstReady = deployReadyWorkload(env, s.ns, "petstore", LABELS, {
    image: "petstore:1",
  });
  const poll = { method: "GET", path: /\/operationResults\// };
  env.apim.beforeAnswer({
    method: "PUT",
    path: /\/apis\/petstore$/,
    run: () => {
      env.apim.beforeAnswer({
        ...poll,
        run: async () => {
          await firstReady;
          await signalled(s, await rollOut(s, "petstore:2"));
        },
      });
      env.apim.beforeAnswer({
        ...poll,
        run: async () => {
          s.app.serve(v1);
          await signalled(s, await rollOut(s, "petstore:1"));
        },
      });
      return Promise.resolve();
    },
  });
  const first = await firstReady;

  // Ready only once API Management holds the document the first ReplicaSet serves again.
  const api = await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      isReady(a) &&
      (statusOf(a)["registeredReplicaSet"] as { uid?: string })?.uid ===
        first.metadata?.uid,
    "the rollback registered",
    90_000,
  );
  assert.deepEqual(
    operationsOf(s),
    ["createpet", "listpets", "showpetbyid"],
    "API Management holds the first ReplicaSet's document",
  );
  assert.equal(
    statusOf(api)["documentDigest"],
    digestOf(v1),
    "the status names the document API Management holds",
  );
  assert.equal(
    importPuts(env, "petstore", true),
    2,
    "the second document, then the first again",
  );
});

Deno.test("a spec edit that lands while an import runs reaches API Management", async () => {
  await using env = await E2eEnvironment.start({ knobs: SLOW_IMPORTS });
  await using s = await startScenario(env, "edit");
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  await deployReadyWorkload(env, s.ns, "petstore", LABELS);
  await importRunning(s);

  await env.apis.apimApis.mergePatch("petstore", {
    spec: { displayName: "Pets (edited)" },
  }, { namespace: s.ns });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      isReadyAtGeneration(a) &&
      s.service.currentRevision("petstore")?.properties.displayName ===
        "Pets (edited)",
    "the edit registered",
    90_000,
  );
  assert.equal(importPuts(env, "petstore", true), 2, "one import each");
});

Deno.test("a spec edit that changes nothing API Management holds, landing during a new-revision import, costs no second import", async () => {
  await using env = await E2eEnvironment.start({ knobs: SLOW_IMPORTS });
  await using s = await startScenario(env, "samerev");
  await registerNewRevisionApi(s);

  await startSecondRollout(s);
  await importRunning(s);
  await env.apis.apimApis.mergePatch("petstore", {
    spec: { deletionPolicy: "Retain" },
  }, { namespace: s.ns });
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "petstore",
    (a) =>
      isReadyAtGeneration(a) &&
      operationsOf(s).includes("createpet"),
    "the second document released with the edit observed",
    90_000,
  );
  assert.equal(importPuts(env, "petstore", true), 2, "one import per document");
});

Deno.test("an APIMAPI deleted during its first import takes its API with it", async () => {
  await using env = await E2eEnvironment.start({ knobs: SLOW_IMPORTS });
  await using s = await startScenario(env, "delimport");
  await env.apply([apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore"))]);
  await deployReadyWorkload(env, s.ns, "petstore", LABELS);
  await importRunning(s);
  assert.equal(
    s.service.api("petstore"),
    undefined,
    "the API is still being created",
  );

  await env.apis.apimApis.delete("petstore", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimApis,
    s.ns,
    "petstore",
    "the APIMAPI to be deleted",
    90_000,
  );
  // Once nothing runs on the API any more, nothing of it is left.
  const status = await waitFor(async () => {
    const read = await env.armAsPortal(s.service, "GET", "/apis/petstore");
    await read.body?.cancel();
    return s.service.isApiLocked("petstore") ? undefined : read.status;
  }, { description: "API Management to settle", timeoutMs: 30_000 });
  assert.equal(status, 404, "no API is left behind in API Management");
  assert.equal(importPuts(env, "petstore"), 1);
});

/** Registers petstore in NewRevision mode (keep 2) with image petstore:1 and waits until it is Ready. */
async function registerNewRevisionApi(s: Scenario): Promise<void> {
  await s.env.apply([apimApiManifest(
    s.ns,
    "petstore",
    apiSpec(s, "petstore", { revisions: { mode: "NewRevision", keep: 2 } }),
  )]);
  await deployReadyWorkload(s.env, s.ns, "petstore", LABELS, {
    image: "petstore:1",
  });
  await petstoreUntil(s, isReady, "the first rollout registered");
}

/** Applies petstore with its ready workload and waits until it is Ready for its current spec. */
async function applyUntilReadyAtGeneration(s: Scenario): Promise<void> {
  await s.env.apply([
    apimApiManifest(s.ns, "petstore", apiSpec(s, "petstore")),
  ]);
  await deployReadyWorkload(s.env, s.ns, "petstore", LABELS);
  await petstoreUntil(s, isReadyAtGeneration, "the API Ready for its spec");
}

// While API Management accepts the import, another writer changes the APIMAPI: the status write that
// records the running import meets a newer resourceVersion. The import runs longer than the operator
// waits for a write whose answer it did not keep, so a lost poll URL would cost an import PUT.
const writesDuringAcceptance = [
  {
    name:
      "a metadata write landing during the import (a GitOps tool's annotation)",
    prefix: "argo",
    patch: {
      metadata: { annotations: { "argocd.argoproj.io/sync-wave": "1" } },
    },
  },
  {
    name: "a spec edit landing during the import (chaos seed 57)",
    prefix: "editaccept",
    patch: { spec: { deletionPolicy: "Retain" } },
  },
];

for (const c of writesDuringAcceptance) {
  Deno.test(`${c.name} keeps its poll URL: no second import PUT`, async () => {
    await using env = await E2eEnvironment.start({
      knobs: { ...SLOW_IMPORTS, importDurationMs: 12_000 },
    });
    await using s = await startScenario(env, c.prefix, {
      extraArgs: ["--unconfirmed-write-wait=2s"],
    });
    env.apim.beforeAnswer({
      method: "PUT",
      path: /\/apis\/petstore$/,
      run: async () => {
        await env.apis.apimApis.mergePatch("petstore", c.patch, {
          namespace: s.ns,
        });
      },
    });
    await applyUntilReadyAtGeneration(s);
    assert.equal(
      importPuts(env, "petstore"),
      1,
      "exactly one import PUT was sent",
    );
  });
}

Deno.test("a serviceUrl edit landing while API Management accepts an import that finishes at once is Ready only once API Management holds it", async () => {
  // Retry-After 0 and done at the first poll: the pass would poll and finish on its own.
  await using env = await E2eEnvironment.start({
    knobs: { importPolls: 0, pollRetryAfterSeconds: 0 },
  });
  await using s = await startScenario(env, "urlaccept");
  const edited = "http://petstore-v2.example.test";
  env.apim.beforeAnswer({
    method: "PUT",
    path: /\/apis\/petstore$/,
    run: async () => {
      await env.apis.apimApis.mergePatch("petstore", {
        spec: { serviceUrl: edited },
      }, { namespace: s.ns });
      // The PATCH that brings the edit to API Management takes a few attempts.
      env.apim.injectFault({
        method: "PATCH",
        path: /\/apis\/petstore$/,
        status: 500,
        times: 4,
        body: {
          error: { code: "InternalServerError", message: "Internal error" },
        },
      });
    },
  });
  await applyUntilReadyAtGeneration(s);
  assert.equal(
    s.service.currentRevision("petstore")?.properties.serviceUrl,
    edited,
    "Ready for the edit only once API Management holds it",
  );
});

// The new revision's import ends; before the operator verifies it, the portal removes it (as after
// a restart: the operator was down when it happened). Chaos seed 145.
const removedBeforeRelease = [
  {
    name: "an API deleted",
    prefix: "revgone",
    remove: (s: Scenario) => s.service.deleteApi("petstore"),
  },
  {
    name: "a new revision deleted",
    prefix: "revdel",
    remove: (s: Scenario) => s.service.deleteRevision("petstore", "2"),
  },
];

for (const c of removedBeforeRelease) {
  Deno.test(`${c.name} in the portal as its import ends is imported again, not refused for good (chaos seed 145)`, async () => {
    // Imports done at the first poll: the poll that says so is where the portal removes it.
    await using env = await E2eEnvironment.start({ knobs: { importPolls: 0 } });
    await using s = await startScenario(env, c.prefix);
    await registerNewRevisionApi(s);

    env.apim.beforeAnswer({
      method: "PUT",
      path: /\/apis\/petstore;rev=2$/,
      run: () => {
        env.apim.beforeAnswer({
          method: "GET",
          path: /\/operationResults\//,
          run: () => {
            c.remove(s);
            return Promise.resolve();
          },
        });
        return Promise.resolve();
      },
    });
    const rs = await startSecondRollout(s);
    await petstoreUntil(
      s,
      (a) =>
        isReady(a) &&
        (statusOf(a)["registeredReplicaSet"] as { uid?: string })?.uid ===
          rs.metadata?.uid,
      "the second rollout registered",
    );
    assert.ok(
      operationsOf(s).includes("createpet"),
      "API Management holds the second document",
    );
  });
}
