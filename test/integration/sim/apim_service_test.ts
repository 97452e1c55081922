// The service resource and the cross-cutting knobs: missing parents, provisioning state, faults, locks, async delete, no-socket handler.

import assert from "node:assert/strict";
import { z } from "zod";
import { createApimSimulator } from "../../sim/apim_simulator.ts";
import {
  armError,
  collection,
  putApi,
  resource,
  RESOURCE_GROUP,
  SERVICE_PATH,
  startSimulators,
  SUBSCRIPTION_ID,
} from "./sim_fixture.ts";

const hostnames = z.array(
  z.object({
    type: z.string(),
    hostName: z.string(),
    defaultSslBinding: z.boolean(),
  }),
);

Deno.test("service GET has gateway and portal URLs and the Proxy host names", async () => {
  await using sim = await startSimulators();
  sim.apim.addService({
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
    name: "custom",
    sku: { name: "Premium", capacity: 2 },
    gatewayHostname: "api.contoso.com",
  });
  const res = await sim.arm("GET", "");
  assert.equal(res.status, 200);
  const svc = resource(res.body);
  assert.equal(svc.type, "Microsoft.ApiManagement/service");
  assert.equal(svc.properties.gatewayUrl, "https://apimservice1.azure-api.net");
  assert.equal(
    svc.properties.developerPortalUrl,
    "https://apimservice1.developer.azure-api.net",
  );
  assert.equal(svc.properties.provisioningState, "Succeeded");
  const custom = resource(
    (await sim.arm("GET", SERVICE_PATH.replace("apimService1", "custom"))).body,
  );
  const proxies = hostnames.parse(custom.properties.hostnameConfigurations)
    .filter((h) => h.type === "Proxy" && h.defaultSslBinding);
  assert.deepEqual(proxies.map((h) => h.hostName), ["api.contoso.com"]);
});

Deno.test("unknown service and resource group answer ARM's 404 bodies", async () => {
  await using sim = await startSimulators();
  const svc = await sim.arm(
    "GET",
    SERVICE_PATH.replace("apimService1", "nope") + "/apis",
  );
  assert.equal(svc.status, 404);
  // ARM's own errors have no `details` (aso-…5bac6d1#84, aso-…20240501#111).
  assert.deepEqual(svc.body, {
    error: {
      code: "ResourceNotFound",
      message:
        "The Resource 'Microsoft.ApiManagement/service/nope' under resource group 'rg1' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    },
  });
  const rg = await sim.arm("GET", SERVICE_PATH.replace("/rg1/", "/rg2/"));
  assert.equal(armError(rg.body).code, "ResourceGroupNotFound");
  const api = await sim.arm("GET", "/apis/nope/policies/policy");
  assert.equal(armError(api.body).message, "Api not found.");
});

Deno.test("a service that is not Succeeded refuses writes but serves reads", async () => {
  await using sim = await startSimulators();
  sim.service.provisioningState = "Updating";
  const write = await putApi(sim, "echo", {});
  assert.equal(write.status, 422);
  assert.equal(armError(write.body).code, "ManagementApiRequestFailed");
  const read = await sim.arm("GET", "");
  assert.equal(resource(read.body).properties.provisioningState, "Updating");
});

Deno.test("injectFault answers the next matching request once, then normal service resumes", async () => {
  await using sim = await startSimulators();
  sim.apim.injectFault({
    method: "GET",
    path: /\/apis$/,
    status: 503,
    body: { error: { code: "ServiceUnavailable", message: "Try later" } },
    headers: { "retry-after": "3" },
  });
  const faulted = await sim.arm("GET", "/apis");
  assert.equal(faulted.status, 503);
  assert.equal(faulted.headers.get("retry-after"), "3");
  assert.equal((await sim.arm("GET", "/apis")).status, 200);
});

Deno.test("a locked scope refuses DELETE with 409 ScopeLocked", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo", {});
  sim.apim.knobs.lockedScopes = [SERVICE_PATH];
  const res = await sim.arm("DELETE", "/apis/echo", {
    headers: { "if-match": "*" },
  });
  assert.equal(res.status, 409);
  assert.equal(armError(res.body).code, "ScopeLocked");
  assert.ok(sim.service.api("echo"));
});

Deno.test("API DELETE: 2024-05-01 answers 202 + Location + Azure-AsyncOperation and locks the API; 2022-08-01 answers 200", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 1, lockSettleMs: 0 } },
  });
  await putApi(sim, "echo", {});
  await sim.arm("PUT", "/tags/t", {
    body: { properties: { displayName: "t" } },
  });
  // aso-…20240501#77: no If-Match, 202, Location …&asyncCode=204, Azure-AsyncOperation, no body.
  const res = await sim.arm("DELETE", "/apis/echo");
  assert.equal(res.status, 202);
  assert.equal(res.body, null);
  assert.equal(res.headers.get("retry-after"), null);
  const location = res.headers.get("location") ?? "";
  assert.match(
    location,
    /\/apis\/echo\?api-version=2024-05-01&asyncId=[0-9a-f]{24}&asyncCode=204$/,
  );
  const status = res.headers.get("azure-asyncoperation") ?? "";
  assert.match(
    status,
    /\/tenant\/operationResults\/[0-9a-f]{24}\?api-version=2024-05-01$/,
  );
  const locked = await sim.arm("PUT", "/apis/echo/tags/t");
  assert.equal(locked.status, 409);
  assert.equal(
    armError(locked.body).message,
    "Operation on the API is in progress",
  );
  assert.deepEqual((await sim.get(status)).body, { status: "InProgress" });
  // aso-…20240501#82: the status resource ends as {"status":"Succeeded"}.
  assert.deepEqual((await sim.get(status)).body, { status: "Succeeded" });
  assert.equal((await sim.get(location)).status, 204);
  assert.equal((await sim.arm("GET", "/apis/echo")).status, 404);
  await putApi(sim, "echo", {});
  const old = await sim.arm("DELETE", "/apis/echo", {
    apiVersion: "2022-08-01",
  });
  assert.equal(old.status, 200);
  assert.equal(sim.service.api("echo"), undefined);
});

Deno.test("the asyncDelete knob off answers 204 at once at 2024-05-01", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { asyncDelete: false } },
  });
  await putApi(sim, "echo", {});
  assert.equal((await sim.arm("DELETE", "/apis/echo")).status, 204);
  assert.equal(sim.service.api("echo"), undefined);
});

Deno.test("the handler works without a socket", async () => {
  const apim = createApimSimulator();
  apim.addService({
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
    name: "svc",
  });
  const base =
    `${apim.url}/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/svc`;
  const put = await apim.handle(
    new Request(`${base}/tags/t1?api-version=2022-08-01`, {
      method: "PUT",
      body: JSON.stringify({ properties: { displayName: "T1" } }),
    }),
  );
  assert.equal(put.status, 201);
  await put.body?.cancel();
  const list = await apim.handle(
    new Request(`${base}/tags?api-version=2022-08-01`),
  );
  assert.deepEqual(collection(await list.json()).value.map((t) => t.name), [
    "t1",
  ]);
  assert.equal(apim.writes(), 1);
  assert.equal(apim.reads(), 1);
});
