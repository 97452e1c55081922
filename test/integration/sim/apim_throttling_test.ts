// §C7: token-bucket throttling with Retry-After, remaining-budget headers, and the Nth-write fault.

import assert from "node:assert/strict";
import { createApimSimulator } from "../../sim/apim_simulator.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { armError, startSimulators } from "./sim_fixture.ts";

Deno.test("reads count down x-ms-ratelimit-remaining-subscription-reads, then 429 until Retry-After has passed", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: {
      clock,
      knobs: {
        throttle: {
          reads: { capacity: 3, refillPerSecond: 0.5 },
          writes: { capacity: 10, refillPerSecond: 1 },
        },
      },
    },
    entra: { clock },
  });
  const remaining: (string | null)[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await sim.arm("GET", "");
    assert.equal(res.status, 200);
    remaining.push(
      res.headers.get("x-ms-ratelimit-remaining-subscription-reads"),
    );
  }
  assert.deepEqual(remaining, ["2", "1", "0"]);
  const throttled = await sim.arm("GET", "");
  assert.equal(throttled.status, 429);
  assert.equal(throttled.headers.get("retry-after"), "2");
  assert.equal(armError(throttled.body).code, "SubscriptionRequestsThrottled");
  await clock.advance(1_000);
  const early = await sim.arm("GET", "");
  assert.equal(early.status, 429);
  assert.equal(early.headers.get("retry-after"), "1");
  await clock.advance(1_000);
  assert.equal((await sim.arm("GET", "")).status, 200);
  const write = await sim.arm("PUT", "/tags/t", {
    body: { properties: { displayName: "t" } },
  });
  assert.equal(
    write.headers.get("x-ms-ratelimit-remaining-subscription-writes"),
    "9",
  );
  assert.equal(sim.apim.countRequests({ throttled: true }), 2);
});

Deno.test("throttleNthWrite answers the Nth write 429 and blocks writes until Retry-After", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: { clock },
    entra: { clock },
  });
  sim.apim.throttleNthWrite(2, 5);
  const tag = (n: number) =>
    sim.arm("PUT", `/tags/t${n}`, {
      body: { properties: { displayName: "t" } },
    });
  assert.equal((await tag(1)).status, 201);
  const second = await tag(2);
  assert.equal(second.status, 429);
  assert.equal(second.headers.get("retry-after"), "5");
  assert.equal(
    second.headers.get("x-ms-ratelimit-remaining-subscription-writes"),
    "0",
  );
  assert.equal((await tag(2)).status, 429);
  assert.equal((await sim.arm("GET", "/tags")).status, 200);
  await clock.advance(5_000);
  assert.equal((await tag(2)).status, 201);
  assert.deepEqual(sim.service.tags().map((t) => t.name), ["t1", "t2"]);
});

Deno.test("deletes have their own bucket, and every answer names the caller's and the subscription's global budget", async () => {
  const clock = new FakeClock(Date.now());
  const apim = createApimSimulator({
    clock,
    knobs: {
      throttle: {
        reads: { capacity: 10, refillPerSecond: 0 },
        writes: { capacity: 4, refillPerSecond: 0 },
        deletes: { capacity: 2, refillPerSecond: 0 },
        globalFactor: 15,
      },
    },
  });
  const service = apim.addService({
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroup: "rg",
    name: "apim",
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await apim.handle(
      new Request(
        `${apim.url}${service.resourceId}${path}?api-version=2024-05-01`,
        {
          method,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        },
      ),
    );
    await response.body?.cancel();
    const prefix = "x-ms-ratelimit-remaining-subscription";
    const names = ["reads", "writes", "deletes"].flatMap((c) => [
      `${prefix}-${c}`,
      `${prefix}-global-${c}`,
    ]);
    return {
      status: response.status,
      budget: Object.fromEntries(
        names.flatMap((n) => {
          const v = response.headers.get(n);
          return v === null ? [] : [[n.slice(prefix.length + 1), v]];
        }),
      ),
    };
  };
  const tag = { properties: { displayName: "t" } };
  assert.deepEqual(await call("PUT", "/tags/t", tag), {
    status: 201,
    budget: { writes: "3", "global-writes": "59" },
  });
  assert.deepEqual(await call("DELETE", "/tags/t"), {
    status: 200,
    budget: { deletes: "1", "global-deletes": "29" },
  });
  assert.deepEqual((await call("DELETE", "/tags/t")).budget, {
    deletes: "0",
    "global-deletes": "28",
  });
  assert.equal((await call("DELETE", "/tags/t")).status, 429);
  assert.equal((await call("PUT", "/tags/t", tag)).status, 201);
});
