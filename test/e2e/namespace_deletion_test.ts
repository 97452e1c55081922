// End to end: `kubectl delete namespace` of a namespace holding a whole setup (app, APIMService, product, tag, APIMAPI).
import assert from "node:assert/strict";
import type { ApimKnobs } from "../sim/apim_simulator.ts";
import {
  conditionOf,
  E2eEnvironment,
  isReady,
  readyReason,
} from "../support/e2e_environment.ts";
import {
  apimApiManifest,
  apimProductManifest,
  apimTagManifest,
} from "../support/manifests.ts";
import type { OperatorProcess } from "../support/operator_process.ts";
import {
  apiSpec,
  importPuts,
  type Scenario,
  startScenario,
  statusOf,
} from "../support/scenario.ts";
import { waitFor } from "../support/wait.ts";
import { deployReadyWorkload } from "../support/workload.ts";

/**
 * Failure bound of a namespace teardown: the namespace controller's sweeps back off between
 * passes and the box is shared; a hang is what this catches, not slowness.
 */
const TEARDOWN_TIMEOUT_MS = 240_000;

/**
 * At most this many operator log lines about the deleted namespace's objects, from the delete on.
 * A teardown logs a few lines per object (finalize, Event refused, watch updates); a retry in a
 * hot loop logs hundreds within the deadline.
 */
const LOG_LINES_BOUND = 150;

/**
 * At most this many log lines with one message about one object: a backoff doubles its waits, and
 * a running import is polled once a second for the few seconds it has left.
 */
const REPEAT_BOUND = 12;

/**
 * The seed's getting-started setup, all in one namespace: APIMService `apim`, product
 * `my-product`, tag `backend` (both Ready), and APIMAPI `my-api` naming both. The operator's own
 * namespace (its Lease) is another one: it outlives the application's.
 */
async function startSetup(
  env: E2eEnvironment,
  prefix: string,
): Promise<Scenario> {
  const s = await startScenario(env, prefix, { serviceInAppNamespace: true });
  await env.apply([
    apimProductManifest(s.ns, "my-product", {
      productID: "my-product",
      displayName: "My product",
      apimService: "apim",
      published: true,
    }),
    apimTagManifest(s.ns, "backend", {
      tagID: "backend",
      displayName: "Backend",
      apimService: "apim",
    }),
    apimApiManifest(
      s.ns,
      "my-api",
      apiSpec(s, "my-api", {
        routePrefix: "/api/v1",
        openApiDefinitionUrl: "/swagger/v1/swagger.json",
        productIds: ["my-product"],
        tagIds: ["backend"],
      }),
    ),
  ]);
  for (
    const [api, name] of [
      [env.apis.apimProducts, "my-product"],
      [env.apis.apimTags, "backend"],
    ] as const
  ) {
    await env.waitForObject(api, s.ns, name, isReady, `${name} Ready`);
  }
  return s;
}

/** The app's Deployment, its ReplicaSet and Pods ready (the APIMAPI's workload). */
async function deployApp(s: Scenario): Promise<void> {
  await deployReadyWorkload(s.env, s.ns, "my-api", {
    "app.kubernetes.io/name": "my-api",
  }, { replicas: 2 });
}

/** {@linkcode deployApp}, then the API registered with its links. */
async function registerApp(s: Scenario): Promise<void> {
  await deployApp(s);
  await s.env.waitForObject(
    s.env.apis.apimApis,
    s.ns,
    "my-api",
    isReady,
    "APIMAPI my-api Ready",
    90_000,
  );
  assert.deepEqual(s.service.api("my-api")?.productIds, ["my-product"]);
  assert.deepEqual(s.service.api("my-api")?.tagIds, ["backend"]);
}

/** The operator of a scenario that started one. */
function operatorOf(s: Scenario): OperatorProcess {
  assert.ok(s.operator, "the scenario started the operator");
  return s.operator;
}

/** `kubectl delete namespace`: returns the index of the operator's next log line. */
async function deleteNamespace(s: Scenario): Promise<number> {
  const from = operatorOf(s).logs.length;
  const path = `/api/v1/namespaces/${s.ns}`;
  const deleted = await s.env.plane.request("DELETE", path);
  assert.ok(
    deleted.status === 200 || deleted.status === 202,
    `DELETE ${path}: ${deleted.status}`,
  );
  return from;
}

