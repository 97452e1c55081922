// Unit tests for finish(): the deployment record is deleted only after the pass's phase writes, guarded by the resourceVersion the last one returned.
import assert from "node:assert/strict";
import type { ApimApiDeployment } from "../../../src/crd/apim_api_deployment.ts";
import type { ApimService } from "../../../src/crd/apim_service.ts";
import type { OperatorContext } from "../../../src/controllers/operator_context.ts";
import { finish } from "../../../src/controllers/registration_finish.ts";
import { RegistrationPass } from "../../../src/controllers/registration_pass.ts";
import { silentLogger } from "../../../src/log.ts";
import type { RegistrationFacts } from "../../../src/reconcile/registration_facts.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { apimApiFixture } from "./apim_api_fixture.ts";

Deno.test("finish(): the deployment record is deleted after the pass's phase write, with the resourceVersion that write returned", async () => {
  const deployment = (resourceVersion: string) =>
    ({
      metadata: {
        name: "orders",
        namespace: "shop",
        uid: "u-1",
        resourceVersion,
      },
      spec: {},
    }) as ApimApiDeployment;
  let answerPhase!: () => void;
  const deletes: { resourceVersion?: string }[] = [];
  const api = apimApiFixture("orders", {}, {
    status: { linkedProducts: [], linkedTags: [] },
  });
  const ctx = {
    logger: silentLogger,
    clock: new FakeClock(),
    events: { record: () => Promise.resolve() },
    metrics: { countRegistration: () => {} },
    kinds: {
      apimApis: {
        // Ready is written; the phase write is answered only a macrotask later, after every
        // step finish() can take without waiting.
        mergePatch: () => {
          setTimeout(() => answerPhase(), 0);
          return Promise.resolve(api);
        },
      },
      apimApiDeployments: {
        // The phase write is answered only when the test says.
        mergePatch: () =>
          new Promise((resolve) => {
            answerPhase = () => resolve(deployment("2"));
          }),
        delete: (
          _name: string,
          options: { preconditions: { resourceVersion?: string } },
        ) => {
          deletes.push(options.preconditions);
          return Promise.resolve();
        },
      },
    },
  } as unknown as OperatorContext;
  const pass = new RegistrationPass(
    ctx,
    deployment("1"),
    api,
    new AbortController().signal,
  );
  pass.ref = {
    service: { subscriptionId: "s", resourceGroup: "rg", serviceName: "apim" },
    apiId: "orders",
  };
  pass.facts = {
    trigger: { generation: 1 },
    applied: {
      desiredHash: "h",
      trigger: { generation: 1 },
      imported: false,
      created: false,
      confirmedRecently: true,
    },
  } as RegistrationFacts;
  const service = {
    spec: { subscription: "s", resourceGroup: "rg", name: "apim" },
    status: { proxyHostname: "apim.azure-api.net" },
  } as unknown as ApimService;

  pass.setPhase("Linking", "Linking products and tags");
  await finish(pass, service);
  assert.deepEqual(deletes, [{ uid: "u-1", resourceVersion: "2" }]);
});
