// §C7: token-bucket throttling with Retry-After, remaining-budget headers, and the Nth-write fault.

import assert from "node:assert/strict";
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