/** Waits until the namespace is gone; a timeout names what it is still waiting for. */
async function waitForNamespaceGone(s: Scenario): Promise<void> {
  await waitFor(async () => {
    const path = `/api/v1/namespaces/${s.ns}`;
    const found = await s.env.plane.request("GET", path);
    if (found.status === 404) return true;
    const status = (found.body as { status?: unknown }).status;
    const left = await Promise.all(
      [
        s.env.apis.apimApis,
        s.env.apis.apimProducts,
        s.env.apis.apimTags,
        s.env.apis.apimServices,
        s.env.apis.apimApiDeployments,
      ].map(async (api) =>
        (await api.list({ namespace: s.ns })).items.map((o) => ({
          kind: o.kind,
          name: o.metadata?.name,
          finalizers: o.metadata?.finalizers,
          ready: (o["status"] as { conditions?: unknown[] } | undefined)
            ?.conditions,
        }))
      ),
    );
    throw new Error(
      `namespace status ${JSON.stringify(status)}; objects left ${
        JSON.stringify(left.flat())
      }; operator log tail:\n${operatorOf(s).tail(15)}`,
    );
  }, {
    description: `namespace ${s.ns} to be gone`,
    timeoutMs: TEARDOWN_TIMEOUT_MS,
  });
}

/** The operator is still running and logged a bounded number of lines about the namespace's objects. */
function assertOperatorSettled(s: Scenario, from: number): void {
  const operator = operatorOf(s);
  assert.equal(operator.exited, false, `operator exited: ${operator.tail()}`);
  const about = operator.logs.slice(from).filter((l) =>
    JSON.stringify(l).includes(s.ns)
  );
  const shown = about.slice(-20).map((l) => JSON.stringify(l)).join("\n");
  assert.ok(
    about.length <= LOG_LINES_BOUND,
    `${about.length} log lines about ${s.ns} since its deletion, the last:\n${shown}`,
  );
  const repeats = new Map<string, number>();
  for (const line of about) {
    const subject = line["name"] ?? line["key"] ?? line["reason"] ?? "";
    const key = `${line.msg} (${String(subject)})`;
    repeats.set(key, (repeats.get(key) ?? 0) + 1);
  }
  const [most, count] = [...repeats].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  assert.ok(count <= REPEAT_BOUND, `logged ${count} times: ${most}`);
}

/** Defaults everywhere (deletionPolicy unset, nothing adopted): API, product and tag are deleted from APIM. */
function assertAllDeleted(s: Scenario): void {
  assert.equal(s.service.api("my-api"), undefined, "the API was deleted");
  assert.equal(
    s.service.product("my-product"),
    undefined,
    "the product was deleted",
  );
  assert.equal(s.service.tag("backend"), undefined, "the tag was deleted");
}

Deno.test("deleting the namespace of a registered app removes its API, product and tag from API Management and the namespace goes", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startSetup(env, "nsdel");
  await registerApp(s);

  const from = await deleteNamespace(s);
  await waitForNamespaceGone(s);
  assertAllDeleted(s);
  assertOperatorSettled(s, from);
  assert.equal(importPuts(env, "my-api"), 1, "imported once");
});

const SLOW_IMPORT: Partial<ApimKnobs> = {
  importPolls: 1_000,
  importDurationMs: 8_000,
  pollRetryAfterSeconds: 1,
};

Deno.test("deleting the namespace while its API's first import runs: the import is waited for, then everything is deleted", async () => {
  await using env = await E2eEnvironment.start({ knobs: SLOW_IMPORT });
  await using s = await startSetup(env, "nsdel-import");
  await deployApp(s);
  await env.waitForObject(
    env.apis.apimApis,
    s.ns,
    "my-api",
    (a) =>
      (statusOf(a)["pendingOperation"] as { url?: string } | undefined)?.url !==
        undefined,
    "the first import accepted by API Management",
  );
  assert.equal(s.service.api("my-api"), undefined, "the import still runs");

  const from = await deleteNamespace(s);
  await waitForNamespaceGone(s);
  assertAllDeleted(s);
  assertOperatorSettled(s, from);
  assert.equal(
    importPuts(env, "my-api"),
    1,
    "no second import during the teardown",
  );
});

