// The service resource and the cross-cutting knobs: missing parents, provisioning state, faults, locks, async delete, no-socket handler.

import assert from "node:assert/strict";
import { z } from "zod";
import { createApimSimulator } from "../../sim/apim_simulator.ts";
import {
  armError,
  collection,
  pollLocation,
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

Deno.test("service GET has gateway and portal URLs and Proxy/DeveloperPortal host names", async () => {
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
  assert.deepEqual(armError(svc.body), {
    code: "ResourceNotFound",
    message:
      "The Resource 'Microsoft.ApiManagement/service/nope' under resource group 'rg1' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    details: null,
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

Deno.test("asyncDelete (2024-05-01): DELETE answers 202 + Location with asyncCode=204, then 204", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { asyncDelete: true, importPolls: 1 } },
  });
  await putApi(sim, "echo", {});
  const res = await sim.arm("DELETE", "/apis/echo", {
    headers: { "if-match": "*" },
  });
  assert.equal(res.status, 202);
  const location = res.headers.get("location") ?? "";
  assert.match(location, /asyncCode=204$/);
  const { final, polls } = await pollLocation(sim, location);
  assert.equal(final.status, 204);
  assert.equal(polls, 2);
  assert.equal((await sim.arm("GET", "/apis/echo")).status, 404);
  assert.equal(sim.apim.polls(), 2);
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
