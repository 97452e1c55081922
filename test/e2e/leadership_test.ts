// End to end: a replica that loses the leader Lease and wins it back reconciles again, and stays live.
import assert from "node:assert/strict";
import { leases } from "../../src/kube/builtin_resources.ts";
import { formatMicroTime } from "../../src/kube/micro_time.ts";
import { decodeGenericObject } from "../../src/kube/kube_object.ts";
import { ResourceApi } from "../../src/kube/resource_api.ts";
import { E2eEnvironment } from "../support/e2e_environment.ts";
import { registerApi, startScenario } from "../support/scenario.ts";

const LEASE = "azure-apim-operator.apim.operator.io";

Deno.test("an operator that lost the Lease to another holder and won it back registers APIs again", async () => {
  await using env = await E2eEnvironment.start();
  await using s = await startScenario(env, "lease", {
    extraArgs: [
      "--leader-elect",
      "--leader-elect-lease-duration=4s",
      "--leader-elect-renew-deadline=3s",
      "--leader-elect-retry-period=1s",
    ],
  });
  const operator = s.operator!;
  await operator.waitForLog((l) => l.msg === "Became leader", "leadership");
  await registerApi(s, "before");

  // Another holder takes the Lease (as a second replica would after a partition).
  const api = new ResourceApi(env.kube, leases, decodeGenericObject);
  const lease = await api.find(LEASE, { namespace: s.opNs });
  assert.ok(lease, "the operator created its Lease");
  await api.replace({
    ...lease,
    spec: {
      ...(lease["spec"] as Record<string, unknown>),
      holderIdentity: "intruder",
      renewTime: formatMicroTime(Date.now()),
      leaseDurationSeconds: 4,
    },
  }, { namespace: s.opNs });
  await operator.waitForLog((l) => l.msg === "Lost leadership", "the loss");
  // The intruder stops renewing; its lease expires and the operator takes it back.
  await operator.waitForLog(
    (l) =>
      l.msg === "Became leader" &&
      operator.logsMatching("Lost leadership").length > 0 &&
      operator.logs.indexOf(l) >
        operator.logs.findIndex((e) => e.msg === "Lost leadership"),
    "leadership won back",
  );

  await registerApi(s, "after");
  assert.ok(s.service.api("after"), "the new leader term imported the API");
  const probes = await operator.serverUrl("probes");
  const health = await fetch(`${probes}/healthz?verbose`);
  const body = await health.text();
  assert.equal(health.status, 200, body);
  assert.match(body, /\[\+\]controllers ok/);
});