Deno.test("deleting the namespace after its APIMService: the product and tag are still deleted from API Management", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startSetup(env, "nsdel-svc");
  await registerApp(s);
  // The namespace controller deletes kinds in no set order: the APIMService (no finalizer) may go
  // before the others are finalized. Deleting it first makes that order certain.
  await env.apis.apimServices.delete("apim", { namespace: s.ns });
  await env.waitForGone(
    env.apis.apimServices,
    s.ns,
    "apim",
    "the APIMService gone",
  );
  const from = await deleteNamespace(s);
  await waitForNamespaceGone(s);
  assertAllDeleted(s);
  assertOperatorSettled(s, from);
});

Deno.test("a product and a tag that exist without an owner stay in API Management when the namespace of their refused CRs goes", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "nsdel-foreign", {
    serviceInAppNamespace: true,
  });
  // Another team's product (with its subscriptions) and tag, made in the portal.
  s.service.createProduct("shared-product");
  s.service.setProductSubscriptionCount("shared-product", 2);
  s.service.createTag("shared-tag");
  await env.apply([
    apimProductManifest(s.ns, "shared-product", {
      productID: "shared-product",
      displayName: "Shared product",
      apimService: "apim",
    }),
    apimTagManifest(s.ns, "shared-tag", {
      tagID: "shared-tag",
      displayName: "Shared tag",
      apimService: "apim",
    }),
  ]);
  for (
    const [api, name, reason] of [
      [env.apis.apimProducts, "shared-product", "UnmanagedProductExists"],
      [env.apis.apimTags, "shared-tag", "UnmanagedTagExists"],
    ] as const
  ) {
    await env.waitForObject(
      api,
      s.ns,
      name,
      readyReason(reason),
      `${name} refused (${reason})`,
    );
  }

  const from = await deleteNamespace(s);
  await waitForNamespaceGone(s);
  assert.equal(
    s.service.product("shared-product")?.subscriptionCount,
    2,
    "the product the CR never managed stays, with its subscriptions",
  );
  assert.ok(s.service.tag("shared-tag"), "the tag the CR never managed stays");
  assertOperatorSettled(s, from);
});

/** The operator's role assignment lost the delete permission (e.g. a narrower custom role). */
const DELETES_DENIED = ["Microsoft.ApiManagement/service/*/delete"];

/**
 * Registers the app, takes the delete permission away and deletes the namespace; returns when the
 * APIMAPI, product and tag each say in their Ready condition that Azure refused the delete (Events
 * cannot be created in a namespace being deleted: the conditions are what a user reads), with the
 * index of the operator's first log line since the namespace delete.
 */
async function refusedTeardown(s: Scenario): Promise<number> {
  await registerApp(s);
  s.env.apim.knobs.deniedActions = DELETES_DENIED;
  const from = await deleteNamespace(s);
  const { apis } = s.env;
  for (
    const [api, name] of [
      [apis.apimApis, "my-api"],
      [apis.apimProducts, "my-product"],
      [apis.apimTags, "backend"],
    ] as const
  ) {
    await s.env.waitForObject(
      api,
      s.ns,
      name,
      (o) =>
        o.metadata?.deletionTimestamp !== undefined &&
        conditionOf(o, "Ready")?.reason === "AuthorizationFailed" &&
        /does not have authorization to perform action '[^']+\/delete'/.test(
          conditionOf(o, "Ready")?.message ?? "",
        ),
      `${name} to say that its delete was refused`,
    );
  }
  assert.ok(s.service.api("my-api"), "the API is still there");
  return from;
}

Deno.test("deletes refused by Azure RBAC during a namespace teardown: each object says why, and the namespace goes once the role is back", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startSetup(env, "nsdel-rbac");
  const from = await refusedTeardown(s);
  env.apim.knobs.deniedActions = [];
  await waitForNamespaceGone(s);
  assertAllDeleted(s);
  assertOperatorSettled(s, from);
});

Deno.test("deletes Azure keeps refusing: deletionPolicy Retain on the objects lets the namespace go and leaves API Management as it is", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startSetup(env, "nsdel-retain");
  const from = await refusedTeardown(s);
  const retain = { spec: { deletionPolicy: "Retain" } };
  await env.apis.apimApis.mergePatch("my-api", retain, { namespace: s.ns });
  await env.apis.apimProducts.mergePatch("my-product", retain, {
    namespace: s.ns,
  });
  await env.apis.apimTags.mergePatch("backend", retain, { namespace: s.ns });
  await waitForNamespaceGone(s);
  assert.ok(s.service.api("my-api"), "the API is retained");
  assert.ok(s.service.product("my-product"), "the product is retained");
  assert.ok(s.service.tag("backend"), "the tag is retained");
  assertOperatorSettled(s, from);
});
