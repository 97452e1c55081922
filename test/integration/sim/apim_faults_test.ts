// The fault switches the chaos runner uses: storms, lost answers, windows of 409s, late-failing deletes, the operation history.

import assert from "node:assert/strict";
import { FakeClock } from "../../support/fake_clock.ts";
import {
  armError,
  importBody,
  openApiDocument,
  pollLocation,
  putApi,
  startSimulators,
} from "./sim_fixture.ts";

const PETS = openApiDocument("Pets", [["GET /pets", "listPets"]]);

Deno.test("a throttling storm answers every request of its class 429 with Retry-After counting down", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: { clock },
    entra: { clock },
  });
  sim.apim.throttleStorm("writes", 3);
  const first = await putApi(sim, "echo", {});
  assert.equal(first.status, 429);
  assert.equal(first.headers.get("retry-after"), "3");
  assert.equal(armError(first.body).code, "SubscriptionRequestsThrottled");
  assert.equal((await sim.arm("GET", "/apis")).status, 200, "reads pass");
  await clock.advance(2_000);
  const later = await putApi(sim, "echo", {});
  assert.equal(later.headers.get("retry-after"), "1");
  await clock.advance(1_000);
  assert.equal((await putApi(sim, "echo", {})).status, 201);
  const logged = sim.apim.selectRequests({ throttled: true });
  assert.deepEqual(logged.map((r) => r.retryAfter), [3, 1]);
  assert.deepEqual(logged.map((r) => r.errorCode), [
    "SubscriptionRequestsThrottled",
    "SubscriptionRequestsThrottled",
  ]);
});

Deno.test("the request log records each caller's User-Agent, null without one", async () => {
  await using sim = await startSimulators();
  const agent = "azure-apim-operator (replica-0_1a2b3c4d) Deno/2.9.6";
  await sim.arm("GET", "/apis", { headers: { "User-Agent": agent } });
  await sim.apim.handle(new Request(`${sim.apim.url}/no-agent`));
  assert.deepEqual(sim.apim.requests.map((r) => r.userAgent), [agent, null]);
});

Deno.test("an unknown outcome runs the write but breaks off its answer; the retry meets the running import", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 1000, importDurationMs: 60_000 } },
  });
  sim.apim.injectUnknownOutcome({ methods: ["PUT"], path: /\/apis\/pets$/ });
  await assert.rejects(
    sim.arm("PUT", "/apis/pets", { body: importBody(PETS, "pets") }),
  );
  assert.ok(sim.service.isApiLocked("pets"), "the import runs anyway");
  const retry = await sim.arm("PUT", "/apis/pets", {
    body: importBody(PETS, "pets"),
  });
  assert.equal(retry.status, 409);
  assert.equal(armError(retry.body).code, "PessimisticConcurrencyConflict");
  const [lost, conflict] = sim.apim.selectRequests({ method: "PUT" });
  assert.equal(lost?.answerLost, true);
  assert.equal(conflict?.answerLost, false);
  assert.equal(conflict?.injected, false);
  const history = sim.apim.operationHistory();
  assert.equal(history.length, 1);
  assert.equal(history[0]?.kind, "import");
  assert.equal(history[0]?.succeeded, null, "still running");
});

Deno.test("a fault with a window answers every matching write until it ends; reads and other paths pass", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: { clock },
    entra: { clock },
  });
  await putApi(sim, "echo", {});
  sim.apim.injectFault({
    methods: ["PUT", "PATCH", "DELETE"],
    path: /\/apis\/echo(;rev=\d+)?(\/.*)?$/,
    until: clock.now() + 2_000,
    status: 409,
    body: {
      error: {
        code: "PessimisticConcurrencyConflict",
        message: "Operation on the API is in progress",
        details: null,
      },
    },
  });
  for (let i = 0; i < 3; i++) {
    assert.equal((await putApi(sim, "echo", {})).status, 409);
  }
  assert.equal((await sim.arm("GET", "/apis/echo")).status, 200);
  assert.equal((await putApi(sim, "other", {})).status, 201);
  await clock.advance(2_000);
  assert.equal((await putApi(sim, "echo", {})).status, 200);
  assert.equal(sim.apim.countRequests({ status: 409 }), 3);
  assert.ok(
    sim.apim.selectRequests({ status: 409 }).every((r) => r.injected),
  );
});

Deno.test("a late-failing asynchronous delete answers its error on the poll and leaves the API", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { asyncDelete: true, importPolls: 0, lockSettleMs: 0 } },
  });
  await putApi(sim, "echo", {});
  sim.apim.failNextDelete({
    status: 422,
    code: "ManagementApiRequestFailed",
    message: "The operation timed out inside API Management.",
  });
  const started = await sim.arm("DELETE", "/apis/echo", {
    headers: { "if-match": "*" },
  });
  assert.equal(started.status, 202);
  const { final } = await pollLocation(
    sim,
    started.headers.get("location") ?? "",
  );
  assert.equal(final.status, 422);
  assert.equal(armError(final.body).code, "ManagementApiRequestFailed");
  assert.ok(sim.service.api("echo"), "the API is still there");
  const again = await sim.arm("DELETE", "/apis/echo", {
    headers: { "if-match": "*" },
  });
  await pollLocation(sim, again.headers.get("location") ?? "");
  assert.equal(sim.service.api("echo"), undefined);
  const deletes = sim.apim.operationHistory().filter((o) =>
    o.kind === "delete"
  );
  assert.deepEqual(deletes.map((o) => [o.succeeded, o.errorCode]), [
    [false, "ManagementApiRequestFailed"],
    [true, null],
  ]);
});

Deno.test("the operation history tells repeated imports of the same content apart from changed ones", async () => {
  await using sim = await startSimulators({
    apim: { knobs: { importPolls: 0, lockSettleMs: 0 } },
  });
  for (const [doc, url] of [[PETS, "a"], [PETS, "a"], [PETS, "b"]]) {
    const put = await sim.arm("PUT", "/apis/pets", {
      body: importBody(doc ?? "", "pets", { serviceUrl: `https://${url}.io` }),
    });
    await pollLocation(sim, put.headers.get("location") ?? "");
  }
  const imports = sim.apim.operationHistory().filter((o) =>
    o.kind === "import"
  );
  assert.equal(imports.length, 3);
  assert.ok(imports.every((o) => o.succeeded && o.apiRoot === "pets"));
  assert.equal(imports[0]?.content, imports[1]?.content);
  assert.notEqual(imports[1]?.content, imports[2]?.content);
  assert.ok(imports.every((o) => o.revision === "1"));
  const polls = sim.apim.selectRequests({ kind: "poll" });
  assert.ok(polls.every((p) => p.asyncId !== null));
});

Deno.test("a revision that is not current can be deleted out of band; the current one cannot", async () => {
  await using sim = await startSimulators();
  await putApi(sim, "echo", {});
  await putApi(sim, "echo;rev=2", {
    displayName: "echo",
    path: "echo",
    sourceApiId: `${sim.service.resourceId}/apis/echo`,
  });
  assert.equal(sim.service.deleteRevision("echo", "1"), false);
  assert.equal(sim.service.deleteRevision("echo", "2"), true);
  assert.deepEqual(
    sim.service.api("echo")?.revisions.map((r) => r.revision),
    ["1"],
  );
});
